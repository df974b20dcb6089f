/**
 * Issue 10's flood check and issue 11's fake-origins check, as measurements.
 *
 * attack-flood: the relay daemon in its own process,
 * Alice and Bob chatting through it (one message at a time, Bob → Alice), and a
 * flooder that sends valid envelopes at FLOOD_FACTOR (default 10) times a stranger's
 * envelope budget for FLOOD_S (default 10) seconds — reconnecting under a new identity
 * whenever the relay drops it, as an attacker would. Reported: Alice's latency p50/p99
 * before and during the flood and their ratio, how the flooder fared (links opened,
 * closed for score, refused), and the relay's RSS before, at the end of the flood and
 * SETTLE_S (default 10) seconds later. The test suite asserts the behaviour
 * (test/attack/flood.test.ts); the timing lives here.
 *
 * attack-origins: the same, but the attacker sends signed announcements of made-up
 * origins, ORIGINS_PER_S (default 2,000: the rate measured before issue 10's budgets,
 * 10,000 origins in 5 s) in ten bursts a second, each origin new (a pool signed
 * beforehand with node:crypto). The test suite asserts the behaviour
 * (test/attack/fakeOrigins.test.ts).
 */
import { readFileSync } from 'node:fs'
import { generateIdentity } from '../../engine/identity/index.ts'
import { createAnnouncement } from '../../engine/routing/announcement.ts'
import { DEFAULT_LINK_BUDGETS } from '../../engine/routing/tokenBucket.ts'
import { encodeLinkFrame } from '../../engine/wire/index.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { systemRandom } from '../../workers/systemPorts.ts'
import { createWsTransport } from '../../native/node/wsTransport.ts'
import { madeUpEnvelopes, rawPeer } from '../../test/attack/rawPeer.ts'
import { createChatPair, measureLatency } from '../lib/chatPair.ts'
import { startRelayProcess } from '../lib/relayProcess.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { percentile, round } from '../lib/stats.ts'

export interface AttackFloodRaw {
  readonly floodEnvelopesPerSecond: number
  readonly floodSeconds: number
  readonly quietMs: readonly number[]
  readonly floodedMs: readonly number[]
  readonly flooder: { readonly links: number; readonly refused: number; readonly envelopesWritten: number }
  readonly rssBytes: { readonly before: number; readonly endOfFlood: number; readonly settled: number }
  readonly metrics: Record<string, number>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024

async function readMetrics(httpUrl: string): Promise<Record<string, number>> {
  const page = await (await fetch(`${httpUrl}/metrics`)).text()
  const wanted = /^sovereign_relay_(shed_total|link_closes_total|connections_refused_total)\S* /
  const out: Record<string, number> = {}
  for (const line of page.split('\n')) {
    if (!wanted.test(line)) continue
    const at = line.lastIndexOf(' ')
    out[line.slice(0, at)] = Number(line.slice(at + 1))
  }
  return out
}

/** What the attacker writes each tenth of a second, and how the run labels it. */
interface Attack {
  readonly name: string
  readonly label: string
  /** Items (envelopes or origins) per second. */
  readonly perSecond: number
  /** The frames for one tenth of a second. */
  burst(): Uint8Array[]
}

export const runAttackFlood = (options: ScenarioOptions = {}): Promise<ScenarioResult<AttackFloodRaw>> => {
  const factor = Number(process.env['FLOOD_FACTOR'] ?? 10)
  const perSecond = factor * DEFAULT_LINK_BUDGETS.stranger.envelopes.refillPerSecond
  // Ten frames a second, each carrying a tenth of the rate.
  const perFrame = Math.max(1, Math.round(perSecond / 10))
  return runAttack(options, { name: 'attack-flood', label: `flood ${factor}× budget`, perSecond, burst: () => [madeUpEnvelopes(perFrame)] })
}

export const runAttackOrigins = (options: ScenarioOptions = {}): Promise<ScenarioResult<AttackFloodRaw>> => {
  const perSecond = Number(process.env['ORIGINS_PER_S'] ?? 2_000)
  const perBurst = Math.max(1, Math.round(perSecond / 10))
  const floodSeconds = Number(process.env['FLOOD_S'] ?? (options.quick ? 3 : 10))
  // Signed before the clock starts: what the attacker prepared. Each origin is used once.
  const crypto = nodeCrypto()
  const random = systemRandom()
  const now = Date.now()
  const pool = Array.from({ length: perBurst * 10 * floodSeconds }, (_, i) =>
    encodeLinkFrame({
      type: 'announce',
      metric: 0,
      announcement: createAnnouncement(crypto, generateIdentity(crypto, random), { seqno: 1, issuedAt: now + (i % 1000), custodian: false, prekey: null }),
    }),
  )
  let next = 0
  const burst = (): Uint8Array[] => {
    const out = pool.slice(next, next + perBurst)
    next += perBurst
    return out
  }
  return runAttack(options, { name: 'attack-origins', label: `${perSecond.toLocaleString('en-US')} fake origins/s`, perSecond, burst })
}

async function runAttack(options: ScenarioOptions, attack: Attack): Promise<ScenarioResult<AttackFloodRaw>> {
  const floodSeconds = Number(process.env['FLOOD_S'] ?? (options.quick ? 3 : 10))
  const settleSeconds = Number(process.env['SETTLE_S'] ?? (options.quick ? 3 : 10))
  const rounds = options.quick ? 30 : 200
  const perSecond = attack.perSecond

  const relay = await startRelayProcess()
  try {
    const pair = await createChatPair(() => createWsTransport(), relay.linkUrl)
    try {
      await measureLatency(pair, { rounds: 20, timeoutMs: 60_000 }) // warm-up
      const quiet = await measureLatency(pair, { rounds, timeoutMs: 120_000 })
      const before = rssOf(relay.pid)

      const flooder = { links: 0, refused: 0, envelopesWritten: 0 }
      const floodEnd = performance.now() + floodSeconds * 1000
      const flood = (async () => {
        while (performance.now() < floodEnd) {
          let peer
          try {
            peer = await rawPeer(relay.linkUrl)
            flooder.links++
          } catch {
            flooder.refused++
            await sleep(100)
            continue
          }
          let open = true
          void peer.closed.then(() => void (open = false))
          while (open && performance.now() < floodEnd) {
            const frames = attack.burst()
            if (frames.length === 0) break
            for (const frame of frames) await peer.write(frame)
            flooder.envelopesWritten += frames.length
            await sleep(100)
          }
          peer.close()
        }
      })()
      const flooded = await measureLatency(pair, { rounds: Math.max(10, Math.floor(floodSeconds * 10)), timeoutMs: 120_000 })
      await flood
      const endOfFlood = rssOf(relay.pid)
      await sleep(settleSeconds * 1000)
      const settled = rssOf(relay.pid)
      const metrics = await readMetrics(relay.httpUrl)

      const p = (s: readonly number[], q: number): number => round(percentile(s, q), 2)
      const quietP99 = percentile(quiet.samplesMs, 99)
      const floodP99 = percentile(flooded.samplesMs, 99)
      return {
        name: attack.name,
        metrics: [
          { metric: 'honest latency p50, quiet', value: p(quiet.samplesMs, 50), unit: 'ms' },
          { metric: 'honest latency p99, quiet', value: p(quiet.samplesMs, 99), unit: 'ms' },
          { metric: `honest latency p50, ${attack.label}`, value: p(flooded.samplesMs, 50), unit: 'ms' },
          { metric: `honest latency p99, ${attack.label}`, value: p(flooded.samplesMs, 99), unit: 'ms' },
          { metric: 'honest p99 attack / quiet', value: round(floodP99 / quietP99, 2), unit: '×' },
          { metric: 'attacker links opened', value: flooder.links, unit: 'links' },
          { metric: 'attacker connections refused', value: flooder.refused, unit: 'tries' },
          { metric: 'relay RSS before the attack', value: round(before / 2 ** 20, 1), unit: 'MiB' },
          { metric: 'relay RSS end of the attack', value: round(endOfFlood / 2 ** 20, 1), unit: 'MiB' },
          { metric: `relay RSS ${settleSeconds} s later / before`, value: round(settled / before, 2), unit: '×' },
        ],
        raw: {
          floodEnvelopesPerSecond: perSecond,
          floodSeconds,
          quietMs: quiet.samplesMs,
          floodedMs: flooded.samplesMs,
          flooder,
          rssBytes: { before, endOfFlood, settled },
          metrics,
        },
      }
    } finally {
      await pair.shutdown()
    }
  } finally {
    await relay.stop()
  }
}

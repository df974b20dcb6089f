/**
 * Link churn against the relay daemon in its own process (issue 10: 5,000
 * connect/handshake/close cycles left relay RSS +93 MB, not released). Each cycle
 * opens a ws socket from this process, completes the Noise link handshake, closes,
 * and waits for the close (native/node/test/churnClient.ts). The relay's open file
 * descriptors (/proc/<pid>/fd) and RSS (/proc/<pid>/status) are read after a warm-up
 * and again once the relay reports no link and no connection but the scrape's own.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { generateIdentity } from '../../engine/identity/index.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { runChurn } from '../../native/node/test/churnClient.ts'
import { systemRandom } from '../../workers/systemPorts.ts'
import { startRelayProcess } from '../lib/relayProcess.ts'
import type { RelayProcess } from '../lib/relayProcess.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { round } from '../lib/stats.ts'

export interface RelayChurnRaw {
  readonly cycles: number
  readonly warmupCycles: number
  readonly concurrency: number
  readonly failed: Record<string, number>
  readonly wallMs: number
  readonly fdsBefore: number
  readonly fdsAfter: number
  readonly rssBeforeBytes: number
  readonly rssAfterBytes: number
  /** The relay's JS heap in use (its /metrics, nodejs_heap_size_used_bytes; no forced GC). */
  readonly heapBeforeBytes: number
  readonly heapAfterBytes: number
  /** How long after the last cycle the relay showed no link and no extra connection. */
  readonly settleMs: number
}

const CYCLES = 5_000
const QUICK_CYCLES = 500
const WARMUP = 500
const CONCURRENCY = 20
const CYCLE_TIMEOUT_MS = 10_000
const SETTLE_LIMIT_MS = 30_000

const fdsOf = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) * 1024
}

interface Settled {
  readonly ms: number
  readonly heapUsedBytes: number
}

/** Waits until the relay's /metrics shows no link in any state and one open connection (the scrape). */
async function settled(relay: RelayProcess): Promise<Settled> {
  const start = performance.now()
  for (;;) {
    const page = await fetch(`${relay.httpUrl}/metrics`, { headers: { connection: 'close' } }).then((r) => r.text())
    const lines = page.split('\n')
    const links = lines.filter((l) => l.startsWith('sovereign_relay_links{')).reduce((n, l) => n + Number(l.split(' ')[1]), 0)
    const open = Number(lines.find((l) => l.startsWith('sovereign_relay_connections_open '))?.split(' ')[1])
    const heapUsedBytes = Number(lines.find((l) => l.startsWith('nodejs_heap_size_used_bytes '))?.split(' ')[1])
    if (links === 0 && open <= 1) return { ms: performance.now() - start, heapUsedBytes }
    if (performance.now() - start > SETTLE_LIMIT_MS) throw new Error(`relay still holds ${links} links, ${open} connections`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function runRelayChurn(options: ScenarioOptions = {}): Promise<ScenarioResult<RelayChurnRaw>> {
  const cycles = options.quick ? QUICK_CYCLES : CYCLES
  const crypto = nodeCrypto()
  const random = systemRandom()
  const identity = generateIdentity(crypto, random)
  const relay = await startRelayProcess()
  try {
    const churn = (n: number): ReturnType<typeof runChurn> =>
      runChurn({ url: relay.linkUrl, identity, crypto, random, cycles: n, concurrency: CONCURRENCY, timeoutMs: CYCLE_TIMEOUT_MS })
    await churn(WARMUP)
    const { heapUsedBytes: heapBeforeBytes } = await settled(relay)
    const fdsBefore = fdsOf(relay.pid)
    const rssBeforeBytes = rssOf(relay.pid)
    const start = performance.now()
    const result = await churn(cycles)
    const wallMs = performance.now() - start
    if (result.completed === 0) throw new Error(`no cycle completed: ${JSON.stringify(result.failed)}`)
    const { ms: settleMs, heapUsedBytes: heapAfterBytes } = await settled(relay)
    const fdsAfter = fdsOf(relay.pid)
    const rssAfterBytes = rssOf(relay.pid)
    const MiB = 2 ** 20
    return {
      name: 'relay-churn',
      metrics: [
        { metric: `cycles/s (${cycles} connect/handshake/close, ${CONCURRENCY} at a time)`, value: (result.completed / wallMs) * 1000, unit: 'cycles/s' },
        { metric: 'failed cycles', value: cycles - result.completed, unit: 'cycles' },
        { metric: 'relay open fds before', value: fdsBefore, unit: 'fds' },
        { metric: 'relay open fds after', value: fdsAfter, unit: 'fds' },
        { metric: 'relay RSS before', value: round(rssBeforeBytes / MiB, 1), unit: 'MiB' },
        { metric: 'relay RSS after', value: round(rssAfterBytes / MiB, 1), unit: 'MiB' },
        { metric: 'relay RSS change', value: round(((rssAfterBytes - rssBeforeBytes) / rssBeforeBytes) * 100, 1), unit: '%' },
        { metric: 'relay JS heap used before', value: round(heapBeforeBytes / MiB, 1), unit: 'MiB' },
        { metric: 'relay JS heap used after', value: round(heapAfterBytes / MiB, 1), unit: 'MiB' },
      ],
      raw: {
        cycles,
        warmupCycles: WARMUP,
        concurrency: CONCURRENCY,
        failed: result.failed,
        wallMs,
        fdsBefore,
        fdsAfter,
        rssBeforeBytes,
        rssAfterBytes,
        heapBeforeBytes,
        heapAfterBytes,
        settleMs,
      },
    }
  } finally {
    await relay.stop()
  }
}

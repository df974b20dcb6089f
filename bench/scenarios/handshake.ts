/**
 * Noise XX link handshakes in process (noble provider): both sides, all three
 * messages, both binding signatures verified, sessions split. Identities are made
 * before timing; every handshake draws fresh ephemerals.
 */
import { equals } from '../../engine/bytes.ts'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import type { Identity } from '../../engine/identity/index.ts'
import { createLinkHandshake } from '../../engine/noise/index.ts'
import type { Crypto, Random } from '../../engine/ports/index.ts'
import { systemRandom } from '../../workers/systemPorts.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { median, percentile, round } from '../lib/stats.ts'

export interface HandshakeRaw {
  readonly pairs: number
  readonly warmup: number
  readonly totalMs: number
  readonly samplesUs: readonly number[]
}

const WARMUP = 10
const TIME_LIMIT_MS = 15_000

/** One full XX handshake between `a` (initiator) and `b`; throws if the two sides disagree. */
function handshakeOnce(crypto: Crypto, random: Random, a: Identity, b: Identity): void {
  const initiator = createLinkHandshake({ crypto, random, identity: a, initiator: true })
  const responder = createLinkHandshake({ crypto, random, identity: b, initiator: false })
  const m2 = responder.receive(initiator.start()!).reply!
  const i = initiator.receive(m2)
  const r = responder.receive(i.reply!)
  if (!i.session || !r.session || !equals(i.session.handshakeHash, r.session.handshakeHash)) {
    throw new Error('handshake: the two sides did not agree')
  }
}

export async function runHandshake(options: ScenarioOptions = {}): Promise<ScenarioResult<HandshakeRaw>> {
  const pairs = options.quick ? 20 : 300
  const crypto = nobleCrypto()
  const random = systemRandom()
  const alice = generateIdentity(crypto, random)
  const bob = generateIdentity(crypto, random)
  for (let i = 0; i < WARMUP; i++) handshakeOnce(crypto, random, alice, bob)

  const samplesUs: number[] = []
  const start = performance.now()
  for (let i = 0; i < pairs; i++) {
    const t0 = performance.now()
    handshakeOnce(crypto, random, alice, bob)
    samplesUs.push((performance.now() - t0) * 1000)
    if (performance.now() - start > TIME_LIMIT_MS) throw new Error(`handshake: ${i + 1} of ${pairs} in ${TIME_LIMIT_MS} ms`)
  }
  const totalMs = performance.now() - start
  return {
    name: 'handshake',
    metrics: [
      { metric: 'median per handshake (both sides)', value: median(samplesUs), unit: 'µs' },
      { metric: 'p99 per handshake', value: percentile(samplesUs, 99), unit: 'µs' },
      { metric: 'throughput (1 core)', value: (pairs / totalMs) * 1000, unit: 'handshakes/s' },
    ],
    raw: { pairs, warmup: WARMUP, totalMs: round(totalMs), samplesUs: samplesUs.map((s) => round(s, 1)) },
  }
}

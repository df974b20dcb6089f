/**
 * What every part of the home-relay simulator shares (homeSim.ts composes them): the options
 * resolved, one seeded PRNG, the virtual clock, the stand-in crypto, and the counts. One PRNG
 * for all parts: a run repeats itself for a seed only while the parts draw in the same order.
 */
import type { HomeConfig } from './homeOptions.ts'
import { modelCrypto } from './homeCrypto.ts'
import type { ModelCrypto } from './homeCrypto.ts'
import { emptyCounters } from './homeResult.ts'
import type { Counters } from './homeResult.ts'
import { eventLoop, prng } from './simKit.ts'
import type { EventLoop, Prng } from './simKit.ts'

/** Virtual time at the start of a run. */
export const T0 = 1_700_000_000_000
export const HOUR = 3_600_000

export interface Churn {
  usersWentOffline: number
  abrupt: number
  relayFailures: number
  custodyLost: number
}

export interface HomeWorld {
  readonly config: HomeConfig
  readonly rng: Prng
  /** The PRNG as the engine's backoffs take it. */
  readonly jitter: () => number
  readonly crypto: ModelCrypto
  readonly loop: EventLoop
  /** Events at whole milliseconds: the engine's clock reads integers (u48 fields). */
  at(time: number, run: () => void): void
  readonly counters: Counters
  /** Registrations, custody receipts and frames refused, by reason. */
  readonly refusals: Record<string, number>
  refuse(key: string): void
  readonly churn: Churn
  /** The counters with the signatures made so far: the send window's figures are differences of two. */
  snapshot(): Counters
}

export function createWorld(config: HomeConfig): HomeWorld {
  const rng = prng(config.seed)
  const crypto = modelCrypto()
  const loop = eventLoop(T0)
  const counters = emptyCounters()
  const refusals: Record<string, number> = {}
  return {
    config,
    rng,
    jitter: () => rng.next(),
    crypto,
    loop,
    at: (time, run) => loop.at(Math.ceil(time), run),
    counters,
    refusals,
    refuse: (key) => void (refusals[key] = (refusals[key] ?? 0) + 1),
    churn: { usersWentOffline: 0, abrupt: 0, relayFailures: 0, custodyLost: 0 },
    snapshot: () => ({ ...counters, signatures: crypto.counts.signatures, verifications: crypto.counts.verifications }),
  }
}

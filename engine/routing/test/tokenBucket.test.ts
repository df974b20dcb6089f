/**
 * Token buckets and budgets: exact refill, shedding and its counters, the default
 * tables, and a model-based property (fast-check commands) against a BigInt model.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_MESSAGE_BYTES } from '../../transport/linkCore.ts'
import {
  ADDRESS_ACTIONS,
  DEFAULT_ADDRESS_BUDGETS,
  DEFAULT_LINK_BUDGETS,
  LINK_ACTIONS,
  TRUST_TIERS,
  addressBudgets,
  createTokenBucket,
  linkBudgets,
  scaleBudgets,
} from '../tokenBucket.ts'
import type { BucketSpec, TokenBucket } from '../tokenBucket.ts'

describe('token bucket', () => {
  it('starts full, spends down to empty, then refuses without spending', () => {
    const bucket = createTokenBucket({ capacity: 3, refillPerSecond: 1 }, 0)
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false])
    expect(bucket.available(0)).toBe(0)
    expect(bucket.take(0, 0)).toBe(true)
  })

  it('refills exactly: one token per 50 s at 0.02/s, never a ms early', () => {
    const bucket = createTokenBucket({ capacity: 2, refillPerSecond: 0.02 }, 1_000)
    expect(bucket.take(1_000, 2)).toBe(true)
    expect(bucket.take(50_999)).toBe(false)
    expect(bucket.msUntil(50_999)).toBe(1)
    expect(bucket.take(51_000)).toBe(true)
    expect(bucket.msUntil(51_000, 2)).toBe(100_000)
  })

  it('gives the same level whether time passes in 1 ms steps or in one jump', () => {
    // 0.001/s is 1 unit per ms: the smallest rate, where float rounding would show first.
    const stepped = createTokenBucket({ capacity: 5, refillPerSecond: 0.001 }, 0)
    const jumped = createTokenBucket({ capacity: 5, refillPerSecond: 0.001 }, 0)
    stepped.take(0, 5)
    jumped.take(0, 5)
    for (let t = 1; t < 2_000_000; t += 997) stepped.available(t)
    expect([stepped.available(1_999_999), jumped.available(1_999_999)]).toEqual([1, 1])
    expect([stepped.msUntil(1_999_999, 2), jumped.msUntil(1_999_999, 2)]).toEqual([1, 1])
    expect([stepped.take(2_000_000, 2), jumped.take(2_000_000, 2)]).toEqual([true, true])
  })

  it('never overfills and never overflows after a very long idle', () => {
    const bucket = createTokenBucket({ capacity: 16 * 1024 * 1024, refillPerSecond: 8 * 1024 * 1024 }, 0)
    bucket.take(0, 16 * 1024 * 1024)
    expect(bucket.available(10 * 365 * 86_400_000)).toBe(16 * 1024 * 1024)
    expect(bucket.take(10 * 365 * 86_400_000, 16 * 1024 * 1024 + 1)).toBe(false)
  })

  it('refills nothing when the clock steps back, and does not rewind', () => {
    const bucket = createTokenBucket({ capacity: 1, refillPerSecond: 1 }, 10_000)
    bucket.take(10_000)
    expect(bucket.take(5_000)).toBe(false)
    expect(bucket.take(10_999)).toBe(false)
    expect(bucket.take(11_000)).toBe(true)
  })

  it('refuses a cost above capacity forever, and a negative, fractional or NaN cost without minting tokens', () => {
    const bucket = createTokenBucket({ capacity: 4, refillPerSecond: 1 }, 0)
    expect(bucket.take(0, 5)).toBe(false)
    expect(bucket.msUntil(0, 5)).toBe(Number.POSITIVE_INFINITY)
    for (const cost of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(bucket.take(0, cost)).toBe(false)
    expect(bucket.available(0)).toBe(4)
    expect(createTokenBucket({ capacity: 1, refillPerSecond: 0 }, 0).msUntil(0, 2)).toBe(Number.POSITIVE_INFINITY)
  })

  it('rejects a spec the integer arithmetic cannot hold exactly', () => {
    for (const spec of [
      { capacity: 1, refillPerSecond: 1 / 60 },
      { capacity: -1, refillPerSecond: 1 },
      { capacity: Number.NaN, refillPerSecond: 1 },
      { capacity: 1e12, refillPerSecond: 1 },
      { capacity: 1, refillPerSecond: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => createTokenBucket(spec, 0)).toThrow(RangeError)
    }
  })

  it('retune refills at the old rate up to now, then keeps the level clamped to the new capacity', () => {
    const bucket = createTokenBucket({ capacity: 10, refillPerSecond: 1 }, 0)
    bucket.take(0, 10)
    bucket.retune({ capacity: 100, refillPerSecond: 10 }, 3_000)
    expect(bucket.available(3_000)).toBe(3)
    expect(bucket.available(4_000)).toBe(13)
    bucket.retune({ capacity: 5, refillPerSecond: 1 }, 4_000)
    expect(bucket.available(100_000)).toBe(5)
    expect(bucket.spec).toEqual({ capacity: 5, refillPerSecond: 1 })
  })
})

describe('budgets', () => {
  it('keeps one bucket per action and counts what it sheds, by action, in items and cost', () => {
    const budgets = linkBudgets('stranger', 0)
    const frames = DEFAULT_LINK_BUDGETS.stranger.frames.capacity
    for (let i = 0; i < frames; i++) expect(budgets.take('frames', 0)).toBe(true)
    expect(budgets.take('frames', 0)).toBe(false)
    expect(budgets.take('envelopes', 0)).toBe(true)
    expect(budgets.take('bytes', 0, DEFAULT_LINK_BUDGETS.stranger.bytes.capacity + 1)).toBe(false)
    expect(budgets.take('bytes', 0, 1_000)).toBe(true)
    const shed = budgets.shed()
    expect(shed.items).toEqual({ frames: 1, bytes: 1, envelopes: 0, announcements: 0, handshakes: 0 })
    expect(shed.cost.bytes).toBe(DEFAULT_LINK_BUDGETS.stranger.bytes.capacity + 1)
    // A copy: the caller cannot reset the counters.
    ;(shed.items as Record<string, number>).frames = 0
    expect(budgets.shed().items.frames).toBe(1)
  })

  it('raises budgets when the peer becomes a contact, keeping the tokens it had', () => {
    const budgets = linkBudgets('stranger', 0)
    budgets.take('announcements', 0, 10)
    budgets.setTier('contact', 0)
    expect(budgets.tier).toBe('contact')
    expect(budgets.available('announcements', 0)).toBe(0)
    expect(budgets.available('announcements', 1_000)).toBe(5)
    expect(budgets.available('announcements', 60_000)).toBe(DEFAULT_LINK_BUDGETS.contact.announcements.capacity)
  })

  it('gives each higher tier at least the budget of the one below, for every action', () => {
    const monotone = <A extends string>(table: Readonly<Record<string, Readonly<Record<A, BucketSpec>>>>, actions: readonly A[]): void => {
      for (const action of actions) {
        for (let i = 1; i < TRUST_TIERS.length; i++) {
          const lower = table[TRUST_TIERS[i - 1]!]![action]
          const higher = table[TRUST_TIERS[i]!]![action]
          expect(higher.capacity).toBeGreaterThan(lower.capacity)
          expect(higher.refillPerSecond).toBeGreaterThan(lower.refillPerSecond)
        }
      }
    }
    monotone(DEFAULT_LINK_BUDGETS, LINK_ACTIONS)
    monotone(DEFAULT_ADDRESS_BUDGETS, ADDRESS_ACTIONS)
    // Every tier can take at least one full-size link message in a burst.
    for (const tier of TRUST_TIERS) expect(DEFAULT_LINK_BUDGETS[tier].bytes.capacity).toBeGreaterThanOrEqual(4 * MAX_MESSAGE_BYTES)
  })

  it('scales a table for loopback tests, and per-address budgets shed new connections', () => {
    const raised = scaleBudgets(DEFAULT_ADDRESS_BUDGETS, 100)
    expect(raised.stranger.connections).toEqual({ capacity: 1_000, refillPerSecond: 50 })
    const normal = addressBudgets('stranger', 0)
    const loopback = addressBudgets('stranger', 0, raised)
    let admitted = 0
    let admittedLoopback = 0
    for (let i = 0; i < 500; i++) {
      if (normal.take('connections', 0)) admitted++
      if (loopback.take('connections', 0)) admittedLoopback++
    }
    expect(admitted).toBe(10)
    expect(admittedLoopback).toBe(500)
    expect(normal.shed().items.connections).toBe(490)
    expect(normal.take('connections', 2_000)).toBe(true)
    expect(normal.take('connections', 2_000)).toBe(false)
  })
})

/** An independent model: BigInt micro-tokens, refilled by the plain formula with no overflow guard. */
class BucketModel {
  readonly capacityMicro: bigint
  readonly microPerMs: bigint
  level: bigint
  at = 0
  readonly taken: Array<{ at: number; cost: number }> = []
  constructor(capacityMicro: bigint, microPerMs: bigint) {
    this.capacityMicro = capacityMicro
    this.microPerMs = microPerMs
    this.level = capacityMicro
  }
  refill(now: number): void {
    if (now <= this.at) return
    const next = this.level + BigInt(now - this.at) * this.microPerMs
    this.level = next < this.capacityMicro ? next : this.capacityMicro
    this.at = now
  }
}

interface Real {
  bucket: TokenBucket
  now: number
}

class TakeCommand implements fc.Command<BucketModel, Real> {
  readonly cost: number
  constructor(cost: number) {
    this.cost = cost
  }
  check = (): boolean => true
  run(model: BucketModel, real: Real): void {
    model.refill(real.now)
    const expected = BigInt(this.cost) * 1_000_000n <= model.level
    if (expected) {
      model.level -= BigInt(this.cost) * 1_000_000n
      model.taken.push({ at: real.now, cost: this.cost })
    }
    expect(real.bucket.take(real.now, this.cost)).toBe(expected)
    expect(real.bucket.available(real.now)).toBe(Number(model.level / 1_000_000n))
    // Never more than the budget in any window that ends now: capacity + rate × window.
    let sum = 0n
    for (let i = model.taken.length - 1; i >= 0; i--) {
      const t = model.taken[i]!
      sum += BigInt(t.cost) * 1_000_000n
      expect(sum).toBeLessThanOrEqual(model.capacityMicro + BigInt(real.now - t.at) * model.microPerMs)
    }
  }
  toString = (): string => `take(${this.cost})`
}

class AdvanceCommand implements fc.Command<BucketModel, Real> {
  readonly ms: number
  constructor(ms: number) {
    this.ms = ms
  }
  check = (): boolean => true
  run(model: BucketModel, real: Real): void {
    real.now += this.ms
    model.refill(real.now)
    // The next whole token: when the bucket will hold it, exactly, or never if it exceeds capacity.
    const cost = model.level / 1_000_000n + 1n
    const need = cost * 1_000_000n - model.level
    const expected = cost * 1_000_000n > model.capacityMicro ? Number.POSITIVE_INFINITY : Number((need + model.microPerMs - 1n) / model.microPerMs)
    expect(real.bucket.msUntil(real.now, Number(cost))).toBe(expected)
  }
  toString = (): string => `advance(${this.ms})`
}

describe('token bucket model', () => {
  it('matches the BigInt model for any spec and any sequence of takes and clock steps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.commands(
          [fc.integer({ min: 0, max: 60 }).map((c) => new TakeCommand(c)), fc.integer({ min: 0, max: 5_000 }).map((ms) => new AdvanceCommand(ms))],
          { maxCommands: 80, size: 'medium' },
        ),
        (capacity, milliPerSecond, commands) => {
          const spec: BucketSpec = { capacity, refillPerSecond: milliPerSecond / 1_000 }
          fc.modelRun(
            () => ({
              model: new BucketModel(BigInt(capacity) * 1_000_000n, BigInt(milliPerSecond)),
              real: { bucket: createTokenBucket(spec, 0), now: 0 },
            }),
            commands,
          )
        },
      ),
      { numRuns: 200 },
    )
  })
})

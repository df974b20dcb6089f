import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createMailbox, DEFAULT_CUSTODY } from '../mailbox.ts'
import type { EvictionReason, HeldEnvelope, Mailbox, MailboxInit } from '../mailbox.ts'

const T = 1_700_000_000_000
const DAY = 24 * 60 * 60_000

interface Mail {
  readonly id?: string
  readonly size?: number
  readonly from?: string | null
  readonly expiresAt?: number
  readonly localId?: string | null
}
/** An envelope whose bytes are `size` copies of `n`, so tests read which one came back. */
const mail = (n: number, m: Mail = {}): HeldEnvelope => ({
  id: m.id ?? `m${n}`,
  bytes: new Uint8Array(m.size ?? 1).fill(n),
  expiresAt: m.expiresAt ?? T + 1000,
  localId: m.localId ?? null,
  from: m.from === undefined ? null : m.from,
})
const tags = (held: readonly HeldEnvelope[]): number[] => held.map((e) => e.bytes[0]!)
/** Budgets in plain bytes: no per-envelope overhead unless a test asks for it. */
const box = (init: MailboxInit = {}): Mailbox => createMailbox({ overheadBytes: 0, ...init })
const type = (r: ReturnType<Mailbox['hold']>): string => (r.type === 'refused' ? r.reason : r.type)

describe('mailbox', () => {
  it('holds per destination, in order, and take() empties that destination only', () => {
    const b = box()
    b.hold('a', mail(1), T)
    b.hold('b', mail(2), T)
    b.hold('a', mail(3), T)
    expect(b.size).toBe(3)
    expect(b.destinations().sort()).toEqual(['a', 'b'])
    expect(tags(b.take('a', T))).toEqual([1, 3])
    expect(b.size).toBe(1)
    expect(b.destinations()).toEqual(['b'])
    expect(b.take('a', T)).toEqual([])
    expect(b.take('nobody', T)).toEqual([])
  })

  it('has the documented defaults', () => {
    expect(DEFAULT_CUSTODY).toEqual({
      totalBytes: 64 * 1024 * 1024,
      perDestinationCount: 1_000,
      perDestinationBytes: 8 * 1024 * 1024,
      perSenderBytes: 8 * 1024 * 1024,
      maxHoldMs: 14 * DAY,
      overheadBytes: 256,
    })
  })

  it('take() evicts what expired (still live at its expiry instant) as expired, and counts it', () => {
    const evicted: [string, number, EvictionReason][] = []
    const b = box({ onEvict: (d, e, r) => void evicted.push([d, e.bytes[0]!, r]) })
    b.hold('a', mail(1, { expiresAt: T + 100 }), T)
    b.hold('a', mail(2, { expiresAt: T + 200 }), T)
    b.hold('a', mail(3, { expiresAt: T + 150 }), T)
    expect(tags(b.take('a', T + 150))).toEqual([2, 3])
    expect(evicted).toEqual([['a', 1, 'expired']])
    expect(b.stats()).toMatchObject({ envelopes: 0, bytes: 0, held: 3, taken: 2, evicted: { expired: 1, 'evicted-for-room': 0 } })
    expect(b.destinations()).toEqual([])
  })

  it('take() with select takes only what it accepts and leaves the rest held, age kept', () => {
    const b = box({ totalBytes: 3 })
    b.hold('a', mail(1), T)
    b.hold('a', mail(2), T)
    b.hold('b', mail(3), T)
    expect(tags(b.take('a', T, (e) => e.bytes[0] === 2))).toEqual([2])
    b.hold('c', mail(4), T)
    expect(type(b.hold('c', mail(5), T))).toBe('held') // evicts 1: still the oldest
    expect(b.has('a', 'm1')).toBe(false)
    expect(b.has('b', 'm3')).toBe(true)
  })

  it('prune(now) evicts exactly what expired, in any order of expiry', () => {
    const b = box()
    const lives = [500, 100, 300, 200, 400, 100]
    lives.forEach((life, n) => b.hold(`d${n % 2}`, mail(n, { expiresAt: T + life }), T))
    expect(b.prune(T + 100)).toBe(0)
    expect(b.prune(T + 101)).toBe(2)
    expect(b.prune(T + 350)).toBe(2)
    expect(b.size).toBe(2)
    expect(tags(b.take('d0', T + 350))).toEqual([0, 4])
    expect(b.stats().evicted.expired).toBe(4)
  })
})

describe('mailbox budgets', () => {
  it('refuses past the per-destination count without touching other destinations', () => {
    const b = box({ perDestinationCount: 2 })
    expect([1, 2, 3].map((n) => type(b.hold('a', mail(n), T)))).toEqual(['held', 'held', 'destination-full'])
    expect(type(b.hold('b', mail(4), T))).toBe('held')
    expect(tags(b.take('a', T))).toEqual([1, 2])
    expect(type(b.hold('a', mail(5), T))).toBe('held') // room again after take()
    expect(b.stats().refused['destination-full']).toBe(1)
  })

  it('refuses past the per-destination bytes', () => {
    const b = box({ perDestinationBytes: 100 })
    expect(type(b.hold('a', mail(1, { size: 60 }), T))).toBe('held')
    expect(type(b.hold('a', mail(2, { size: 41 }), T))).toBe('destination-full')
    expect(type(b.hold('a', mail(3, { size: 40 }), T))).toBe('held')
    expect(type(b.hold('b', mail(4, { size: 100 }), T))).toBe('held')
  })

  it('refuses a sender past its budget; mail originated here is exempt but counts toward the total', () => {
    const b = box({ perSenderBytes: 100, totalBytes: 400 })
    expect(type(b.hold('a', mail(1, { size: 60, from: 'p' }), T))).toBe('held')
    expect(type(b.hold('b', mail(2, { size: 50, from: 'p' }), T))).toBe('sender-over-quota')
    expect(type(b.hold('b', mail(3, { size: 100, from: 'q' }), T))).toBe('held')
    expect(type(b.hold('c', mail(4, { size: 200, from: null }), T))).toBe('held')
    expect(b.stats()).toMatchObject({ bytes: 360, refused: { 'sender-over-quota': 1 } })
    b.take('a', T)
    expect(type(b.hold('b', mail(2, { size: 50, from: 'p' }), T))).toBe('held') // p's budget freed
  })

  it('refuses, as too large, what no budget could ever hold', () => {
    const b = box({ totalBytes: 100, perDestinationBytes: 80, perSenderBytes: 50 })
    expect(type(b.hold('a', mail(1, { size: 51, from: 'p' }), T))).toBe('too-large')
    expect(type(b.hold('a', mail(2, { size: 81 }), T))).toBe('too-large')
    expect(type(b.hold('a', mail(3, { size: 80 }), T))).toBe('held')
    expect(b.stats().refused['too-large']).toBe(2)
  })

  it('charges a per-envelope overhead, so tiny envelopes are bounded by the byte budget too', () => {
    const b = createMailbox({ totalBytes: 1000 })
    for (let n = 0; n < 3; n++) b.hold(`d${n}`, mail(n, { size: 10 }), T)
    expect(b.stats().bytes).toBe(3 * 266)
    b.hold('d3', mail(3, { size: 10 }), T)
    expect(b.stats()).toMatchObject({ envelopes: 3, evicted: { 'evicted-for-room': 1 } })
  })

  it('over the total, evicts the oldest across all destinations and says why', () => {
    const evicted: [string, string, EvictionReason][] = []
    const b = box({ totalBytes: 100, onEvict: (d, e, r) => void evicted.push([d, e.id, r]) })
    b.hold('a', mail(1, { size: 40, from: 'p' }), T)
    b.hold('b', mail(2, { size: 40, from: 'q' }), T)
    b.hold('a', mail(3, { size: 10, from: 'q' }), T)
    expect(type(b.hold('c', mail(4, { size: 60, from: 'r' }), T))).toBe('held')
    expect(evicted).toEqual([
      ['a', 'm1', 'evicted-for-room'],
      ['b', 'm2', 'evicted-for-room'],
    ])
    expect(b.stats()).toMatchObject({ envelopes: 2, bytes: 70, evicted: { 'evicted-for-room': 2 } })
    expect(b.destinations().sort()).toEqual(['a', 'c'])
  })

  it('evicts expired mail before live mail', () => {
    const b = box({ totalBytes: 100 })
    b.hold('a', mail(1, { size: 50 }), T)
    b.hold('b', mail(2, { size: 50, expiresAt: T + 10 }), T)
    expect(type(b.hold('c', mail(3, { size: 50 }), T + 11))).toBe('held')
    expect(b.has('a', 'm1')).toBe(true)
    expect(b.stats().evicted).toEqual({ expired: 1, 'evicted-for-room': 0 })
  })

  it('refuses a sender over its own budget instead of evicting anyone else for it', () => {
    const b = box({ totalBytes: 100, perSenderBytes: 60 })
    b.hold('a', mail(1, { size: 50, from: 'p' }), T)
    b.hold('b', mail(2, { size: 40, from: 'q' }), T)
    expect(type(b.hold('c', mail(3, { size: 20, from: 'p' }), T))).toBe('sender-over-quota')
    expect(b.size).toBe(2)
    expect(b.stats().evicted['evicted-for-room']).toBe(0)
    expect(type(b.hold('c', mail(4, { size: 20, from: 'q' }), T))).toBe('held') // within q's: p's oldest goes
    expect(b.has('a', 'm1')).toBe(false)
  })
})

describe('mailbox expiry and retries', () => {
  it('clamps expiry to maxHoldMs: an envelope expiring at 2^48 is held 14 days at most', () => {
    const b = box()
    expect(type(b.hold('a', mail(1, { expiresAt: 2 ** 48 }), T))).toBe('held')
    expect(b.prune(T + 14 * DAY)).toBe(0)
    expect(b.prune(T + 14 * DAY + 1)).toBe(1)
    b.hold('a', mail(2, { expiresAt: 2 ** 48 }), T)
    expect(b.take('a', T + 14 * DAY)[0]!.expiresAt).toBe(T + 14 * DAY)
    const short = box({ maxHoldMs: 1000 })
    short.hold('a', mail(3, { expiresAt: 2 ** 48 }), T)
    expect(short.take('a', T + 1001)).toEqual([])
  })

  it('refuses an envelope that has already expired', () => {
    const b = box()
    expect(type(b.hold('a', mail(1, { expiresAt: T - 1 }), T))).toBe('expired')
    expect(b.stats().refused.expired).toBe(1)
  })

  it('a retry does not extend custody past the first copy’s clamp', () => {
    const b = box({ maxHoldMs: 1000 })
    b.hold('a', mail(1, { expiresAt: 2 ** 48 }), T)
    expect(type(b.hold('a', mail(2, { id: 'm1', expiresAt: 2 ** 48 }), T + 900))).toBe('replaced')
    expect(b.take('a', T + 1001)).toEqual([])
  })

  it('keeps one copy per id: a retry replaces in place with no room, even when every budget is full', () => {
    const evictions: string[] = []
    const b = box({ perDestinationCount: 2, totalBytes: 20, onEvict: (_d, e) => void evictions.push(e.id) })
    b.hold('a', mail(1, { id: 'x', size: 10, from: 'p' }), T)
    b.hold('a', mail(2, { id: 'y', size: 10, from: 'p' }), T)
    expect(b.has('a', 'x')).toBe(true)
    expect(b.has('b', 'x')).toBe(false)
    expect(type(b.hold('a', mail(9, { id: 'x', size: 10, from: 'p' }), T))).toBe('replaced')
    expect(evictions).toEqual([])
    expect(b.stats()).toMatchObject({ envelopes: 2, bytes: 20, held: 2, replaced: 1 })
    const taken = b.take('a', T)
    expect(tags(taken)).toEqual([9, 2]) // the newest bytes, in the first copy's place
  })

  it('a replacement that grows needs room for the growth; refused, the held copy stays', () => {
    const b = box({ perDestinationBytes: 20 })
    b.hold('a', mail(1, { id: 'x', size: 10 }), T)
    b.hold('a', mail(2, { id: 'y', size: 10 }), T)
    expect(type(b.hold('a', mail(3, { id: 'x', size: 11 }), T))).toBe('destination-full')
    expect(tags(b.take('a', T))).toEqual([1, 2])
  })

  it('a replacement keeps the local id of a copy this node originated, and charges the new sender', () => {
    const b = box({ perSenderBytes: 10 })
    b.hold('a', mail(1, { id: 'x', size: 10, localId: 'x' }), T)
    expect(type(b.hold('a', mail(2, { id: 'x', size: 10, from: 'peer' }), T))).toBe('replaced')
    expect(type(b.hold('b', mail(3, { size: 1, from: 'peer' }), T))).toBe('sender-over-quota')
    expect(b.take('a', T)[0]).toMatchObject({ bytes: new Uint8Array(10).fill(2), localId: 'x', from: 'peer' })
  })
})

describe('mailbox properties', () => {
  const limits = { totalBytes: 400, perDestinationCount: 3, perDestinationBytes: 250, perSenderBytes: 200, maxHoldMs: 500, overheadBytes: 10 }
  const destination = fc.constantFrom('d0', 'd1', 'd2', 'd3')
  const hold = fc.record({
    op: fc.constant('hold' as const),
    to: destination,
    id: fc.constantFrom('m0', 'm1', 'm2', 'm3', 'm4', 'm5'),
    size: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 260 })),
    from: fc.option(fc.constantFrom('p0', 'p1', 'p2')),
    life: fc.oneof(fc.integer({ min: -5, max: 800 }), fc.constant(2 ** 48)),
  })
  // Mostly holds, so budgets fill up between takes.
  const command = fc.oneof(
    { weight: 6, arbitrary: hold },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('take' as const), to: destination, even: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('prune' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 300 }) }) },
  )
  const sum = (costs: Iterable<number>): number => [...costs].reduce((a, b) => a + b, 0)

  it('never breaks a budget, evicts the oldest for room, never for a refused sender, and counts add up', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 80 }), (commands) => {
        let now = T
        // The model: what is held, in first-held order, with its charge and the first hold's time.
        const model = new Map<string, { to: string; from: string | null; cost: number; since: number; expiresAt: number }>()
        const results: Record<string, number> = {}
        let holding: string | null = null
        let roomEvictions = 0
        const b = createMailbox({
          ...limits,
          onEvict: (to, e, reason) => {
            const key = `${to}/${e.id}`
            if (reason === 'evicted-for-room') {
              // The oldest held, the copy being replaced aside.
              expect(key).toBe([...model.keys()].find((k) => k !== holding))
              roomEvictions++
            } else expect(e.expiresAt).toBeLessThan(now)
            model.delete(key)
          },
        })
        for (const c of commands) {
          if (c.op === 'hold') {
            const key = `${c.to}/${c.id}`
            holding = key
            const before = roomEvictions
            const envelope = { id: c.id, bytes: new Uint8Array(c.size), expiresAt: now + c.life, localId: null, from: c.from }
            const r = b.hold(c.to, envelope, now)
            holding = null
            const name = r.type === 'refused' ? r.reason : r.type
            results[name] = (results[name] ?? 0) + 1
            if (r.type === 'refused') expect(roomEvictions).toBe(before)
            else {
              const previous = model.get(key)
              const since = previous?.since ?? now
              // A retry may shorten custody, never lengthen it.
              const expiresAt = Math.min(envelope.expiresAt, now + limits.maxHoldMs, previous?.expiresAt ?? Infinity)
              model.set(key, { to: c.to, from: c.from, cost: c.size + limits.overheadBytes, since, expiresAt })
            }
          } else if (c.op === 'take') {
            for (const e of b.take(c.to, now, c.even ? (e) => e.bytes.length % 2 === 0 : undefined)) {
              const key = `${c.to}/${e.id}`
              expect(e.expiresAt).toBeGreaterThanOrEqual(now)
              expect(e.expiresAt).toBe(model.get(key)!.expiresAt)
              expect(e.expiresAt).toBeLessThanOrEqual(model.get(key)!.since + limits.maxHoldMs)
              model.delete(key)
            }
          } else if (c.op === 'prune') {
            b.prune(now)
            for (const e of model.values()) expect(e.expiresAt).toBeGreaterThanOrEqual(now)
          }
          else now += c.ms
          const held = [...model.values()]
          expect(sum(held.map((e) => e.cost))).toBeLessThanOrEqual(limits.totalBytes)
          for (const d of ['d0', 'd1', 'd2', 'd3']) {
            const mine = held.filter((e) => e.to === d)
            expect(mine.length).toBeLessThanOrEqual(limits.perDestinationCount)
            expect(sum(mine.map((e) => e.cost))).toBeLessThanOrEqual(limits.perDestinationBytes)
          }
          for (const p of ['p0', 'p1', 'p2']) expect(sum(held.filter((e) => e.from === p).map((e) => e.cost))).toBeLessThanOrEqual(limits.perSenderBytes)
          const s = b.stats()
          expect([s.envelopes, b.size, s.bytes]).toEqual([model.size, model.size, sum(held.map((e) => e.cost))])
          expect(s.held).toBe(s.envelopes + s.taken + s.evicted.expired + s.evicted['evicted-for-room'])
          expect(s.evicted['evicted-for-room']).toBe(roomEvictions)
          expect({ held: s.held, replaced: s.replaced, ...s.refused }).toEqual({
            held: results['held'] ?? 0,
            replaced: results['replaced'] ?? 0,
            'destination-full': results['destination-full'] ?? 0,
            'sender-over-quota': results['sender-over-quota'] ?? 0,
            'too-large': results['too-large'] ?? 0,
            expired: results['expired'] ?? 0,
          })
        }
      }),
      { numRuns: 300 },
    )
  })
})

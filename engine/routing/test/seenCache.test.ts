import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createSeenCache } from '../seenCache.ts'
import type { DuplicateRule } from '../seenCache.ts'

describe('seen cache', () => {
  it('refuses an attempt again only within windowMs', () => {
    const seen = createSeenCache({ windowMs: 1000, maxEntries: 10 })
    expect(seen.add('a', 0, 0, 'newer')).toBe(true)
    expect(seen.has('a', 0, 0)).toBe(true)
    expect(seen.add('a', 0, 999, 'newer')).toBe(false)
    expect(seen.add('a', 0, 999, 'exact')).toBe(false)
    expect(seen.has('a', 0, 1000)).toBe(false)
    expect(seen.add('a', 0, 1000, 'newer')).toBe(true)
    // The second add starts a new span; a refused add does not extend it.
    expect(seen.add('a', 0, 1999, 'newer')).toBe(false)
    expect(seen.add('a', 0, 2000, 'newer')).toBe(true)
  })

  it('passes each higher attempt once, and refuses a lower one under the newer rule', () => {
    const seen = createSeenCache({ windowMs: 1000, maxEntries: 10 })
    expect(seen.add('a', 0, 0, 'newer')).toBe(true)
    expect(seen.add('a', 1, 1, 'newer')).toBe(true)
    expect(seen.add('a', 1, 2, 'newer')).toBe(false) // a loop copy of the retry
    expect(seen.add('a', 3, 3, 'newer')).toBe(true)
    expect(seen.highest('a', 3)).toBe(3)
    expect(seen.add('a', 2, 4, 'newer')).toBe(false) // a stale retry arriving late
    expect(seen.has('a', 2, 4)).toBe(false) // and refused without being recorded
    expect(seen.add('b', 0, 5, 'newer')).toBe(true) // ids do not interfere
  })

  it('under the exact rule refuses only the very attempt seen', () => {
    const seen = createSeenCache({ windowMs: 1000, maxEntries: 10 })
    expect(seen.add('a', 3, 0, 'newer')).toBe(true)
    expect(seen.add('a', 1, 1, 'exact')).toBe(true)
    expect(seen.add('a', 1, 2, 'exact')).toBe(false)
    expect(seen.add('a', 3, 2, 'exact')).toBe(false)
    expect(seen.highest('a', 2)).toBe(3) // a lower attempt does not lower the highest
  })

  it('forgets the highest attempt after windowMs', () => {
    const seen = createSeenCache({ windowMs: 100, maxEntries: 10 })
    seen.add('a', 5, 0, 'newer')
    expect(seen.highest('a', 99)).toBe(5)
    expect(seen.highest('a', 100)).toBeUndefined()
    expect(seen.add('a', 0, 100, 'newer')).toBe(true)
    expect(seen.highest('a', 100)).toBe(0)
  })

  it('drops expired entries on the next add, so size counts live ones only', () => {
    const seen = createSeenCache({ windowMs: 100, maxEntries: 10 })
    for (let i = 0; i < 5; i++) seen.add(`x${i}`, 0, i * 10, 'newer')
    expect(seen.size).toBe(5)
    seen.add('late', 0, 125, 'newer') // x0 (expires 100), x1 (110), x2 (120) are gone
    expect(seen.size).toBe(3)
    expect(['x0', 'x1', 'x2', 'x3', 'x4'].map((id) => seen.has(id, 0, 125))).toEqual([false, false, false, true, true])
  })

  it('keeps at most maxEntries transmissions, evicting the oldest first', () => {
    const seen = createSeenCache({ windowMs: 1_000_000, maxEntries: 3 })
    for (const id of ['a', 'b', 'c', 'd']) expect(seen.add(id, 0, 1, 'newer')).toBe(true)
    expect(seen.size).toBe(3)
    expect(seen.has('a', 0, 1)).toBe(false)
    expect(seen.add('a', 0, 2, 'newer')).toBe(true) // forgotten, so accepted again; evicts b
    expect(['b', 'c', 'd', 'a'].map((id) => seen.has(id, 0, 2))).toEqual([false, true, true, true])
    // Every attempt is an entry: retries of one id count against the bound too.
    for (let attempt = 1; attempt <= 20; attempt++) seen.add('r', attempt, 3, 'newer')
    expect(seen.size).toBe(3)
    expect(seen.highest('r', 3)).toBe(20)
    expect(seen.highest('a', 3)).toBeUndefined()
  })

  it('property: matches a model of (id and attempt, span, bound, oldest-first eviction, rule)', () => {
    // The model: live (id, attempt) entries in insertion order; 'newer' passes an
    // attempt above every live attempt of its id, 'exact' one not live itself.
    const op = fc.record({
      id: fc.integer({ min: 0, max: 4 }),
      attempt: fc.integer({ min: 0, max: 3 }),
      dt: fc.integer({ min: 0, max: 40 }),
      rule: fc.constantFrom<DuplicateRule>('exact', 'newer'),
    })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), (ops, max) => {
        const seen = createSeenCache({ windowMs: 50, maxEntries: max })
        const model: { id: number; attempt: number; expiry: number }[] = []
        let now = 0
        for (const { id, attempt, dt, rule } of ops) {
          now += dt
          const live = model.filter((e) => e.expiry > now)
          model.splice(0, model.length, ...live)
          const mine = live.filter((e) => e.id === id).map((e) => e.attempt)
          const top = mine.length > 0 ? Math.max(...mine) : -1
          const fresh = rule === 'exact' ? !mine.includes(attempt) : attempt > top
          expect(seen.highest(String(id), now)).toBe(top < 0 ? undefined : top)
          expect(seen.add(String(id), attempt, now, rule)).toBe(fresh)
          if (fresh) model.push({ id, attempt, expiry: now + 50 })
          while (model.length > max) model.shift()
          expect(seen.size).toBe(model.length)
          expect(seen.size).toBeLessThanOrEqual(max)
          for (const e of model) expect(seen.has(String(e.id), e.attempt, now)).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })
})

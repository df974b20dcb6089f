import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createSeenCache } from '../seenCache.ts'

describe('seen cache', () => {
  it('refuses an id again only within the window', () => {
    const seen = createSeenCache({ windowMs: 1000, maxEntries: 10 })
    expect(seen.add('a', 0)).toBe(true)
    expect(seen.has('a', 0)).toBe(true)
    expect(seen.add('a', 999)).toBe(false)
    expect(seen.has('a', 1000)).toBe(false)
    expect(seen.add('a', 1000)).toBe(true)
    // The second add starts a new window; a refused add does not extend it.
    expect(seen.add('a', 1999)).toBe(false)
    expect(seen.add('a', 2000)).toBe(true)
  })

  it('drops expired ids on the next add, so size counts live ids only', () => {
    const seen = createSeenCache({ windowMs: 100, maxEntries: 10 })
    for (let i = 0; i < 5; i++) seen.add(`x${i}`, i * 10)
    expect(seen.size).toBe(5)
    seen.add('late', 125) // x0 (expires 100), x1 (110), x2 (120) are gone
    expect(seen.size).toBe(3)
    expect(['x0', 'x1', 'x2', 'x3', 'x4'].map((id) => seen.has(id, 125))).toEqual([false, false, false, true, true])
  })

  it('keeps at most maxEntries, evicting the oldest first', () => {
    const seen = createSeenCache({ windowMs: 1_000_000, maxEntries: 3 })
    for (const id of ['a', 'b', 'c', 'd']) expect(seen.add(id, 1)).toBe(true)
    expect(seen.size).toBe(3)
    expect(seen.has('a', 1)).toBe(false)
    expect(seen.add('a', 2)).toBe(true) // forgotten, so accepted again; evicts b
    expect(['b', 'c', 'd', 'a'].map((id) => seen.has(id, 2))).toEqual([false, true, true, true])
  })

  it('property: matches a model of (window, bound, oldest-first eviction)', () => {
    const op = fc.record({ id: fc.integer({ min: 0, max: 7 }), dt: fc.integer({ min: 0, max: 40 }) })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), (ops, max) => {
        const seen = createSeenCache({ windowMs: 50, maxEntries: max })
        const model: { id: number; expiry: number }[] = []
        let now = 0
        for (const { id, dt } of ops) {
          now += dt
          const live = model.filter((e) => e.expiry > now)
          const fresh = !live.some((e) => e.id === id)
          expect(seen.add(String(id), now)).toBe(fresh)
          model.splice(0, model.length, ...live)
          if (fresh) model.push({ id, expiry: now + 50 })
          while (model.length > max) model.shift()
          expect(seen.size).toBe(model.length)
          expect(seen.size).toBeLessThanOrEqual(max)
        }
      }),
    )
  })
})

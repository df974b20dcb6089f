import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSortedKeySet } from '../sortedKeySet.ts'
import { prefixUpperBound } from '../validation.ts'

describe('createSortedKeySet', () => {
  it('agrees with a naive filter-and-sort model', () => {
    const key = fc.string({ unit: fc.constantFrom('a', 'b', '/', '\uffff', '\ud83d\ude00'), maxLength: 5 })
    const action = fc.tuple(fc.constantFrom('add', 'delete'), key)
    fc.assert(
      fc.property(fc.array(key), fc.array(action), key, (initial, actions, prefix) => {
        const set = createSortedKeySet(initial)
        const model = new Set(initial)
        for (const [kind, k] of actions) {
          if (kind === 'add') {
            set.add(k)
            model.add(k)
          } else {
            set.delete(k)
            model.delete(k)
          }
        }
        const expected = [...model].filter((k) => k.startsWith(prefix)).sort()
        expect(set.withPrefix(prefix)).toEqual(expected)
        expect(set.size).toBe(model.size)
        for (const k of model) expect(set.has(k)).toBe(true)
      }),
    )
  })
})

describe('prefixUpperBound', () => {
  it('is above every extension of the prefix and below every other greater string', () => {
    expect(prefixUpperBound('')).toBeUndefined()
    expect(prefixUpperBound('\uffff\uffff')).toBeUndefined()
    expect(prefixUpperBound('ab')).toBe('ac')
    expect(prefixUpperBound('a\uffff')).toBe('b')
    const unit = fc.constantFrom('a', 'b', '\uffff', '\ud83d')
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1, maxLength: 4 }), fc.string({ unit, maxLength: 4 }), (prefix, other) => {
        const upper = prefixUpperBound(prefix)
        if (upper === undefined) return
        expect(prefix + other < upper).toBe(true)
        if (other > prefix && !other.startsWith(prefix)) expect(other >= upper).toBe(true)
      }),
    )
  })
})

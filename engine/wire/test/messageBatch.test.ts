import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { WIRE_ERROR_NAMES } from '../errors.ts'
import { MAX_BATCH_MESSAGES, decodeMessageBatch, encodeMessageBatch } from '../messageBatch.ts'
import type { BatchedMessage } from '../messageBatch.ts'
import { bytesOf, messageBodyArb } from './arbitraries.ts'

const batchArb: fc.Arbitrary<BatchedMessage[]> = fc.array(fc.record({ id: bytesOf(16), body: messageBodyArb }), {
  minLength: 1,
  maxLength: 8,
})

function outcome(bytes: Uint8Array): 'decoded' | string {
  try {
    decodeMessageBatch(bytes)
    return 'decoded'
  } catch (error) {
    return (error as Error).name
  }
}

describe('message batch', () => {
  it('round-trips any batch, in order', () => {
    fc.assert(
      fc.property(batchArb, (items) => {
        expect(decodeMessageBatch(encodeMessageBatch(items))).toEqual(items)
      }),
      { numRuns: 200 },
    )
  })

  it('refuses empty and oversized batches on both sides with a typed error', () => {
    expect(() => encodeMessageBatch([])).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    const one = fc.sample(batchArb, { numRuns: 1, seed: 7 })[0]![0]!
    expect(() => encodeMessageBatch(Array(MAX_BATCH_MESSAGES + 1).fill(one))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    expect(outcome(Uint8Array.of(1, 0))).toBe('MalformedError')
    expect(outcome(Uint8Array.of(2, 1))).toBe('UnsupportedVersionError')
  })

  it('every truncation, extension and bit flip is a typed error or another valid batch, never a crash', () => {
    fc.assert(
      fc.property(batchArb, fc.nat(), (items, pick) => {
        const bytes = encodeMessageBatch(items)
        for (let cut = 0; cut < bytes.length; cut++) expect(WIRE_ERROR_NAMES).toContain(outcome(bytes.subarray(0, cut)))
        expect(WIRE_ERROR_NAMES).toContain(outcome(Uint8Array.of(...bytes, 0)))
        const bit = pick % (bytes.length * 8)
        const flipped = bytes.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        const result = outcome(flipped)
        expect(result === 'decoded' || WIRE_ERROR_NAMES.includes(result)).toBe(true)
      }),
      { numRuns: 60 },
    )
  })
})

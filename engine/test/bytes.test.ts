import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8Decode, utf8DecodePortable, utf8Encode, utf8EncodePortable } from '../bytes.ts'

const outcome = (fn: () => string): string => {
  try {
    return `ok:${fn()}`
  } catch (error) {
    return (error as Error).name
  }
}

describe('bytes', () => {
  it('the native and the portable UTF-8 codecs agree on every string, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        for (const text of [a, b, `\uD800${a}`, `${b}\uDFFF`]) {
          expect(toHex(utf8Encode(text))).toBe(toHex(utf8EncodePortable(text)))
        }
      }),
      { numRuns: 300 },
    )
  })

  it('the native and the portable decoders agree on random bytes: same text or both TypeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(outcome(() => utf8Decode(bytes))).toBe(outcome(() => utf8DecodePortable(bytes)))
      }),
      { numRuns: 2_000 },
    )
    // Overlong, surrogate and truncated forms, and a leading BOM (kept as text).
    for (const hex of ['c080', 'eda080', 'f4908080', 'e282', 'efbbbf41', 'f09f9880']) {
      expect(outcome(() => utf8Decode(fromHex(hex)))).toBe(outcome(() => utf8DecodePortable(fromHex(hex))))
    }
    expect(utf8Decode(fromHex('efbbbf41'))).toBe('\uFEFFA')
  })

  it('toHex is Node\'s hex of the same bytes, for any length (also across its 4,096-byte chunks), and fromHex reverses it', () => {
    const sizes = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(4_095, 4_096, 4_097, 8_192, 12_289))
    fc.assert(
      fc.property(sizes, fc.integer(), (size, seed) => {
        const bytes = Uint8Array.from({ length: size }, (_, i) => (seed * 31 + i * 131) & 255)
        const hex = toHex(bytes)
        expect(hex).toBe(Buffer.from(bytes).toString('hex'))
        expect(fromHex(hex)).toEqual(bytes)
      }),
      { numRuns: 200 },
    )
  })
})

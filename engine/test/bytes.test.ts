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
})

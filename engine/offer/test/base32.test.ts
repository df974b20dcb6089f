import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { utf8Encode } from '../../bytes.ts'
import { base32Decode, base32Encode } from '../base32.ts'

describe('base32', () => {
  // RFC 4648 §10 test vectors, padding removed.
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ]

  it('matches the RFC 4648 vectors', () => {
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(utf8Encode(plain))).toBe(encoded)
      expect(base32Decode(encoded)).toEqual(utf8Encode(plain))
    }
  })

  it('round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = base32Encode(bytes)
        expect(text).toMatch(/^[A-Z2-7]*$/)
        expect(base32Decode(text)).toEqual(bytes)
      }),
    )
  })

  it('rejects characters outside the alphabet, padding and lowercase', () => {
    for (const text of ['MZXW6YT1', 'MZXW6YT8', 'MZXW6YT0', 'MZXQ====', 'mzxq', 'MZ XQ']) {
      expect(base32Decode(text)).toBe('alphabet')
    }
  })

  it('rejects lengths no byte string produces', () => {
    for (const text of ['M', 'MZX', 'MZXW6Y', 'MZXW6YTBO']) expect(base32Decode(text)).toBe('length')
  })

  it('rejects non-zero padding bits, so every byte string has one spelling', () => {
    // 'MY' is 'f' (0x66 = 01100 110|00); 'MZ' sets a padding bit.
    expect(base32Decode('MZ')).toBe('padding')
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }).filter((b) => b.length % 5 !== 0), (bytes) => {
        const text = base32Encode(bytes)
        const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(text.at(-1)!)
        const altered = text.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[last | 1]!
        if (altered !== text) expect(base32Decode(altered)).toBe('padding')
      }),
    )
  })
})

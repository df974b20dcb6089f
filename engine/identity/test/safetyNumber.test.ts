import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { safetyNumber } from '../safetyNumber.ts'

const crypto = nobleCrypto()
const FORMAT = /^\d{5}( \d{5}){11}$/
const key = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe('safetyNumber', () => {
  it('matches a known answer computed independently', () => {
    // Made with Python's hashlib, straight from the definition in safetyNumber.ts:
    //   h = b''; 5200 times: h = sha256(b'\x00\x00' + key + h)
    //   digits = ''.join(str(int.from_bytes(h[5*c:5*c+5], 'big') % 100000).zfill(5) for c in range(6))
    // for key = bytes([1])*32 and bytes([2])*32, halves sorted and joined.
    const a = new Uint8Array(32).fill(1)
    const b = new Uint8Array(32).fill(2)
    expect(safetyNumber(crypto, a, b)).toBe('08210 86157 98961 68782 14507 86383 23103 05075 18926 72555 87122 25413')
  })

  it('is the same from both sides, always 60 digits in 12 groups', () => {
    fc.assert(
      fc.property(key, key, (mine, theirs) => {
        const here = safetyNumber(crypto, mine, theirs)
        expect(here).toMatch(FORMAT)
        expect(safetyNumber(crypto, theirs, mine)).toBe(here)
      }),
      { numRuns: 10 },
    )
  })

  it('changes when either key changes', () => {
    fc.assert(
      fc.property(key, key, fc.nat({ max: 255 }), (mine, theirs, bit) => {
        const base = safetyNumber(crypto, mine, theirs)
        const flipped = (k: Uint8Array): Uint8Array => {
          const out = k.slice()
          out[bit >> 3]! ^= 1 << (bit & 7)
          return out
        }
        expect(safetyNumber(crypto, flipped(mine), theirs)).not.toBe(base)
        expect(safetyNumber(crypto, mine, flipped(theirs))).not.toBe(base)
      }),
      { numRuns: 10 },
    )
  })
})

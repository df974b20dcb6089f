import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { fingerprint, shortFingerprint } from '../fingerprint.ts'

const crypto = nobleCrypto()

describe('fingerprint', () => {
  it('is SHA-256 of the key (known answer from Python hashlib.sha256(bytes([1]) * 32))', () => {
    const key = new Uint8Array(32).fill(1)
    expect(toHex(fingerprint(crypto, key))).toBe('72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793')
    expect(shortFingerprint(crypto, key)).toBe('72cd 6e84 22c4 07fb')
  })

  it('short form is always the first 8 bytes as 4 groups of 4 hex digits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const short = shortFingerprint(crypto, key)
        expect(short).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/)
        expect(short.replaceAll(' ', '')).toBe(toHex(fingerprint(crypto, key)).slice(0, 16))
      }),
      { numRuns: 50 },
    )
  })
})

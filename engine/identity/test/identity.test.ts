import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import type { Random } from '../../ports/random.ts'
import { SignatureContext, signWithContext } from '../contexts.ts'
import { decodeIdentity, encodeIdentity, generateIdentity, verifyBinding } from '../identity.ts'

const crypto = nobleCrypto()

function recording(inner: Random): Random & { draws: Uint8Array[] } {
  const draws: Uint8Array[] = []
  return {
    draws,
    bytes(n: number): Uint8Array {
      const out = inner.bytes(n)
      draws.push(out.slice())
      return out
    },
  }
}

function errorName(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

describe('generateIdentity', () => {
  it('takes both 32-byte seeds from the injected Random and derives the keys from them', () => {
    const random = recording(seededRandom('id'))
    const id = generateIdentity(crypto, random)
    expect(random.draws.map((d) => d.length)).toEqual([32, 32])
    expect(toHex(id.signingKey.secretKey)).toBe(toHex(random.draws[0]!))
    expect(toHex(id.staticKey.secretKey)).toBe(toHex(random.draws[1]!))
    expect(toHex(id.signingKey.publicKey)).toBe(toHex(crypto.ed25519PublicKey(random.draws[0]!)))
    expect(toHex(id.staticKey.publicKey)).toBe(toHex(crypto.x25519PublicKey(random.draws[1]!)))
  })

  it('is deterministic in its Random and differs across seeds', () => {
    const a = generateIdentity(crypto, seededRandom(1))
    expect(toHex(encodeIdentity(a))).toBe(toHex(encodeIdentity(generateIdentity(crypto, seededRandom(1)))))
    expect(toHex(a.signingKey.publicKey)).not.toBe(toHex(generateIdentity(crypto, seededRandom(2)).signingKey.publicKey))
  })
})

describe('verifyBinding', () => {
  const id = generateIdentity(crypto, seededRandom('alice'))
  const other = generateIdentity(crypto, seededRandom('mallory'))

  it('accepts the identity’s own binding', () => {
    expect(verifyBinding(crypto, id.signingKey.publicKey, id.staticKey.publicKey, id.binding)).toBe(true)
  })

  it('rejects another static key, another signer, another context, and any bit flip', () => {
    expect(verifyBinding(crypto, id.signingKey.publicKey, other.staticKey.publicKey, id.binding)).toBe(false)
    expect(verifyBinding(crypto, other.signingKey.publicKey, id.staticKey.publicKey, id.binding)).toBe(false)
    const wrongContext = signWithContext(crypto, id.signingKey.secretKey, SignatureContext.handshake, id.staticKey.publicKey)
    expect(verifyBinding(crypto, id.signingKey.publicKey, id.staticKey.publicKey, wrongContext)).toBe(false)
    for (let bit = 0; bit < 64 * 8; bit += 7) {
      const bad = id.binding.slice()
      bad[bit >> 3]! ^= 1 << (bit & 7)
      expect(verifyBinding(crypto, id.signingKey.publicKey, id.staticKey.publicKey, bad)).toBe(false)
    }
    expect(verifyBinding(crypto, id.signingKey.publicKey, id.staticKey.publicKey, id.binding.subarray(0, 63))).toBe(false)
    expect(verifyBinding(crypto, id.signingKey.publicKey, id.staticKey.publicKey.subarray(1), id.binding)).toBe(false)
  })
})

describe('encodeIdentity / decodeIdentity', () => {
  it('round-trips any generated identity, version byte first', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const id = generateIdentity(crypto, seededRandom(seed))
        const bytes = encodeIdentity(id)
        expect(bytes.length).toBe(193)
        expect(bytes[0]).toBe(1)
        const back = decodeIdentity(bytes)
        expect(toHex(encodeIdentity(back))).toBe(toHex(bytes))
        expect(verifyBinding(crypto, back.signingKey.publicKey, back.staticKey.publicKey, back.binding)).toBe(true)
      }),
      { numRuns: 20 },
    )
  })

  it('throws IdentityDecodeError on every truncation, extension, and unknown version', () => {
    const bytes = encodeIdentity(generateIdentity(crypto, seededRandom('x')))
    for (let length = 0; length < bytes.length; length++) {
      expect(errorName(() => decodeIdentity(bytes.subarray(0, length))), `length ${length}`).toBe('IdentityDecodeError')
    }
    const longer = new Uint8Array(bytes.length + 1)
    longer.set(bytes)
    expect(errorName(() => decodeIdentity(longer))).toBe('IdentityDecodeError')
    for (const version of [0, 2, 255]) {
      const bad = bytes.slice()
      bad[0] = version
      expect(errorName(() => decodeIdentity(bad))).toBe('IdentityDecodeError')
    }
  })

  it('does not alias the input buffer', () => {
    const bytes = encodeIdentity(generateIdentity(crypto, seededRandom('y')))
    const id = decodeIdentity(bytes)
    const before = toHex(id.signingKey.secretKey)
    bytes.fill(0)
    expect(toHex(id.signingKey.secretKey)).toBe(before)
  })
})

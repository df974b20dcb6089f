/**
 * nodeCrypto against the shared contract (known answers and every Wycheproof file
 * the noble suite runs), then against noble itself on random inputs (DESIGN.md §2:
 * every provider yields identical bytes), including which typed error each throws.
 * XChaCha20-Poly1305 gets the same treatment: node builds it from noble's HChaCha20
 * and OpenSSL's IETF AEAD, noble runs it whole, and each must open the other's output.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nobleCrypto } from '../../../engine/crypto/nobleCrypto.ts'
import { cryptoContract } from '../../../engine/crypto/test/cryptoContract.ts'
import type { Crypto } from '../../../engine/ports/crypto.ts'
import { nodeCrypto } from '../nodeCrypto.ts'

const noble = nobleCrypto()
const node = nodeCrypto()

cryptoContract(node)

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const nonce12 = fc.uint8Array({ minLength: 12, maxLength: 12 })
const nonce24 = fc.uint8Array({ minLength: 24, maxLength: 24 })
const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength })

/** The result, or the name of the error thrown: what two providers must agree on. */
function outcome(fn: () => Uint8Array): Uint8Array | string {
  try {
    return fn()
  } catch (err) {
    return err instanceof Error ? err.name : 'non-Error'
  }
}

/** A plain Uint8Array (toEqual tells it from a Buffer) that owns its whole ArrayBuffer. */
function expectPlain(out: Uint8Array): void {
  expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype)
  expect(out.byteOffset).toBe(0)
  expect(out.buffer.byteLength).toBe(out.length)
}

function flipBit(data: Uint8Array, bit: number): Uint8Array {
  const out = data.slice()
  out[(bit >> 3) % out.length]! ^= 1 << (bit & 7)
  return out
}

describe('nodeCrypto matches nobleCrypto', () => {
  it('AEAD: identical ciphertexts, each opens the other, both refuse tampering', () => {
    fc.assert(
      fc.property(key32, nonce12, bytes(600), bytes(80), fc.nat(), (key, nonce, plaintext, ad, bit) => {
        const sealed = node.aeadSeal(key, nonce, plaintext, ad)
        expectPlain(sealed)
        expect(sealed).toEqual(noble.aeadSeal(key, nonce, plaintext, ad))
        const opened = node.aeadOpen(key, nonce, sealed, ad)
        expectPlain(opened)
        expect(opened).toEqual(plaintext)
        expect(noble.aeadOpen(key, nonce, sealed, ad)).toEqual(plaintext)
        const bad = flipBit(sealed, bit)
        expect(outcome(() => node.aeadOpen(key, nonce, bad, ad))).toBe('DecryptError')
        expect(outcome(() => noble.aeadOpen(key, nonce, bad, ad))).toBe('DecryptError')
      }),
      { numRuns: 300 },
    )
  })

  it('AEAD: the same typed error for any key, nonce or ciphertext size', () => {
    fc.assert(
      fc.property(bytes(40), bytes(20), bytes(40), (key, nonce, data) => {
        const run = (p: Crypto): Array<Uint8Array | string> => [outcome(() => p.aeadSeal(key, nonce, data, data)), outcome(() => p.aeadOpen(key, nonce, data, data))]
        expect(run(node)).toEqual(run(noble))
      }),
      { numRuns: 300 },
    )
  })

  it('XChaCha20-Poly1305: noble seals and node opens, node seals and noble opens, identical bytes', () => {
    fc.assert(
      fc.property(key32, nonce24, bytes(600), bytes(80), fc.nat(), (key, nonce, plaintext, ad, bit) => {
        const byNoble = noble.xaeadSeal(key, nonce, plaintext, ad)
        const opened = node.xaeadOpen(key, nonce, byNoble, ad)
        expectPlain(opened)
        expect(opened).toEqual(plaintext)
        const byNode = node.xaeadSeal(key, nonce, plaintext, ad)
        expectPlain(byNode)
        expect(noble.xaeadOpen(key, nonce, byNode, ad)).toEqual(plaintext)
        expect(byNode).toEqual(byNoble)
        const bad = flipBit(byNode, bit)
        expect(outcome(() => node.xaeadOpen(key, nonce, bad, ad))).toBe('DecryptError')
        expect(outcome(() => noble.xaeadOpen(key, nonce, bad, ad))).toBe('DecryptError')
        const otherNonce = flipBit(nonce, bit)
        expect(outcome(() => node.xaeadOpen(key, otherNonce, byNode, ad))).toBe('DecryptError')
        expect(outcome(() => noble.xaeadOpen(key, otherNonce, byNode, ad))).toBe('DecryptError')
      }),
      { numRuns: 300 },
    )
  })

  it('XChaCha20-Poly1305: inputs are left untouched and unaligned views work', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 60, maxLength: 60 }), fc.integer({ min: 0, max: 3 }), bytes(100), (pool, offset, plaintext) => {
        const snapshot = pool.slice()
        const key = pool.subarray(offset, offset + 32)
        const nonce = pool.subarray(offset + 32, offset + 56)
        const sealed = node.xaeadSeal(key, nonce, plaintext, key)
        expect(pool).toEqual(snapshot)
        expect(sealed).toEqual(noble.xaeadSeal(key.slice(), nonce.slice(), plaintext, key.slice()))
        expect(node.xaeadOpen(key, nonce, sealed, key)).toEqual(plaintext)
        expect(pool).toEqual(snapshot)
      }),
      { numRuns: 100 },
    )
  })

  it('XChaCha20-Poly1305: the same typed error for any key, nonce or ciphertext size', () => {
    fc.assert(
      fc.property(bytes(40), bytes(30), bytes(40), (key, nonce, data) => {
        const run = (p: Crypto): Array<Uint8Array | string> => [outcome(() => p.xaeadSeal(key, nonce, data, data)), outcome(() => p.xaeadOpen(key, nonce, data, data))]
        expect(run(node)).toEqual(run(noble))
      }),
      { numRuns: 300 },
    )
    for (const keyLength of [0, 31, 32, 33]) {
      for (const nonceLength of [0, 12, 23, 24, 25]) {
        const key = new Uint8Array(keyLength)
        const nonce = new Uint8Array(nonceLength)
        for (const data of [new Uint8Array(0), new Uint8Array(16)]) {
          const run = (p: Crypto): Array<Uint8Array | string> => [outcome(() => p.xaeadSeal(key, nonce, data, data)), outcome(() => p.xaeadOpen(key, nonce, data, data))]
          expect(run(node)).toEqual(run(noble))
        }
      }
    }
  })

  it('X25519: identical public keys and shared secrets, or the same typed error', () => {
    fc.assert(
      fc.property(key32, key32, key32, (a, b, rawPublic) => {
        const publicA = node.x25519PublicKey(a)
        expectPlain(publicA)
        expect(publicA).toEqual(noble.x25519PublicKey(a))
        const shared = node.x25519(b, publicA)
        expectPlain(shared)
        expect(shared).toEqual(noble.x25519(b, noble.x25519PublicKey(a)))
        expect(shared).toEqual(node.x25519(a, node.x25519PublicKey(b)))
        // Any 32 bytes are a u-coordinate (RFC 7748 §5), high bit and all.
        expect(outcome(() => node.x25519(a, rawPublic))).toEqual(outcome(() => noble.x25519(a, rawPublic)))
      }),
      { numRuns: 150 },
    )
  })

  it('X25519: the same typed error for wrong sizes', () => {
    fc.assert(
      fc.property(bytes(40), bytes(40), (secret, pub) => {
        expect(outcome(() => node.x25519PublicKey(secret))).toEqual(outcome(() => noble.x25519PublicKey(secret)))
        expect(outcome(() => node.x25519(secret, pub))).toEqual(outcome(() => noble.x25519(secret, pub)))
      }),
      { numRuns: 200 },
    )
  })

  it('Ed25519: identical keys and signatures; each verifies the other; both reject a tampered message', () => {
    fc.assert(
      fc.property(key32, bytes(300), fc.nat(), (seed, message, bit) => {
        const pub = node.ed25519PublicKey(seed)
        expectPlain(pub)
        expect(pub).toEqual(noble.ed25519PublicKey(seed))
        const sig = node.ed25519Sign(seed, message)
        expectPlain(sig)
        expect(sig).toEqual(noble.ed25519Sign(seed, message))
        expect(node.ed25519Verify(sig, message, pub)).toBe(true)
        expect(noble.ed25519Verify(sig, message, pub)).toBe(true)
        const badSig = flipBit(sig, bit)
        expect(node.ed25519Verify(badSig, message, pub)).toBe(noble.ed25519Verify(badSig, message, pub))
        const badPub = flipBit(pub, bit)
        expect(node.ed25519Verify(sig, message, badPub)).toBe(noble.ed25519Verify(sig, message, badPub))
        if (message.length > 0) {
          const badMessage = flipBit(message, bit)
          expect(node.ed25519Verify(sig, badMessage, pub)).toBe(false)
          expect(noble.ed25519Verify(sig, badMessage, pub)).toBe(false)
        }
      }),
      { numRuns: 100 },
    )
  })

  it('Ed25519: the same answer for arbitrary 64-byte signatures and 32-byte keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), bytes(40), key32, (sig, message, pub) => {
        expect(node.ed25519Verify(sig, message, pub)).toBe(noble.ed25519Verify(sig, message, pub))
      }),
      { numRuns: 200 },
    )
  })

  it('Ed25519: the same typed error for a wrong seed size', () => {
    fc.assert(
      fc.property(bytes(40), (seed) => {
        expect(outcome(() => node.ed25519PublicKey(seed))).toEqual(outcome(() => noble.ed25519PublicKey(seed)))
        expect(outcome(() => node.ed25519Sign(seed, seed))).toEqual(outcome(() => noble.ed25519Sign(seed, seed)))
      }),
      { numRuns: 200 },
    )
  })

  it('SHA-256 and HMAC-SHA256: identical for any key and data length', () => {
    fc.assert(
      fc.property(bytes(200), bytes(300), (key, data) => {
        const digest = node.sha256(data)
        expectPlain(digest)
        expect(digest).toEqual(noble.sha256(data))
        const mac = node.hmacSha256(key, data)
        expectPlain(mac)
        expect(mac).toEqual(noble.hmacSha256(key, data))
      }),
      { numRuns: 300 },
    )
  })

  it('HKDF-SHA256: identical for any input and length, empty output and long info included', () => {
    fc.assert(
      fc.property(bytes(100), bytes(100), bytes(1100), fc.integer({ min: 0, max: 600 }), (ikm, salt, info, length) => {
        const okm = node.hkdfSha256(ikm, salt, info, length)
        expect(Object.getPrototypeOf(okm)).toBe(Uint8Array.prototype)
        expect(okm).toEqual(noble.hkdfSha256(ikm, salt, info, length))
      }),
      { numRuns: 200 },
    )
  })

  it('HKDF-SHA256: OpenSSL-refused corners (info over 1024 bytes, zero length, the 255 * 32 maximum)', () => {
    const ikm = new Uint8Array(32).fill(1)
    const salt = new Uint8Array(0)
    for (const info of [new Uint8Array(1024).fill(2), new Uint8Array(1025).fill(2), new Uint8Array(5000).fill(2)]) {
      for (const length of [0, 1, 32, 255 * 32]) {
        expect(node.hkdfSha256(ikm, salt, info, length)).toEqual(noble.hkdfSha256(ikm, salt, info, length))
      }
    }
  })

  it('HKDF-SHA256: the same typed error for an impossible length', () => {
    const empty = new Uint8Array(0)
    for (const length of [-1, 255 * 32 + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(outcome(() => node.hkdfSha256(empty, empty, empty, length))).toBe('InvalidLengthError')
      expect(outcome(() => noble.hkdfSha256(empty, empty, empty, length))).toBe('InvalidLengthError')
    }
  })
})

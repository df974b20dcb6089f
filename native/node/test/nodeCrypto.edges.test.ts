/**
 * Inputs on which raw OpenSSL and noble's strict Ed25519 disagree (found probing
 * OpenSSL 3.0.19 and 3.5.8; Wycheproof's ed25519 file has none of them), and the
 * KeyObject caches. Each case asserts nodeCrypto gives noble's answer.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { concat, fromHex, utf8Encode } from '../../../engine/bytes.ts'
import { nobleCrypto } from '../../../engine/crypto/nobleCrypto.ts'
import { nodeCrypto } from '../nodeCrypto.ts'

const noble = nobleCrypto()
const node = nodeCrypto()

const { Point } = ed25519
const L = Point.Fn.ORDER
const P = 2n ** 255n - 19n
const message = utf8Encode('edge')
const seed = new Uint8Array(32).fill(3)
const { scalar } = ed25519.utils.getExtendedPublicKey(seed)

// The eight points of order dividing 8, canonically encoded ("Taming the many
// EdDSAs", Chalkias et al. 2020): orders 1, 2, 4, 4, 8, 8, 8, 8.
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
].map(fromHex)
const IDENTITY = SMALL_ORDER[0]!
const ZERO_S = new Uint8Array(32)

const le = (n: bigint): Uint8Array => numberToBytesLE(n, 32)
const modL = (n: bigint): bigint => ((n % L) + L) % L
const challenge = (r: Uint8Array, a: Uint8Array): bigint => modL(bytesToNumberLE(sha512(concat(r, a, message))))

function expectBoth(sig: Uint8Array, pub: Uint8Array, expected: boolean): void {
  expect(noble.ed25519Verify(sig, message, pub)).toBe(expected)
  expect(node.ed25519Verify(sig, message, pub)).toBe(expected)
}

describe('nodeCrypto Ed25519 where OpenSSL and strict RFC 8032 disagree', () => {
  it('rejects small-order public keys (raw OpenSSL accepts R = identity, S = 0 under orders 1, 2 and 4)', () => {
    for (const pub of SMALL_ORDER) {
      expectBoth(concat(IDENTITY, ZERO_S), pub, false)
      for (const r of SMALL_ORDER) expectBoth(concat(r, ZERO_S), pub, false)
    }
  })

  it('rejects non-canonical public keys: y >= p, and x = 0 with the sign bit set (raw OpenSSL accepts both)', () => {
    const sig = concat(IDENTITY, ZERO_S)
    for (let k = 0n; k < 19n; k++) {
      const pub = le(P + k)
      expectBoth(sig, pub, false)
      pub[31]! |= 0x80
      expectBoth(sig, pub, false)
    }
    for (const y of [1n, P - 1n]) {
      const pub = le(y)
      pub[31]! |= 0x80
      expectBoth(sig, pub, false)
    }
  })

  it('rejects S >= L however the rest looks', () => {
    const pub = noble.ed25519PublicKey(seed)
    const sig = noble.ed25519Sign(seed, message)
    const s = bytesToNumberLE(sig.subarray(32))
    expectBoth(sig, pub, true)
    for (const bad of [s + L, L, 2n ** 256n - 1n]) expectBoth(concat(sig.subarray(0, 32), le(bad)), pub, false)
  })

  it('rejects public keys that are not on the curve (OpenSSL imports them unchecked)', () => {
    let offCurve = 0
    for (let y = 2; y < 64; y++) {
      const pub = new Uint8Array(32)
      pub[0] = y
      if (ed25519.utils.isValidPublicKey(pub, false)) continue
      offCurve++
      expectBoth(concat(IDENTITY, ZERO_S), pub, false)
      expectBoth(noble.ed25519Sign(seed, message), pub, false)
    }
    expect(offCurve).toBeGreaterThan(10)
  })

  // Regression: OpenSSL checks the cofactorless equation [S]B = R + [k]A and
  // rejected these; noble checks [8][S]B = [8]R + [8][k]A and accepts them. A
  // signer who adds a small-order point to R or to its own key can craft them.
  it('accepts what the cofactored equation accepts: R with a small-order component', () => {
    const pub = noble.ed25519PublicKey(seed)
    const r = 12345678901234567890n
    for (const torsion of SMALL_ORDER.slice(1)) {
      const rBytes = Point.BASE.multiply(r).add(Point.fromBytes(torsion)).toBytes()
      const s = modL(r + challenge(rBytes, pub) * scalar)
      expectBoth(concat(rBytes, le(s)), pub, true)
    }
  })

  it('accepts what the cofactored equation accepts: a public key with a small-order component', () => {
    const r = 98765432109876543210n
    const rBytes = Point.BASE.multiply(r).toBytes()
    for (const torsion of SMALL_ORDER.slice(1)) {
      const pub = Point.BASE.multiply(scalar).add(Point.fromBytes(torsion)).toBytes()
      const s = modL(r + challenge(rBytes, pub) * scalar)
      expectBoth(concat(rBytes, le(s)), pub, true)
      // Still bound to the message.
      expect(node.ed25519Verify(concat(rBytes, le(s)), utf8Encode('other'), pub)).toBe(false)
    }
  })
})

describe('nodeCrypto key caches', () => {
  it('stay correct past their bound, and an invalid key cached once stays invalid', () => {
    const provider = nodeCrypto()
    const seeds = Array.from({ length: 300 }, (_, i) => Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7) & 0xff))
    const signed = seeds.map((s) => ({ sig: noble.ed25519Sign(s, message), pub: noble.ed25519PublicKey(s) }))
    for (let round = 0; round < 2; round++) {
      for (const { sig, pub } of signed) expect(provider.ed25519Verify(sig, message, pub)).toBe(true)
      expect(provider.ed25519Verify(concat(IDENTITY, ZERO_S), message, IDENTITY)).toBe(false)
    }
    for (const [i, s] of seeds.entries()) {
      expect(provider.ed25519Sign(s, message)).toEqual(signed[i]!.sig)
      expect(provider.x25519PublicKey(s)).toEqual(noble.x25519PublicKey(s))
    }
  })

  it('key on the bytes, not the array: a key mutated in place is a new key', () => {
    const provider = nodeCrypto()
    const secret = new Uint8Array(32).fill(5)
    const peer = noble.x25519PublicKey(new Uint8Array(32).fill(6))
    for (let i = 0; i < 3; i++) {
      secret[0] = i
      expect(provider.x25519PublicKey(secret)).toEqual(noble.x25519PublicKey(secret))
      expect(provider.x25519(secret, peer)).toEqual(noble.x25519(secret, peer))
      expect(provider.ed25519PublicKey(secret)).toEqual(noble.ed25519PublicKey(secret))
      expect(provider.ed25519Sign(secret, message)).toEqual(noble.ed25519Sign(secret, message))
    }
  })

  it('read a key through its view, not its whole ArrayBuffer', () => {
    const provider = nodeCrypto()
    const backing = new Uint8Array(96)
    const views = [backing.subarray(0, 32).fill(4), backing.subarray(32, 64).fill(5), backing.subarray(64).fill(6)]
    for (const secret of views) {
      expect(provider.x25519PublicKey(secret)).toEqual(noble.x25519PublicKey(secret))
      expect(provider.ed25519PublicKey(secret)).toEqual(noble.ed25519PublicKey(secret))
    }
  })
})

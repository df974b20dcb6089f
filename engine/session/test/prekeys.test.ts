import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../bytes.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { SignatureContext, signWithContext } from '../../identity/contexts.ts'
import { generateIdentity } from '../../identity/identity.ts'
import {
  addOneTimePrekeys, consumeOneTimePrekey, createPrekeySecrets, decodePrekeySecrets, dropPreviousSignedPrekey,
  encodePrekeySecrets, findOneTimePrekey, findSignedPrekey, MAX_PREVIOUS_SIGNED_PREKEYS, prekeyBundleOf, rotateSignedPrekey,
} from '../prekeySecrets.ts'
import {
  decodePrekeyBundle, encodePrekeyBundle, generateOneTimePrekeys, generateSignedPrekey, MAX_BUNDLE_ONE_TIME_PREKEYS,
  verifyPrekeyBundle,
} from '../prekeys.ts'
import type { PrekeyBundle } from '../prekeys.ts'
import { crypto, errorName } from './harness.ts'

const random = seededRandom('prekeys')
const identity = generateIdentity(crypto, random)
const signed = generateSignedPrekey(crypto, random, identity, 42)
const oneTime = generateOneTimePrekeys(crypto, random, 1000, MAX_BUNDLE_ONE_TIME_PREKEYS + 5)

describe('prekey generation', () => {
  it('signs id || public key in the prekey context only', () => {
    const bundle = prekeyBundleOf(identity, createPrekeySecrets(signed))
    expect(verifyPrekeyBundle(crypto, bundle)).toBe(true)
    const message = Uint8Array.of(0, 0, 0, 42, ...signed.keyPair.publicKey)
    const wrongContext = signWithContext(crypto, identity.signingKey.secretKey, SignatureContext.staticBinding, message)
    expect(verifyPrekeyBundle(crypto, { ...bundle, signedPrekey: { ...bundle.signedPrekey, signature: wrongContext } })).toBe(false)
    const rightContext = signWithContext(crypto, identity.signingKey.secretKey, SignatureContext.prekey, message)
    expect(toHex(rightContext)).toBe(toHex(signed.signature))
  })

  it('numbers one-time prekeys from firstId, each a fresh key, and refuses ids past u32', () => {
    expect(oneTime.slice(0, 3).map((k) => k.id)).toEqual([1000, 1001, 1002])
    expect(new Set(oneTime.map((k) => toHex(k.keyPair.publicKey))).size).toBe(oneTime.length)
    expect(errorName(() => generateOneTimePrekeys(crypto, random, 0xffffffff, 2))).toBe('MalformedError')
    expect(errorName(() => generateOneTimePrekeys(crypto, random, 0, -1))).toBe('MalformedError')
    expect(errorName(() => generateSignedPrekey(crypto, random, identity, -1))).toBe('MalformedError')
  })
})

describe('prekey bundle codec', () => {
  const bundleArb = fc.integer({ min: 0, max: MAX_BUNDLE_ONE_TIME_PREKEYS }).map((n) =>
    prekeyBundleOf(identity, createPrekeySecrets(signed, oneTime.slice(0, n))),
  )

  it('round-trips and still verifies', () => {
    fc.assert(
      fc.property(bundleArb, (bundle) => {
        const bytes = encodePrekeyBundle(bundle)
        expect(bytes.length).toBe(230 + 36 * bundle.oneTimePrekeys.length)
        const decoded = decodePrekeyBundle(bytes)
        expect(decoded).toEqual(bundle)
        expect(verifyPrekeyBundle(crypto, decoded)).toBe(true)
      }),
      { numRuns: 15 },
    )
  })

  it('every truncation, a trailing byte, a newer version, too many or repeated one-time prekeys: typed errors', () => {
    const bytes = encodePrekeyBundle(prekeyBundleOf(identity, createPrekeySecrets(signed, oneTime.slice(0, 2))))
    for (let n = 0; n < bytes.length; n++) expect(errorName(() => decodePrekeyBundle(bytes.subarray(0, n)))).toBe('MalformedError')
    expect(errorName(() => decodePrekeyBundle(Uint8Array.of(...bytes, 0)))).toBe('MalformedError')
    expect(errorName(() => decodePrekeyBundle(Uint8Array.of(2, ...bytes.subarray(1))))).toBe('UnsupportedVersionError')
    const repeated = bytes.slice()
    repeated.set(bytes.subarray(230, 234), 266)
    expect(errorName(() => decodePrekeyBundle(repeated))).toBe('MalformedError')
    const tooMany = bytes.slice()
    tooMany[229] = MAX_BUNDLE_ONE_TIME_PREKEYS + 1
    expect(errorName(() => decodePrekeyBundle(tooMany))).toBe('MalformedError')
    const base = prekeyBundleOf(identity, createPrekeySecrets(signed, oneTime.slice(0, 1)))
    const twice: PrekeyBundle = { ...base, oneTimePrekeys: [base.oneTimePrekeys[0]!, base.oneTimePrekeys[0]!] }
    expect(errorName(() => encodePrekeyBundle(twice))).toBe('MalformedError')
    expect(errorName(() => encodePrekeyBundle({ ...base, oneTimePrekeys: oneTime.map((k) => ({ id: k.id, publicKey: k.keyPair.publicKey })) })))
      .toBe('MalformedError')
  })

  it('any bit flip of an encoded bundle either fails to decode or fails to verify', () => {
    const bytes = encodePrekeyBundle(prekeyBundleOf(identity, createPrekeySecrets(signed)))
    for (let bit = 0; bit < 229 * 8; bit += 3) {
      const bad = bytes.slice()
      bad[bit >> 3]! ^= 1 << (bit & 7)
      let ok = false
      try {
        ok = verifyPrekeyBundle(crypto, decodePrekeyBundle(bad))
      } catch (err) {
        expect(['MalformedError', 'UnsupportedVersionError']).toContain((err as Error).name)
      }
      expect(ok).toBe(false)
    }
  })
})

describe('prekey secrets', () => {
  const next = generateSignedPrekey(crypto, random, identity, 43)

  it('round-trip through storage, with no, one and several previous signed prekeys', () => {
    const secrets = createPrekeySecrets(signed, oneTime.slice(0, 7))
    const once = rotateSignedPrekey(secrets, next)
    const twice = rotateSignedPrekey(once, generateSignedPrekey(crypto, random, identity, 44))
    for (const s of [secrets, once, twice]) {
      const bytes = encodePrekeySecrets(s)
      expect(decodePrekeySecrets(bytes)).toEqual(s)
      for (let n = 0; n < bytes.length; n += 7) expect(errorName(() => decodePrekeySecrets(bytes.subarray(0, n)))).toBe('MalformedError')
      expect(errorName(() => decodePrekeySecrets(Uint8Array.of(...bytes, 1)))).toBe('MalformedError')
      expect(errorName(() => decodePrekeySecrets(Uint8Array.of(9, ...bytes.subarray(1))))).toBe('UnsupportedVersionError')
    }
  })

  it('writes version 1 (the earlier layout, byte for byte) while at most one previous signed prekey is held', () => {
    const once = rotateSignedPrekey(createPrekeySecrets(signed, oneTime.slice(0, 2)), next)
    const spk = (k: typeof signed): number[] => [0, 0, 0, k.id, ...k.keyPair.secretKey, ...k.keyPair.publicKey, ...k.signature]
    const opks = [0, 0, 0, 2, ...oneTime.slice(0, 2).flatMap((k) => [0, 0, 3, k.id - 768, ...k.keyPair.secretKey, ...k.keyPair.publicKey])]
    // The layout earlier builds wrote: version 1, flags bit 0 = a previous signed prekey follows.
    expect(toHex(encodePrekeySecrets(once))).toBe(toHex(Uint8Array.of(1, 1, ...spk(next), ...spk(signed), ...opks)))
    expect(encodePrekeySecrets(createPrekeySecrets(signed))[0]).toBe(1)
    const twice = encodePrekeySecrets(rotateSignedPrekey(once, generateSignedPrekey(crypto, random, identity, 44)))
    expect([twice[0], twice[1]]).toEqual([2, 2])
    // Version 1 never had more than one previous signed prekey.
    expect(errorName(() => decodePrekeySecrets(Uint8Array.of(1, ...twice.subarray(1))))).toBe('MalformedError')
  })

  it('rotation keeps previous signed prekeys, newest first, until each is dropped', () => {
    const third = generateSignedPrekey(crypto, random, identity, 44)
    const rotated = rotateSignedPrekey(rotateSignedPrekey(createPrekeySecrets(signed), next), third)
    expect(findSignedPrekey(rotated, 44)).toBe(third)
    expect(findSignedPrekey(rotated, 43)).toBe(next)
    expect(findSignedPrekey(rotated, 42)).toBe(signed)
    expect(rotated.previousSignedPrekeys.map((k) => k.id)).toEqual([43, 42])
    const dropped = dropPreviousSignedPrekey(rotated, 42)
    expect(findSignedPrekey(dropped, 42)).toBeNull()
    expect(findSignedPrekey(dropped, 43)).toBe(next)
    expect(toHex(encodePrekeySecrets(dropped))).not.toContain(toHex(signed.keyPair.secretKey))
    // The current one is never dropped this way.
    expect(dropPreviousSignedPrekey(rotated, 44).signedPrekey).toBe(third)
    expect(errorName(() => rotateSignedPrekey(rotated, third))).toBe('MalformedError')
    expect(errorName(() => rotateSignedPrekey(rotated, generateSignedPrekey(crypto, random, identity, 42)))).toBe('MalformedError')
  })

  it('keeps at most MAX_PREVIOUS_SIGNED_PREKEYS previous ones: a rotation beyond drops the oldest', () => {
    let secrets = createPrekeySecrets(signed)
    for (let id = 100; id < 100 + MAX_PREVIOUS_SIGNED_PREKEYS + 2; id++) {
      secrets = rotateSignedPrekey(secrets, generateSignedPrekey(crypto, random, identity, id))
    }
    expect(secrets.previousSignedPrekeys).toHaveLength(MAX_PREVIOUS_SIGNED_PREKEYS)
    expect(findSignedPrekey(secrets, 42)).toBeNull()
    expect(findSignedPrekey(secrets, 100)).toBeNull()
    expect(findSignedPrekey(secrets, 101)).not.toBeNull()
    expect(decodePrekeySecrets(encodePrekeySecrets(secrets))).toEqual(secrets)
  })

  it('consuming a one-time prekey deletes it from the stored bytes', () => {
    const secrets = createPrekeySecrets(signed, oneTime.slice(0, 3))
    const consumed = consumeOneTimePrekey(secrets, 1001)
    expect(findOneTimePrekey(consumed, 1001)).toBeNull()
    expect(consumed.oneTimePrekeys.map((k) => k.id)).toEqual([1000, 1002])
    expect(toHex(encodePrekeySecrets(consumed))).not.toContain(toHex(oneTime[1]!.keyPair.secretKey))
    expect(secrets.oneTimePrekeys).toHaveLength(3)
  })

  it('refuses repeated one-time prekey ids, and the bundle carries at most the limit', () => {
    const secrets = createPrekeySecrets(signed, oneTime.slice(0, 3))
    expect(errorName(() => addOneTimePrekeys(secrets, oneTime.slice(2, 4)))).toBe('MalformedError')
    const all = addOneTimePrekeys(secrets, oneTime.slice(3))
    expect(prekeyBundleOf(identity, all).oneTimePrekeys).toHaveLength(MAX_BUNDLE_ONE_TIME_PREKEYS)
    expect(prekeyBundleOf(identity, all, 5).oneTimePrekeys.map((k) => k.id)).toEqual([1000, 1001, 1002, 1003, 1004])
  })
})

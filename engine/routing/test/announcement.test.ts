import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { SignatureContext, signWithContext } from '../../identity/contexts.ts'
import { generateSignedPrekey } from '../../session/prekeys.ts'
import { flipBit } from '../../wire/test/arbitraries.ts'
import { createAnnouncement, parseAnnouncement, verifyAnnouncement } from '../announcement.ts'
import type { AnnouncementFields } from '../announcement.ts'
import { createAnnouncementVerifier } from '../announcementVerifier.ts'
import { ANNOUNCEMENT_ERROR_NAMES, isAnnouncementError } from '../errors.ts'
import { identityOf, T0 } from './routerNet.ts'

const crypto = nobleCrypto()
const alice = identityOf('A')
const spk = generateSignedPrekey(crypto, seededRandom('announce-spk'), alice, 7)
const prekey = { id: spk.id, publicKey: spk.keyPair.publicKey, signature: spk.signature }
const plain: AnnouncementFields = { seqno: 1, issuedAt: T0, custodian: false, prekey: null }
const full: AnnouncementFields = { seqno: 0xffffffff, issuedAt: T0, custodian: true, prekey }

function expectAnnouncementError(fn: () => unknown, name?: string): void {
  try {
    fn()
  } catch (err) {
    expect(ANNOUNCEMENT_ERROR_NAMES).toContain((err as Error).name)
    if (name) expect((err as Error).name).toBe(name)
    return
  }
  expect.fail('expected a typed announcement error')
}

describe('announcement', () => {
  it('round-trips with and without a prekey, and the prekey is the one prekeys.ts signed', () => {
    for (const fields of [plain, full]) {
      const bytes = createAnnouncement(crypto, alice, fields)
      expect(bytes.length).toBe(fields.prekey ? 208 : 108)
      expect(verifyAnnouncement(crypto, bytes, { now: T0 })).toEqual({ ...fields, origin: alice.signingKey.publicKey })
    }
  })

  it('lays out version, origin, seqno, issuedAt and flags as documented', () => {
    const bytes = createAnnouncement(crypto, alice, { ...full, seqno: 0x01020304, issuedAt: 0x0a0b0c0d0e0f })
    expect(bytes[0]).toBe(1)
    expect(toHex(bytes.subarray(1, 33))).toBe(toHex(alice.signingKey.publicKey))
    expect(toHex(bytes.subarray(33, 43))).toBe('010203040a0b0c0d0e0f')
    expect(bytes[43]).toBe(0b11)
    expect(toHex(bytes.subarray(44, 48))).toBe('00000007')
    expect(parseAnnouncement(bytes).body.length).toBe(208 - 64)
  })

  it('rejects every flipped byte and every truncation with a typed error', () => {
    for (const fields of [plain, full]) {
      const bytes = createAnnouncement(crypto, alice, fields)
      for (let i = 0; i < bytes.length; i++) expectAnnouncementError(() => verifyAnnouncement(crypto, flipBit(bytes, i * 8 + (i % 8))))
      for (let cut = 0; cut < bytes.length; cut++) expectAnnouncementError(() => verifyAnnouncement(crypto, bytes.subarray(0, cut)), 'MalformedError')
      expectAnnouncementError(() => verifyAnnouncement(crypto, Uint8Array.of(...bytes, 0)), 'MalformedError')
    }
  })

  it('names what is wrong: version, flags, signature, prekey signature', () => {
    const bytes = createAnnouncement(crypto, alice, plain)
    expectAnnouncementError(() => verifyAnnouncement(crypto, Uint8Array.of(2, ...bytes.subarray(1))), 'UnsupportedVersionError')
    const flags = bytes.slice()
    flags[43] = 4
    expectAnnouncementError(() => verifyAnnouncement(crypto, flags), 'MalformedError')
    // Bob's signature over Alice's announcement: the origin field decides whose key verifies.
    const body = parseAnnouncement(bytes).body
    const bob = signWithContext(crypto, identityOf('B').signingKey.secretKey, SignatureContext.announce, body)
    expect(() => verifyAnnouncement(crypto, Uint8Array.of(...body, ...bob))).toThrow(
      expect.objectContaining({ name: 'BadAnnouncementSignatureError', part: 'announcement' }),
    )
    // Alice's own signature, but in another context, never verifies here (DESIGN.md §3).
    const otherContext = signWithContext(crypto, alice.signingKey.secretKey, SignatureContext.prekey, body)
    expectAnnouncementError(() => verifyAnnouncement(crypto, Uint8Array.of(...body, ...otherContext)), 'BadAnnouncementSignatureError')
    const badPrekey = createAnnouncement(crypto, alice, { ...full, prekey: { ...prekey, id: 8 } })
    expect(() => verifyAnnouncement(crypto, badPrekey)).toThrow(
      expect.objectContaining({ name: 'BadAnnouncementSignatureError', part: 'prekey' }),
    )
  })

  it('refuses a stale or far-future announcement when given a clock', () => {
    const bytes = createAnnouncement(crypto, alice, plain)
    expect(verifyAnnouncement(crypto, bytes).seqno).toBe(1) // no clock, no freshness check
    expect(verifyAnnouncement(crypto, bytes, { now: T0 + 15 * 60_000 }).seqno).toBe(1)
    expectAnnouncementError(() => verifyAnnouncement(crypto, bytes, { now: T0 + 15 * 60_000 + 1 }), 'StaleAnnouncementError')
    expectAnnouncementError(() => verifyAnnouncement(crypto, bytes, { now: T0 - 5 * 60_000 - 1 }), 'StaleAnnouncementError')
    expect(verifyAnnouncement(crypto, bytes, { now: T0 + 1000, maxAgeMs: 1000 }).seqno).toBe(1)
    expect(() => verifyAnnouncement(crypto, bytes, { now: T0 + 1001, maxAgeMs: 1000 })).toThrow(/issued 1001 ms ago/)
  })

  it('refuses out-of-range fields when creating', () => {
    for (const bad of [{ seqno: 2 ** 32 }, { seqno: -1 }, { issuedAt: 2 ** 48 }, { prekey: { ...prekey, publicKey: new Uint8Array(31) } }]) {
      expect(() => createAnnouncement(crypto, alice, { ...plain, ...bad })).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    }
  })

  it('never throws untyped on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 260 }), (bytes) => {
        expect(() => verifyAnnouncement(crypto, bytes)).toThrow()
        try {
          verifyAnnouncement(crypto, bytes)
        } catch (err) {
          expect(isAnnouncementError(err)).toBe(true)
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('announcement verifier', () => {
  it('checks each announcement’s signatures once, and a forgery under a cached key afresh', () => {
    const verifier = createAnnouncementVerifier(crypto)
    const bytes = createAnnouncement(crypto, alice, full)
    const first = verifier.verify(bytes, T0)
    expect(verifier.verify(bytes.slice(), T0 + 1)).toBe(first)
    expect(verifier.verifications).toBe(1)
    expect(first.bytes).not.toBe(bytes) // a private copy: the caller may reuse its buffer
    // Same origin and seqno, other content: verified, refused, and the cache keeps the genuine one.
    const forged = createAnnouncement(crypto, identityOf('B'), full)
    forged.set(alice.signingKey.publicKey, 1)
    expectAnnouncementError(() => verifier.verify(forged, T0), 'BadAnnouncementSignatureError')
    expect(verifier.verifications).toBe(2)
    expect(verifier.verify(bytes, T0)).toBe(first)
    expect(verifier.verifications).toBe(2)
    // Freshness is checked on every call, cached or not.
    expectAnnouncementError(() => verifier.verify(bytes, T0 + 60 * 60_000), 'StaleAnnouncementError')
  })

  it('is bounded, evicting the least recently used', () => {
    const verifier = createAnnouncementVerifier(crypto, { maxEntries: 2 })
    const [one, two, three] = [1, 2, 3].map((seqno) => createAnnouncement(crypto, alice, { ...plain, seqno })) as [Uint8Array, Uint8Array, Uint8Array]
    verifier.verify(one, T0)
    verifier.verify(two, T0)
    verifier.verify(one, T0) // one is now the most recent
    verifier.verify(three, T0) // evicts two
    expect(verifier.size).toBe(2)
    verifier.verify(one, T0)
    expect(verifier.verifications).toBe(3)
    verifier.verify(two, T0)
    expect(verifier.verifications).toBe(4)
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { SignatureContext, signWithContext } from '../../identity/contexts.ts'
import type { SignatureContextValue } from '../../identity/contexts.ts'
import { bytesOf, flipBit, u48 } from '../../wire/test/arbitraries.ts'
import { MAX_RELAY_URL_BYTES } from '../../wire/profileFields.ts'
import { isReachError } from '../errors.ts'
import {
  decodeReachRecord,
  encodeReachRecord,
  encodeReachRecordBody,
  isNewer,
  MAX_REACH_LIFETIME_MS,
  signReachRecord,
  verifyReachRecord,
} from '../reachRecord.ts'
import type { ReachRecord, ReachRecordFields } from '../reachRecord.ts'
import { alice, crypto, DAY, expectReachError, MINUTE, relay1, relay2, relay3, relayAt, T0 } from './reachKit.ts'

const one: ReachRecordFields = { seqno: 1, issuedAt: T0, expiresAt: T0 + DAY, relays: [relayAt(relay1, 'ws://a')] }
const three: ReachRecordFields = {
  seqno: 2 ** 48 - 1,
  issuedAt: T0,
  expiresAt: T0 + MAX_REACH_LIFETIME_MS,
  relays: [relay1, relay2, relay3].map((relay, i) => relayAt(relay, `wss://r${i}.example.org/${'p'.repeat(MAX_RELAY_URL_BYTES - 21)}`)),
}
const aliceKey = alice.signingKey.publicKey

/** A record Alice signs over whatever body, bypassing signReachRecord's own checks. */
function signedAnyway(fields: ReachRecordFields, context: SignatureContextValue = SignatureContext.reach, signer = alice): Uint8Array {
  const record: ReachRecord = { ...fields, identity: aliceKey }
  const signature = signWithContext(crypto, signer.signingKey.secretKey, context, encodeReachRecordBody(record))
  return encodeReachRecord({ record, signature })
}

describe('reach record', () => {
  it('lays out version, identity, seqno, times, count and relays as documented, 155..986 bytes', () => {
    const bytes = signReachRecord(crypto, alice, { ...one, seqno: 0x010203040506, issuedAt: 0x0a0b0c0d0e0f, expiresAt: 0x0a0b0c0d0e0f + 1 })
    expect(bytes.length).toBe(155)
    expect(bytes[0]).toBe(1)
    expect(toHex(bytes.subarray(1, 33))).toBe(toHex(aliceKey))
    expect(toHex(bytes.subarray(33, 52))).toBe('0102030405060a0b0c0d0e0f0a0b0c0d0e1001')
    expect(toHex(bytes.subarray(52, 84))).toBe(toHex(relay1.signingKey.publicKey))
    expect(toHex(bytes.subarray(84, 91))).toBe('0677733a2f2f61') // length 6, "ws://a"
    expect(decodeReachRecord(bytes).body.length).toBe(155 - 64)
    expect(signReachRecord(crypto, alice, three).length).toBe(986)
  })

  it('round-trips any valid fields through sign, decode and verify', () => {
    const relayArb = fc.record({ identity: bytesOf(32), address: fc.constantFrom('ws://a', 'wss://relay.example.org', 'ws://[::1]:1/x?y=1') })
    const fieldsArb = fc.record({
      seqno: u48,
      issuedAt: fc.integer({ min: 0, max: 2 ** 47 }),
      lifetime: fc.integer({ min: 1, max: MAX_REACH_LIFETIME_MS }),
      relays: fc.uniqueArray(relayArb, { minLength: 1, maxLength: 3, selector: (r) => r.address }),
    })
    fc.assert(
      fc.property(fieldsArb, ({ lifetime, ...f }) => {
        const fields = { ...f, expiresAt: f.issuedAt + lifetime }
        const bytes = signReachRecord(crypto, alice, fields)
        const record = verifyReachRecord(crypto, bytes, { now: fields.issuedAt })
        expect(record).toEqual({ ...fields, identity: aliceKey })
        expect(encodeReachRecord(decodeReachRecord(bytes))).toEqual(bytes)
      }),
      { numRuns: 60 },
    )
  })

  it('fails verification for every single-bit flip, with a typed error', () => {
    const bytes = signReachRecord(crypto, alice, one)
    for (let bit = 0; bit < bytes.length * 8; bit++) expectReachError(() => verifyReachRecord(crypto, flipBit(bytes, bit), { now: T0 }))
    // The largest record: one bit in every byte, its position rotating.
    const large = signReachRecord(crypto, alice, three)
    for (let i = 0; i < large.length; i++) expectReachError(() => verifyReachRecord(crypto, flipBit(large, i * 8 + (i % 8)), { now: T0 }))
  })

  it('gives MalformedError for every truncation and for a trailing byte, never a partial record', () => {
    const bytes = signReachRecord(crypto, alice, three)
    for (let cut = 0; cut < bytes.length; cut++) expectReachError(() => decodeReachRecord(bytes.subarray(0, cut)), 'MalformedError')
    expectReachError(() => decodeReachRecord(Uint8Array.of(...bytes, 0)), 'MalformedError')
  })

  it('names what is malformed: version, relay count, address length, address, duplicates', () => {
    const body = encodeReachRecordBody({ ...one, identity: aliceKey })
    const sig = new Uint8Array(64)
    const withBody = (edit: (b: Uint8Array) => Uint8Array): Uint8Array => Uint8Array.of(...edit(body.slice()), ...sig)
    for (const version of [0, 2, 255]) {
      expectReachError(() => decodeReachRecord(withBody((b) => ((b[0] = version), b))), 'UnsupportedVersionError')
    }
    for (const count of [0, 4, 255]) {
      const err = expectReachError(() => decodeReachRecord(withBody((b) => ((b[51] = count), b))), 'MalformedError')
      expect(err.message).toMatch(/relay count/)
    }
    // Address length 0, then one over the cap (257 = 0x81 0x02).
    expectReachError(() => decodeReachRecord(withBody((b) => Uint8Array.of(...b.subarray(0, 84), 0))), 'MalformedError')
    expectReachError(() => decodeReachRecord(withBody((b) => Uint8Array.of(...b.subarray(0, 84), 0x81, 0x02, ...new Uint8Array(257).fill(97)))), 'MalformedError')
    // Not a ws:// URL ("http:"), and not UTF-8.
    expectReachError(() => decodeReachRecord(withBody((b) => Uint8Array.of(...b.subarray(0, 84), 6, ...[104, 116, 116, 112, 58, 47]))), 'MalformedError')
    expectReachError(() => decodeReachRecord(withBody((b) => Uint8Array.of(...b.subarray(0, 84), 2, 0xc3, 0x28))), 'MalformedError')
    const twice = (relays: ReachRecord['relays']): Error =>
      expectReachError(() => decodeReachRecord(Uint8Array.of(...encodeReachRecordBodyUnchecked(relays), ...sig)), 'MalformedError')
    const sameRelay = twice([relayAt(relay1, 'ws://a'), relayAt(relay1, 'ws://b')])
    expect(sameRelay.message).toMatch(/same relay identity/)
    expect(sameRelay.message).not.toContain(toHex(relay1.signingKey.publicKey).slice(0, 16)) // no ids in messages
    expect(twice([relayAt(relay1, 'ws://a'), relayAt(relay2, 'ws://a')]).message).toMatch(/same address/)
  })

  it('refuses out-of-range fields when signing', () => {
    const relays = one.relays
    for (const bad of [
      { seqno: 2 ** 48 },
      { seqno: -1 },
      { seqno: 1.5 },
      { relays: [] },
      { relays: [...three.relays, relayAt(alice, 'ws://z')] },
      { relays: [{ identity: new Uint8Array(31), address: 'ws://a' }] },
      { relays: [relayAt(relay1, `ws://a/${'p'.repeat(MAX_RELAY_URL_BYTES)}`)] },
      { relays: [relayAt(relay1, 'https://a')] },
      { relays: [relayAt(relay1, 'ws://user@a')] },
      { relays: [...relays, ...relays] },
    ]) {
      expectReachError(() => signReachRecord(crypto, alice, { ...one, ...bad } as ReachRecordFields), 'MalformedError')
    }
    expectReachError(() => signReachRecord(crypto, alice, { ...one, expiresAt: T0 }), 'RecordLifetimeError')
    expectReachError(() => signReachRecord(crypto, alice, { ...one, expiresAt: T0 + MAX_REACH_LIFETIME_MS + 1 }), 'RecordLifetimeError')
  })

  it('enforces lifetime, future and expiry rules exactly at their boundaries', () => {
    const v = (fields: ReachRecordFields, now: number, maxAheadMs?: number): unknown =>
      verifyReachRecord(crypto, signedAnyway(fields), maxAheadMs === undefined ? { now } : { now, maxAheadMs })
    // Lifetime: 1 ms .. 30 days after issuedAt.
    expect(v({ ...one, expiresAt: T0 + 1 }, T0)).toBeTruthy()
    expect(v({ ...one, expiresAt: T0 + MAX_REACH_LIFETIME_MS }, T0)).toBeTruthy()
    expectReachError(() => v({ ...one, expiresAt: T0 + MAX_REACH_LIFETIME_MS + 1 }, T0), 'RecordLifetimeError')
    expectReachError(() => v({ ...one, expiresAt: T0 }, T0), 'RecordLifetimeError')
    expectReachError(() => v({ ...one, expiresAt: T0 - 1 }, T0 - 2), 'RecordLifetimeError')
    // Issued up to 5 minutes ahead of the verifier's clock, or as configured.
    expect(v(one, T0 - 5 * MINUTE)).toBeTruthy()
    expect(expectReachError(() => v(one, T0 - 5 * MINUTE - 1), 'RecordFromFutureError')).toMatchObject({ format: 'reach record' })
    expect(v(one, T0 - 1000, 1000)).toBeTruthy()
    expectReachError(() => v(one, T0 - 1001, 1000), 'RecordFromFutureError')
    // Void from expiresAt on.
    expect(v(one, T0 + DAY - 1)).toBeTruthy()
    expect(() => v(one, T0 + DAY)).toThrow(expect.objectContaining({ name: 'RecordExpiredError', message: 'reach record expired 0 ms ago' }))
  })

  it('verifies only the identity’s own signature, in the reach context only', () => {
    expect(verifyReachRecord(crypto, signedAnyway(one), { now: T0 }).seqno).toBe(1)
    expectReachError(() => verifyReachRecord(crypto, signedAnyway(one, SignatureContext.reach, relay1), { now: T0 }), 'BadRecordSignatureError')
    for (const context of [SignatureContext.announce, SignatureContext.custodyReceipt, SignatureContext.prekey]) {
      expectReachError(() => verifyReachRecord(crypto, signedAnyway(one, context), { now: T0 }), 'BadRecordSignatureError')
    }
  })

  it('never throws untyped on garbage, and decodes nothing it would not re-encode identically', () => {
    const valid = signReachRecord(crypto, alice, three)
    const mutated = fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const copy = valid.slice()
      copy[i] = b
      return copy
    })
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 1100 }), mutated), (bytes) => {
        try {
          expect(encodeReachRecord(decodeReachRecord(bytes))).toEqual(bytes)
          verifyReachRecord(crypto, bytes, { now: T0 })
        } catch (err) {
          expect(isReachError(err)).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('isNewer: the same identity at a strictly higher seqno', () => {
    const at = (seqno: number, identity = aliceKey): ReachRecord => ({ ...one, seqno, identity })
    expect(isNewer(at(2), at(1))).toBe(true)
    expect(isNewer(at(1), at(2))).toBe(false)
    expect(isNewer(at(1), at(1))).toBe(false)
    expect(isNewer(at(2 ** 48 - 1), at(0))).toBe(true) // plain integers: no wrap-around
    expect(isNewer(at(2, relay1.signingKey.publicKey), at(1))).toBe(false)
  })
})

/** The body bytes of a record with any relays, skipping the encoder's duplicate checks. */
function encodeReachRecordBodyUnchecked(relays: ReachRecord['relays']): Uint8Array {
  const first = encodeReachRecordBody({ ...one, identity: aliceKey, relays: [relays[0]!] })
  const rest = relays.slice(1).map((relay) => encodeReachRecordBody({ ...one, identity: aliceKey, relays: [relay] }).subarray(52))
  const out = Uint8Array.of(...first, ...rest.flatMap((part) => [...part]))
  out[51] = relays.length
  return out
}

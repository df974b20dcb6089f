import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { SignatureContext, signWithContext } from '../../identity/contexts.ts'
import type { SignatureContextValue } from '../../identity/contexts.ts'
import type { Identity } from '../../identity/identity.ts'
import { bytesOf, flipBit } from '../../wire/test/arbitraries.ts'
import {
  acceptsCustodyReceipt,
  decodeCustodyReceipt,
  encodeCustodyReceipt,
  encodeCustodyReceiptBody,
  MAX_CUSTODY_HOLD_MS,
  MAX_RECEIPT_IDS,
  signCustodyReceipt,
  verifyCustodyReceipt,
} from '../custodyReceipt.ts'
import type { CustodyReceipt, CustodyReceiptFields } from '../custodyReceipt.ts'
import { isReachError } from '../errors.ts'
import { signReachRecord, verifyReachRecord } from '../reachRecord.ts'
import { alice, crypto, DAY, expectReachError, MINUTE, relay1, relay2, relay3, relayAt, T0 } from './reachKit.ts'

const aliceKey = alice.signingKey.publicKey
const id = (n: number): Uint8Array => new Uint8Array(16).fill(n)
const single: CustodyReceiptFields = { recipient: aliceKey, ids: [id(1)], issuedAt: T0, heldUntil: T0 + 14 * DAY }
const full: CustodyReceiptFields = {
  ...single,
  ids: Array.from({ length: MAX_RECEIPT_IDS }, (_, i) => Uint8Array.of(i, ...new Uint8Array(15))),
  heldUntil: T0 + MAX_CUSTODY_HOLD_MS,
}

/** A receipt `signer` signs over whatever body, bypassing signCustodyReceipt's own checks. */
function signedAnyway(fields: CustodyReceiptFields, context: SignatureContextValue = SignatureContext.custodyReceipt, signer: Identity = relay1): Uint8Array {
  const receipt: CustodyReceipt = { ...fields, custodian: relay1.signingKey.publicKey }
  const signature = signWithContext(crypto, signer.signingKey.secretKey, context, encodeCustodyReceiptBody(receipt))
  return encodeCustodyReceipt({ receipt, signature })
}

describe('custody receipt', () => {
  it('lays out version, custodian, recipient, times, count and ids as documented, 158..4239 bytes', () => {
    const bytes = signCustodyReceipt(crypto, relay1, { ...single, issuedAt: 0x0a0b0c0d0e0f, heldUntil: 0x0a0b0c0d0e0f + 1 })
    expect(bytes.length).toBe(158)
    expect(bytes[0]).toBe(1)
    expect(toHex(bytes.subarray(1, 33))).toBe(toHex(relay1.signingKey.publicKey))
    expect(toHex(bytes.subarray(33, 65))).toBe(toHex(aliceKey))
    expect(toHex(bytes.subarray(65, 78))).toBe('0a0b0c0d0e0f0a0b0c0d0e1001')
    expect(toHex(bytes.subarray(78, 94))).toBe(toHex(id(1)))
    expect(decodeCustodyReceipt(bytes).body.length).toBe(158 - 64)
    const largest = signCustodyReceipt(crypto, relay1, full)
    expect(largest.length).toBe(4239)
    expect(toHex(largest.subarray(77, 79))).toBe('8002') // 256 as a 2-byte varint
  })

  it('round-trips any valid fields through sign, decode and verify', () => {
    const fieldsArb = fc.record({
      recipient: bytesOf(32),
      ids: fc.uniqueArray(bytesOf(16), { minLength: 1, maxLength: 40, selector: toHex }),
      issuedAt: fc.integer({ min: 0, max: 2 ** 47 }),
      hold: fc.integer({ min: 1, max: MAX_CUSTODY_HOLD_MS }),
    })
    fc.assert(
      fc.property(fieldsArb, ({ hold, ...f }) => {
        const fields = { ...f, heldUntil: f.issuedAt + hold }
        const bytes = signCustodyReceipt(crypto, relay2, fields)
        expect(verifyCustodyReceipt(crypto, bytes, { now: fields.issuedAt })).toEqual({ ...fields, custodian: relay2.signingKey.publicKey })
        expect(encodeCustodyReceipt(decodeCustodyReceipt(bytes))).toEqual(bytes)
      }),
      { numRuns: 60 },
    )
  })

  it('fails verification for every single-bit flip, with a typed error', () => {
    const bytes = signCustodyReceipt(crypto, relay1, single)
    for (let bit = 0; bit < bytes.length * 8; bit++) expectReachError(() => verifyCustodyReceipt(crypto, flipBit(bytes, bit), { now: T0 }))
    // The largest receipt: one bit in every byte of header and signature, and in one byte of every id
    // (each id is signed alike; a verification per byte of 4 KB would dominate the suite).
    const largest = signCustodyReceipt(crypto, relay1, full)
    const idsStart = 79
    const idsEnd = largest.length - 64
    const offsets = [
      ...Array.from({ length: idsStart }, (_, i) => i),
      ...full.ids.map((_, k) => idsStart + 16 * k + (k % 16)),
      ...Array.from({ length: 64 }, (_, i) => idsEnd + i),
    ]
    for (const i of offsets) expectReachError(() => verifyCustodyReceipt(crypto, flipBit(largest, i * 8 + (i % 8)), { now: T0 }))
  })

  it('gives MalformedError for every truncation, a trailing byte, and every bad count or repeated id', () => {
    const bytes = signCustodyReceipt(crypto, relay1, { ...single, ids: [id(1), id(2), id(3)] })
    for (let cut = 0; cut < bytes.length; cut++) expectReachError(() => decodeCustodyReceipt(bytes.subarray(0, cut)), 'MalformedError')
    expectReachError(() => decodeCustodyReceipt(Uint8Array.of(...bytes, 0)), 'MalformedError')
    const head = bytes.subarray(0, 77)
    const sig = new Uint8Array(64)
    const withIds = (count: number[], ids: number): Uint8Array => Uint8Array.of(...head, ...count, ...new Uint8Array(16 * ids).map((_, i) => i >> 4), ...sig)
    expect(decodeCustodyReceipt(withIds([2], 2)).receipt.ids).toHaveLength(2)
    for (const [count, ids] of [[[0], 0], [[0x81, 0x02], 257], [[0x82, 0x00], 2], [[0xff, 0xff, 0xff, 0xff, 0x0f], 0]] as const) {
      expectReachError(() => decodeCustodyReceipt(withIds([...count], ids)), 'MalformedError')
    }
    const repeated = Uint8Array.of(...head, 2, ...id(9), ...id(9), ...sig)
    expect(expectReachError(() => decodeCustodyReceipt(repeated), 'MalformedError').message).toMatch(/repeat/)
    for (const version of [0, 2]) expectReachError(() => decodeCustodyReceipt(Uint8Array.of(version, ...bytes.subarray(1))), 'UnsupportedVersionError')
  })

  it('refuses out-of-range fields when signing', () => {
    for (const bad of [
      { ids: [] },
      { ids: [...full.ids, id(255)] },
      { ids: [id(1), id(1)] },
      { ids: [new Uint8Array(15)] },
      { recipient: new Uint8Array(33) },
      { issuedAt: -1 },
      { heldUntil: 2 ** 48 },
    ]) {
      expectReachError(() => signCustodyReceipt(crypto, relay1, { ...single, ...bad }), 'MalformedError')
    }
    expectReachError(() => signCustodyReceipt(crypto, relay1, { ...single, heldUntil: T0 }), 'RecordLifetimeError')
  })

  it('enforces hold, future and expiry rules exactly at their boundaries', () => {
    const v = (fields: CustodyReceiptFields, now: number): unknown => verifyCustodyReceipt(crypto, signedAnyway(fields), { now })
    expect(v({ ...single, heldUntil: T0 + 1 }, T0)).toBeTruthy()
    expect(v({ ...single, heldUntil: T0 + MAX_CUSTODY_HOLD_MS }, T0)).toBeTruthy()
    expect(expectReachError(() => v({ ...single, heldUntil: T0 + MAX_CUSTODY_HOLD_MS + 1 }, T0), 'RecordLifetimeError')).toMatchObject({
      format: 'custody receipt',
    })
    expectReachError(() => v({ ...single, heldUntil: T0 }, T0), 'RecordLifetimeError')
    expect(v(single, T0 - 5 * MINUTE)).toBeTruthy()
    expectReachError(() => v(single, T0 - 5 * MINUTE - 1), 'RecordFromFutureError')
    expect(v(single, single.heldUntil - 1)).toBeTruthy()
    expectReachError(() => v(single, single.heldUntil), 'RecordExpiredError')
  })

  it('verifies only the custodian’s own signature, in the custody-receipt context only', () => {
    expect(verifyCustodyReceipt(crypto, signedAnyway(single), { now: T0 }).ids).toHaveLength(1)
    expectReachError(() => verifyCustodyReceipt(crypto, signedAnyway(single, SignatureContext.custodyReceipt, relay2), { now: T0 }), 'BadRecordSignatureError')
    for (const context of [SignatureContext.reach, SignatureContext.receipt, SignatureContext.announce]) {
      expectReachError(() => verifyCustodyReceipt(crypto, signedAnyway(single, context), { now: T0 }), 'BadRecordSignatureError')
    }
  })

  it('never throws untyped on garbage, and decodes nothing it would not re-encode identically', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          expect(encodeCustodyReceipt(decodeCustodyReceipt(bytes))).toEqual(bytes)
          verifyCustodyReceipt(crypto, bytes, { now: T0 })
        } catch (err) {
          expect(isReachError(err)).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('acceptsCustodyReceipt', () => {
  const record = verifyReachRecord(
    crypto,
    signReachRecord(crypto, alice, {
      seqno: 1,
      issuedAt: T0,
      expiresAt: T0 + 7 * DAY,
      relays: [relayAt(relay1, 'wss://one.example.org'), relayAt(relay2, 'wss://two.example.org')],
    }),
    { now: T0 },
  )
  const receiptBy = (custodian: Identity, fields: Partial<CustodyReceiptFields> = {}): ReturnType<typeof verifyCustodyReceipt> =>
    verifyCustodyReceipt(crypto, signCustodyReceipt(crypto, custodian, { ...single, ...fields }), { now: T0 })

  it('accepts a current receipt by any relay the current record names', () => {
    expect(acceptsCustodyReceipt(receiptBy(relay1), record, T0)).toEqual({ ok: true })
    expect(acceptsCustodyReceipt(receiptBy(relay2), record, T0 + 7 * DAY - 1)).toEqual({ ok: true })
  })

  it('refuses with a reason a caller can count', () => {
    // The hijack of issue 11: a valid signature, by a peer the recipient never named.
    expect(acceptsCustodyReceipt(receiptBy(relay3), record, T0)).toEqual({ ok: false, reason: 'not-a-home-relay' })
    expect(acceptsCustodyReceipt(receiptBy(alice), record, T0)).toEqual({ ok: false, reason: 'not-a-home-relay' })
    const forBob = receiptBy(relay1, { recipient: relay3.signingKey.publicKey })
    expect(acceptsCustodyReceipt(forBob, record, T0)).toEqual({ ok: false, reason: 'wrong-recipient' })
    expect(acceptsCustodyReceipt(receiptBy(relay1), record, T0 + 7 * DAY)).toEqual({ ok: false, reason: 'record-expired' })
    const short = receiptBy(relay1, { heldUntil: T0 + DAY })
    expect(acceptsCustodyReceipt(short, record, T0 + DAY - 1)).toEqual({ ok: true })
    expect(acceptsCustodyReceipt(short, record, T0 + DAY)).toEqual({ ok: false, reason: 'receipt-expired' })
  })

  it('takes only verified values (checked by tsc)', () => {
    const decoded = decodeCustodyReceipt(signCustodyReceipt(crypto, relay1, single)).receipt
    // @ts-expect-error a decoded receipt has not had its signature checked
    expect(acceptsCustodyReceipt(decoded, record, T0)).toEqual({ ok: true })
  })
})

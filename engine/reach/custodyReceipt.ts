/**
 * A signed custody receipt: a relay saying "I hold these envelopes for that
 * recipient until they are delivered or until `heldUntil`" (DESIGN.md §5,
 * issue 11). It replaces the unsigned 'ack' link frame as what makes a sender
 * show "relayed", and only when the custodian is one of the recipient's home
 * relays (`acceptsCustodyReceipt`): a neighbour that merely claims custody
 * proves nothing.
 *
 * Layout (big-endian):
 *
 *   version    u8  = 1
 *   custodian  32  the relay's Ed25519 identity public key (the signer)
 *   recipient  32  the identity the envelopes are for (their `destination`)
 *   issuedAt   u48 ms since the epoch, by the custodian's clock
 *   heldUntil  u48 ms; the custodian drops what it has not delivered by then;
 *                  1 ms..30 days after issuedAt
 *   count      varint 1..256 (LEB128, minimal)
 *   ids        count × 16  envelope ids (engine/wire/envelope.ts MESSAGE_ID_BYTES,
 *                  as in the 'ack' link frame), none twice
 *   signature  64  Ed25519 under SignatureContext.custodyReceipt over every byte before it
 *
 * 158 bytes for one id, 4,239 for 256.
 *
 * Why up to 256 ids: one signature covers a batch, since signing per message
 * is what DESIGN.md §8 rules out (noble verifies ~750 Ed25519 signatures/s),
 * while the receipt stays a few KB, well inside one link frame.
 * Why `heldUntil` is capped at 30 days after issue: the sender's outbox takes
 * the message back when custody ends, so the cap bounds how long a buggy or
 * lying custodian can park it; honest relays clamp custody to 14 days by
 * default (engine/routing/mailbox.ts maxHoldMs).
 */
import { equals, toHex } from '../bytes.ts'
import { SignatureContext, signWithContext, verifyWithContext } from '../identity/contexts.ts'
import type { Identity } from '../identity/identity.ts'
import type { Crypto } from '../ports/crypto.ts'
import { byteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import { MESSAGE_ID_BYTES } from '../wire/envelope.ts'
import { MalformedError, UnsupportedVersionError } from '../wire/errors.ts'
import { BadRecordSignatureError } from './errors.ts'
import { namesRelay } from './reachRecord.ts'
import type { VerifiedReachRecord } from './reachRecord.ts'
import { checkTimes } from './validity.ts'
import type { Verified, VerifyOptions } from './validity.ts'

export const CUSTODY_RECEIPT_VERSION = 1
export const MAX_RECEIPT_IDS = 256
export const MAX_CUSTODY_HOLD_MS = 30 * 24 * 60 * 60_000

const KEY = 32
const SIGNATURE = 64
const FORMAT = 'custody receipt'

export interface CustodyReceipt {
  /** The custodian relay's Ed25519 identity (32 bytes), the signer. */
  readonly custodian: Uint8Array
  /** The identity the envelopes are addressed to (32 bytes). */
  readonly recipient: Uint8Array
  /** 1..256 distinct 16-byte envelope ids. */
  readonly ids: readonly Uint8Array[]
  /** u48 ms, the custodian's clock when it signed. */
  readonly issuedAt: number
  /** u48 ms, the first instant the custodian no longer promises to hold them. */
  readonly heldUntil: number
}

export type CustodyReceiptFields = Omit<CustodyReceipt, 'custodian'>
export type VerifiedCustodyReceipt = Verified<CustodyReceipt>

export interface DecodedCustodyReceipt {
  readonly receipt: CustodyReceipt
  /** The bytes the signature covers (a view into the input). */
  readonly body: Uint8Array
  readonly signature: Uint8Array
}

function checkCount(count: number): void {
  if (count < 1 || count > MAX_RECEIPT_IDS) throw new MalformedError(`receipt id count ${count} is outside 1..${MAX_RECEIPT_IDS}`)
}

/** Each id counts once: a custodian cannot inflate what it signed for. */
function checkDistinct(ids: readonly Uint8Array[]): void {
  if (new Set(ids.map(toHex)).size !== ids.length) throw new MalformedError('receipt ids repeat an envelope id')
}

/** The signed part of a receipt; throws MalformedError on an out-of-range field. */
export function encodeCustodyReceiptBody(receipt: CustodyReceipt): Uint8Array {
  if (!Array.isArray(receipt.ids)) throw new MalformedError('receipt ids must be a list')
  checkCount(receipt.ids.length)
  const w = byteWriter(1 + 2 * KEY + 12 + 2 + receipt.ids.length * MESSAGE_ID_BYTES + SIGNATURE)
  w.u8(CUSTODY_RECEIPT_VERSION, 'receipt version')
  w.bytes(receipt.custodian, 'receipt custodian', KEY)
  w.bytes(receipt.recipient, 'receipt recipient', KEY)
  w.u48(receipt.issuedAt, 'receipt issuedAt')
  w.u48(receipt.heldUntil, 'receipt heldUntil')
  w.varint(receipt.ids.length, 'receipt id count')
  for (const id of receipt.ids) w.bytes(id, 'receipt envelope id', MESSAGE_ID_BYTES)
  checkDistinct(receipt.ids)
  return w.finish()
}

/** Body || signature. Checks shape only (the signature's length, not its validity). */
export function encodeCustodyReceipt(signed: { readonly receipt: CustodyReceipt; readonly signature: Uint8Array }): Uint8Array {
  const w = byteWriter()
  w.bytes(encodeCustodyReceiptBody(signed.receipt), 'receipt body')
  w.bytes(signed.signature, 'receipt signature', SIGNATURE)
  return w.finish()
}

/** Shape only, no signature or clock: MalformedError / UnsupportedVersionError, never a partial receipt. */
export function decodeCustodyReceipt(bytes: Uint8Array): DecodedCustodyReceipt {
  const r = byteReader(bytes)
  const version = r.u8('receipt version')
  if (version !== CUSTODY_RECEIPT_VERSION) throw new UnsupportedVersionError('custody receipt', version)
  const custodian = r.bytes(KEY, 'receipt custodian')
  const recipient = r.bytes(KEY, 'receipt recipient')
  const issuedAt = r.u48('receipt issuedAt')
  const heldUntil = r.u48('receipt heldUntil')
  const count = r.varint('receipt id count')
  // Checked before reading the ids so a huge count is refused without reading on.
  checkCount(count)
  const ids: Uint8Array[] = []
  for (let i = 0; i < count; i++) ids.push(r.bytes(MESSAGE_ID_BYTES, 'receipt envelope id'))
  checkDistinct(ids)
  const bodyLength = r.offset
  const signature = r.bytes(SIGNATURE, 'receipt signature')
  r.end('custody receipt')
  return { receipt: { custodian, recipient, ids, issuedAt, heldUntil }, body: bytes.subarray(0, bodyLength), signature }
}

/**
 * Signs `fields` as the custodian `identity`: MalformedError on an out-of-range
 * field, RecordLifetimeError on a `heldUntil` no verifier would accept.
 */
export function signCustodyReceipt(crypto: Crypto, identity: Identity, fields: CustodyReceiptFields): Uint8Array {
  const receipt: CustodyReceipt = { ...fields, custodian: identity.signingKey.publicKey }
  const body = encodeCustodyReceiptBody(receipt)
  checkTimes(FORMAT, receipt.issuedAt, receipt.heldUntil, MAX_CUSTODY_HOLD_MS, null)
  const signature = signWithContext(crypto, identity.signingKey.secretKey, SignatureContext.custodyReceipt, body)
  return encodeCustodyReceipt({ receipt, signature })
}

/**
 * Decodes and verifies a receipt: MalformedError / UnsupportedVersionError on
 * bad shape, RecordLifetimeError / RecordFromFutureError / RecordExpiredError
 * by `options.now` (expired once `heldUntil` has passed), then
 * BadRecordSignatureError (the one costly check, last).
 */
export function verifyCustodyReceipt(crypto: Crypto, bytes: Uint8Array, options: VerifyOptions): VerifiedCustodyReceipt {
  return checkCustodyReceipt(crypto, decodeCustodyReceipt(bytes), options)
}

/** verifyCustodyReceipt for a receipt the caller already decoded (to read its ids first). */
export function checkCustodyReceipt(crypto: Crypto, decoded: DecodedCustodyReceipt, options: VerifyOptions): VerifiedCustodyReceipt {
  const { receipt, body, signature } = decoded
  checkTimes(FORMAT, receipt.issuedAt, receipt.heldUntil, MAX_CUSTODY_HOLD_MS, options)
  if (!verifyWithContext(crypto, receipt.custodian, SignatureContext.custodyReceipt, body, signature)) {
    throw new BadRecordSignatureError(FORMAT)
  }
  return receipt as VerifiedCustodyReceipt
}

/** Why a sender does not count a verified receipt as "relayed"; callers count refusals by it. */
export type CustodyRefusal = 'wrong-recipient' | 'record-expired' | 'receipt-expired' | 'not-a-home-relay'

export type CustodyAcceptance = { readonly ok: true } | { readonly ok: false; readonly reason: CustodyRefusal }

/**
 * The sender's rule (issue 11, "custody only where the recipient asked for
 * it"): a receipt makes a message relayed only when it is for the record's
 * identity, the record is still current, the receipt still holds, and the
 * custodian is a relay the record names. Both inputs are branded as verified,
 * so a signature is never taken on trust here. The caller matches the
 * receipt's ids against the envelopes it sent.
 */
export function acceptsCustodyReceipt(
  receipt: VerifiedCustodyReceipt,
  record: VerifiedReachRecord,
  now: number,
): CustodyAcceptance {
  if (!equals(receipt.recipient, record.identity)) return { ok: false, reason: 'wrong-recipient' }
  if (now >= record.expiresAt) return { ok: false, reason: 'record-expired' }
  if (now >= receipt.heldUntil) return { ok: false, reason: 'receipt-expired' }
  if (!namesRelay(record, receipt.custodian)) return { ok: false, reason: 'not-a-home-relay' }
  return { ok: true }
}

/**
 * A signed reach record: "where to leave mail for me" (DESIGN.md §5, issue 11).
 * A user names 1–3 home relays by identity key and address; only a relay named
 * in the user's current record holds custody of its mail, and a sender counts
 * a message as relayed only on a receipt signed by one of them
 * (custodyReceipt.ts). It travels in the offer, end to end to contacts, and is
 * registered at each named relay; the newest seqno wins everywhere.
 *
 * Layout (big-endian):
 *
 *   version    u8  = 1
 *   identity   32  the user's Ed25519 identity public key (the signer)
 *   seqno      u48 strictly increasing per identity; compared as a plain integer
 *   issuedAt   u48 ms since the epoch, by the user's clock
 *   expiresAt  u48 ms since the epoch; void from this ms on; 1 ms..30 days after issuedAt
 *   count      u8  1..3 relays, then per relay, no identity and no address twice:
 *     relay    32  the relay's Ed25519 identity public key
 *     address      varint length (1..256) + ws:// or wss:// URL (engine/wire/profileFields.ts)
 *   signature  64  Ed25519 under SignatureContext.reach over every byte before it
 *
 * 155 bytes at the least (one relay at `ws://a`), 986 at the most.
 *
 * Why seqno is u48, not the u32 of announcements: the issuer can use its clock
 * as the counter (seqno = max(previous + 1, issuedAt)), so a device restored
 * from an old backup, which has lost its counter, still outranks the records
 * relays hold instead of being refused as stale until it counts past them.
 * Why it is compared as a plain integer, not modulo 2^32 as RFC 8966 does: a
 * record stays replayable until it expires, weeks later, and a wrapping
 * comparison would let an old copy rank as newer; 2^48 ms outlasts any clock.
 *
 * Why a 30-day cap on the lifetime: a record naming a relay the user has left
 * keeps steering custody there until it expires wherever the new record has
 * not arrived. A month outlasts a phone left off for weeks (its mail stays
 * held) and bounds how long a superseded or captured relay keeps counting.
 * Issuers never shorten the expiry when superseding a record: a holder that
 * dropped the newer one when it expired could otherwise take back the older.
 */
import { equals, toHex } from '../bytes.ts'
import { SignatureContext, signWithContext, verifyWithContext } from '../identity/contexts.ts'
import type { Identity } from '../identity/identity.ts'
import type { Crypto } from '../ports/crypto.ts'
import { byteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import { MalformedError, UnsupportedVersionError } from '../wire/errors.ts'
import { MAX_RELAY_URL_BYTES, relayUrlProblem } from '../wire/profileFields.ts'
import { BadRecordSignatureError } from './errors.ts'
import { checkTimes } from './validity.ts'
import type { Verified, VerifyOptions } from './validity.ts'

export const REACH_RECORD_VERSION = 1
export const MIN_REACH_RELAYS = 1
export const MAX_REACH_RELAYS = 3
export const MAX_REACH_LIFETIME_MS = 30 * 24 * 60 * 60_000

const KEY = 32
const SIGNATURE = 64
const FORMAT = 'reach record'

export interface ReachRelay {
  /** The relay's Ed25519 identity (32 bytes): what its link handshake proves. */
  readonly identity: Uint8Array
  /** ws:// or wss:// URL to dial it at. */
  readonly address: string
}

export interface ReachRecord {
  /** The user's Ed25519 identity (32 bytes), the signer. */
  readonly identity: Uint8Array
  /** u48, strictly increasing per identity. */
  readonly seqno: number
  /** u48 ms, the user's clock when it signed. */
  readonly issuedAt: number
  /** u48 ms, the first instant the record no longer counts. */
  readonly expiresAt: number
  /** 1..3 home relays, in the user's order of preference. */
  readonly relays: readonly ReachRelay[]
}

export type ReachRecordFields = Omit<ReachRecord, 'identity'>
export type VerifiedReachRecord = Verified<ReachRecord>

export interface DecodedReachRecord {
  readonly record: ReachRecord
  /** The bytes the signature covers (a view into the input). */
  readonly body: Uint8Array
  readonly signature: Uint8Array
}

/** Why `relays` is not an acceptable relay list, or undefined; never quotes a value. */
function relaysProblem(relays: readonly ReachRelay[]): string | undefined {
  if (!Array.isArray(relays)) return 'reach relays must be a list'
  if (relays.length < MIN_REACH_RELAYS || relays.length > MAX_REACH_RELAYS) {
    return `reach relay count ${relays.length} is outside ${MIN_REACH_RELAYS}..${MAX_REACH_RELAYS}`
  }
  const identities = new Set<string>()
  const addresses = new Set<string>()
  for (const relay of relays) {
    if (!(relay.identity instanceof Uint8Array) || relay.identity.length !== KEY) return `reach relay identity must be ${KEY} bytes`
    const problem = relayUrlProblem(relay.address)
    if (problem !== undefined) return problem
    identities.add(toHex(relay.identity))
    addresses.add(relay.address)
  }
  // One address reaches one relay, whose handshake proves one identity: a repeat of either is a mistake.
  if (identities.size !== relays.length) return 'reach relays name the same relay identity twice'
  if (addresses.size !== relays.length) return 'reach relays name the same address twice'
  return undefined
}

/** The signed part of a record; throws MalformedError on an out-of-range field. */
export function encodeReachRecordBody(record: ReachRecord): Uint8Array {
  const problem = relaysProblem(record.relays)
  if (problem !== undefined) throw new MalformedError(problem)
  const w = byteWriter(1 + KEY + 18 + 1 + record.relays.length * (KEY + 3 + MAX_RELAY_URL_BYTES) + SIGNATURE)
  w.u8(REACH_RECORD_VERSION, 'reach record version')
  w.bytes(record.identity, 'reach record identity', KEY)
  w.u48(record.seqno, 'reach record seqno')
  w.u48(record.issuedAt, 'reach record issuedAt')
  w.u48(record.expiresAt, 'reach record expiresAt')
  w.u8(record.relays.length, 'reach relay count')
  for (const relay of record.relays) {
    w.bytes(relay.identity, 'reach relay identity', KEY)
    w.utf8(relay.address, 'reach relay address', 1, MAX_RELAY_URL_BYTES)
  }
  return w.finish()
}

/** Body || signature. Checks shape only (the signature's length, not its validity). */
export function encodeReachRecord(signed: { readonly record: ReachRecord; readonly signature: Uint8Array }): Uint8Array {
  const w = byteWriter()
  w.bytes(encodeReachRecordBody(signed.record), 'reach record body')
  w.bytes(signed.signature, 'reach record signature', SIGNATURE)
  return w.finish()
}

/** Shape only, no signature or clock: MalformedError / UnsupportedVersionError, never a partial record. */
export function decodeReachRecord(bytes: Uint8Array): DecodedReachRecord {
  const r = byteReader(bytes)
  const version = r.u8('reach record version')
  if (version !== REACH_RECORD_VERSION) throw new UnsupportedVersionError('reach record', version)
  const identity = r.bytes(KEY, 'reach record identity')
  const seqno = r.u48('reach record seqno')
  const issuedAt = r.u48('reach record issuedAt')
  const expiresAt = r.u48('reach record expiresAt')
  const count = r.u8('reach relay count')
  // Checked before the loop so the error names the count, not a later truncation.
  if (count < MIN_REACH_RELAYS || count > MAX_REACH_RELAYS) {
    throw new MalformedError(`reach relay count ${count} is outside ${MIN_REACH_RELAYS}..${MAX_REACH_RELAYS}`)
  }
  const relays: ReachRelay[] = []
  for (let i = 0; i < count; i++) {
    const relayIdentity = r.bytes(KEY, 'reach relay identity')
    relays.push({ identity: relayIdentity, address: r.utf8('reach relay address', 1, MAX_RELAY_URL_BYTES) })
  }
  const problem = relaysProblem(relays)
  if (problem !== undefined) throw new MalformedError(problem)
  const bodyLength = r.offset
  const signature = r.bytes(SIGNATURE, 'reach record signature')
  r.end('reach record')
  return { record: { identity, seqno, issuedAt, expiresAt, relays }, body: bytes.subarray(0, bodyLength), signature }
}

/**
 * Signs `fields` as `identity`: MalformedError on an out-of-range field,
 * RecordLifetimeError on an expiry no verifier would accept.
 */
export function signReachRecord(crypto: Crypto, identity: Identity, fields: ReachRecordFields): Uint8Array {
  const record: ReachRecord = { ...fields, identity: identity.signingKey.publicKey }
  const body = encodeReachRecordBody(record)
  checkTimes(FORMAT, record.issuedAt, record.expiresAt, MAX_REACH_LIFETIME_MS, null)
  const signature = signWithContext(crypto, identity.signingKey.secretKey, SignatureContext.reach, body)
  return encodeReachRecord({ record, signature })
}

/** The clock rules alone (lifetime, issued in the future, expired): cheap, so callers run them first. */
export function checkReachRecordTimes(record: ReachRecord, options: VerifyOptions): void {
  checkTimes(FORMAT, record.issuedAt, record.expiresAt, MAX_REACH_LIFETIME_MS, options)
}

/** The signature alone; throws BadRecordSignatureError. Brands the record as verified. */
export function checkReachRecordSignature(crypto: Crypto, decoded: DecodedReachRecord): VerifiedReachRecord {
  const { record, body, signature } = decoded
  if (!verifyWithContext(crypto, record.identity, SignatureContext.reach, body, signature)) {
    throw new BadRecordSignatureError(FORMAT)
  }
  return record as VerifiedReachRecord
}

/**
 * Decodes and verifies a record: MalformedError / UnsupportedVersionError on
 * bad shape, RecordLifetimeError / RecordFromFutureError / RecordExpiredError
 * by `options.now`, BadRecordSignatureError last (the one costly check).
 */
export function verifyReachRecord(crypto: Crypto, bytes: Uint8Array, options: VerifyOptions): VerifiedReachRecord {
  const decoded = decodeReachRecord(bytes)
  checkReachRecordTimes(decoded.record, options)
  return checkReachRecordSignature(crypto, decoded)
}

/**
 * True when `a` supersedes `b`: the same identity at a higher seqno. An equal
 * seqno is never newer, whatever else differs: the copy held first stays.
 */
export function isNewer(a: ReachRecord, b: ReachRecord): boolean {
  return equals(a.identity, b.identity) && a.seqno > b.seqno
}

/** True when `record` names the relay whose identity is `relayIdentity` (not whether it is current). */
export function namesRelay(record: ReachRecord, relayIdentity: Uint8Array): boolean {
  return record.relays.some((relay) => equals(relay.identity, relayIdentity))
}

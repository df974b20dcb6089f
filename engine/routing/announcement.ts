/**
 * A signed origin announcement: "I am here, at this sequence number", the only
 * thing a node says about itself to the whole mesh (DESIGN.md §5). Routers pass
 * it on unchanged with their own hop count beside it in the 'announce' link
 * frame, so every node can check that the origin, its seqno and its prekey are
 * genuine, while the metric stays a neighbour's claim (RFC 8966 §4.6.9 likewise
 * keeps the metric out of what the router-id vouches for).
 *
 * Layout (big-endian):
 *
 *   version   u8  = 1
 *   origin    32  Ed25519 identity public key
 *   seqno     u32 incremented by the origin (RFC 8966 §3.2.1, compared modulo 2^32)
 *   issuedAt  u48 ms since the epoch, by the origin's clock
 *   flags     u8  bit 0 = custodian (holds mail for others), bit 1 = prekey follows; others 0
 *   [prekey]      id u32, publicKey 32, signature 64 (prekey context, as prekeys.ts)
 *   signature 64  Ed25519 under SignatureContext.announce over every byte before it
 *
 * 108 bytes without a prekey, 208 with one.
 */
import { SignatureContext, signWithContext, verifyWithContext } from '../identity/contexts.ts'
import type { Identity } from '../identity/identity.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { PublicSignedPrekey } from '../session/prekeys.ts'
import { byteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import { MalformedError, UnsupportedVersionError } from '../wire/errors.ts'
import { BadAnnouncementSignatureError, StaleAnnouncementError } from './errors.ts'

export const ANNOUNCEMENT_VERSION = 1
/** Older than this (by the verifier's clock) an announcement is a replay, not news. */
export const DEFAULT_MAX_ANNOUNCEMENT_AGE_MS = 15 * 60_000
/** Clock skew tolerated for an announcement issued "in the future". */
export const DEFAULT_MAX_ANNOUNCEMENT_AHEAD_MS = 5 * 60_000

const KEY = 32
const SIGNATURE = 64
const FLAG_CUSTODIAN = 1
const FLAG_PREKEY = 2

export interface Announcement {
  /** Ed25519 identity of the announcing node (32 bytes). */
  readonly origin: Uint8Array
  /** u32, incremented by the origin for every new announcement. */
  readonly seqno: number
  /** u48 ms, the origin's clock when it signed. */
  readonly issuedAt: number
  /** The origin offers custody: it holds mail for unreachable recipients (relays). */
  readonly custodian: boolean
  /** The origin's current signed prekey, so contacts can refresh their copy of its bundle. */
  readonly prekey: PublicSignedPrekey | null
}

export type AnnouncementFields = Omit<Announcement, 'origin'>

export interface VerifyOptions {
  /** The verifier's clock; without it freshness is not checked. */
  readonly now?: number
  readonly maxAgeMs?: number
  readonly maxAheadMs?: number
}

/** Same bytes as prekeys.ts signs (X3DH §3.2): id u32 || publicKey. */
function prekeyMessage(prekey: PublicSignedPrekey): Uint8Array {
  const w = byteWriter(4 + KEY)
  w.u32(prekey.id, 'prekey id')
  w.bytes(prekey.publicKey, 'prekey', KEY)
  return w.finish()
}

/** The signed part of an announcement. */
function encodeBody(a: Announcement): Uint8Array {
  const w = byteWriter(1 + KEY + 4 + 6 + 1 + (a.prekey ? 4 + KEY + SIGNATURE : 0) + SIGNATURE)
  w.u8(ANNOUNCEMENT_VERSION, 'announcement version')
  w.bytes(a.origin, 'announcement origin', KEY)
  w.u32(a.seqno, 'announcement seqno')
  w.u48(a.issuedAt, 'announcement issuedAt')
  w.u8((a.custodian ? FLAG_CUSTODIAN : 0) | (a.prekey ? FLAG_PREKEY : 0), 'announcement flags')
  if (a.prekey) {
    w.u32(a.prekey.id, 'prekey id')
    w.bytes(a.prekey.publicKey, 'prekey', KEY)
    w.bytes(a.prekey.signature, 'prekey signature', SIGNATURE)
  }
  return w.finish()
}

/** Signs `fields` as `identity`; throws MalformedError on an out-of-range field. */
export function createAnnouncement(crypto: Crypto, identity: Identity, fields: AnnouncementFields): Uint8Array {
  const body = encodeBody({ ...fields, origin: identity.signingKey.publicKey })
  const signature = signWithContext(crypto, identity.signingKey.secretKey, SignatureContext.announce, body)
  const out = new Uint8Array(body.length + SIGNATURE)
  out.set(body)
  out.set(signature, body.length)
  return out
}

export interface ParsedAnnouncement {
  readonly announcement: Announcement
  /** The bytes the signature covers (a view into the input). */
  readonly body: Uint8Array
  readonly signature: Uint8Array
}

/** Shape only, no signature check: for a verifier that consults its cache first. */
export function parseAnnouncement(bytes: Uint8Array): ParsedAnnouncement {
  const r = byteReader(bytes)
  const version = r.u8('announcement version')
  if (version !== ANNOUNCEMENT_VERSION) throw new UnsupportedVersionError('announcement', version)
  const origin = r.bytes(KEY, 'announcement origin')
  const seqno = r.u32('announcement seqno')
  const issuedAt = r.u48('announcement issuedAt')
  const flags = r.u8('announcement flags')
  if ((flags & ~(FLAG_CUSTODIAN | FLAG_PREKEY)) !== 0) throw new MalformedError('announcement flags has unknown bits')
  let prekey: PublicSignedPrekey | null = null
  if (flags & FLAG_PREKEY) {
    const id = r.u32('prekey id')
    prekey = { id, publicKey: r.bytes(KEY, 'prekey'), signature: r.bytes(SIGNATURE, 'prekey signature') }
  }
  const bodyLength = r.offset
  const signature = r.bytes(SIGNATURE, 'announcement signature')
  r.end('announcement')
  const announcement = { origin, seqno, issuedAt, custodian: (flags & FLAG_CUSTODIAN) !== 0, prekey }
  return { announcement, body: bytes.subarray(0, bodyLength), signature }
}

/** Throws StaleAnnouncementError when `issuedAt` is outside now - maxAge .. now + maxAhead. */
export function checkFreshness(issuedAt: number, options: VerifyOptions): void {
  const { now } = options
  if (now === undefined) return
  const maxAge = options.maxAgeMs ?? DEFAULT_MAX_ANNOUNCEMENT_AGE_MS
  const maxAhead = options.maxAheadMs ?? DEFAULT_MAX_ANNOUNCEMENT_AHEAD_MS
  if (issuedAt < now - maxAge || issuedAt > now + maxAhead) throw new StaleAnnouncementError(issuedAt, now)
}

/** Checks both signatures of a parsed announcement; throws BadAnnouncementSignatureError. */
export function checkSignatures(crypto: Crypto, parsed: ParsedAnnouncement): void {
  const { origin, prekey } = parsed.announcement
  if (!verifyWithContext(crypto, origin, SignatureContext.announce, parsed.body, parsed.signature)) {
    throw new BadAnnouncementSignatureError('announcement')
  }
  // The prekey must verify on its own too: contacts copy it into the origin's bundle.
  if (prekey && !verifyWithContext(crypto, origin, SignatureContext.prekey, prekeyMessage(prekey), prekey.signature)) {
    throw new BadAnnouncementSignatureError('prekey')
  }
}

/**
 * Decodes and verifies an announcement: MalformedError / UnsupportedVersionError
 * on bad shape, StaleAnnouncementError when `options.now` is given and it is
 * not current, BadAnnouncementSignatureError when either signature fails.
 */
export function verifyAnnouncement(crypto: Crypto, bytes: Uint8Array, options: VerifyOptions = {}): Announcement {
  const parsed = parseAnnouncement(bytes)
  checkFreshness(parsed.announcement.issuedAt, options)
  checkSignatures(crypto, parsed)
  return parsed.announcement
}

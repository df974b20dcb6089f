/**
 * The connection offer a user copies, pastes or shows as a QR code: enough to
 * reach a peer (relays) and to start an authenticated session (identity, Noise
 * static key, and the signature binding them), a signed prekey so the contact
 * can start an X3DH session from the code alone, and the maker's signed reach
 * record so the contact can leave mail at the maker's home relays at once.
 *
 * Text form: `SOV1` + RFC 4648 base32 (uppercase, unpadded) of
 *
 *   version      u8   = 3
 *   identity     32   Ed25519 public key
 *   staticKey    32   X25519 Noise static public key
 *   binding      64   signature binding staticKey to identity
 *   spk id       u32  signed prekey id (big-endian)
 *   spk public   32   signed prekey X25519 public key
 *   spk sig      64   identity's signature, prekey context, over id (u32) || public
 *   displayName  varint length + UTF-8 (1..64 characters, trimmed, no controls)
 *   relay count  u8   0..4
 *   relays       varint length + UTF-8 each (ws:// or wss://, <= 256 bytes)
 *   reach        varint length (0 = none, else 1..MAX_REACH_RECORD_BYTES) + the
 *                     signed reach record (engine/reach/reachRecord.ts) as signed
 *   checksum     4    first 4 bytes of SHA-256 of everything above
 *
 * Why the reach record (version 3): mail goes to the recipient's home relays,
 * which only their reach record names. Without it in the offer, whoever
 * accepts cannot reach the maker's home relays until the record arrives end to
 * end, and that needs the record first. Its bound is the one every other
 * carrier of a reach record uses (engine/wire MAX_REACH_RECORD_BYTES, 1024:
 * a record is at most 986 bytes today, the rest is room for a later record
 * version), so an offer holding a bigger, newer record still decodes and only
 * the record is dropped by whoever cannot read it.
 *
 * Decoding forgives what pasting does — surrounding and inserted whitespace,
 * line breaks, dashes between groups, lowercase — and nothing else. The
 * checksum catches typos and truncation; it is not authentication (the
 * binding signature and the safety number are). The codec checks shape only:
 * neither the binding, the prekey signature nor the reach record is verified
 * here; whoever accepts the offer verifies the first two as a prekey bundle
 * (`verifyPrekeyBundle`) and judges the record as one the contact sent
 * (engine/messenger/contactReach.ts), keeping the contact if it fails.
 *
 * Version 2 (the same without `reach`) still decodes, with `reach` undefined;
 * encoding always writes version 3. Version 1 (no signed prekey) is refused
 * as 'version' with an "older version" message; the `SOV1` prefix names the
 * text encoding, not the layout.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { concat, equals } from '../bytes.ts'
import { byteReader, byteWriter, MalformedError, MAX_REACH_RECORD_BYTES, readProfile, writeProfile } from '../wire/index.ts'
import { base32Decode, base32Encode } from './base32.ts'
import { InvalidOfferError } from './errors.ts'

export const OFFER_PREFIX = 'SOV1'
/** The version encodeOffer writes. */
export const OFFER_VERSION = 3
/** The oldest version decodeOffer still reads (version 2: no reach record). */
const OLDEST_READABLE_VERSION = 2
const KEY_BYTES = 32
const SIGNATURE_BYTES = 64
const PREKEY_ID_BYTES = 4
const CHECKSUM_BYTES = 4
/**
 * The smallest code of any readable version: a version-2 one holding version,
 * keys, binding, signed prekey (id, key, signature), a 1-byte name with its
 * length, relay count, checksum: 236 bytes (a version-3 one adds a reach length).
 */
const MIN_OFFER_BYTES =
  1 + KEY_BYTES * 2 + SIGNATURE_BYTES + PREKEY_ID_BYTES + KEY_BYTES + SIGNATURE_BYTES + 2 + 1 + CHECKSUM_BYTES

/** The public half of a signed prekey, as carried in an offer (unverified). */
export interface OfferSignedPrekey {
  /** u32 prekey id. */
  readonly id: number
  /** 32-byte X25519 prekey public key. */
  readonly publicKey: Uint8Array
  /** 64-byte Ed25519 signature, `SignatureContext.prekey`, over id (u32 BE) || publicKey. */
  readonly signature: Uint8Array
}

export interface Offer {
  /** 32-byte Ed25519 identity public key. */
  readonly identity: Uint8Array
  /** 32-byte X25519 Noise static public key. */
  readonly staticKey: Uint8Array
  /** 64-byte signature binding staticKey to identity. */
  readonly binding: Uint8Array
  /** Signed prekey for X3DH; its signature is not checked by the codec. */
  readonly signedPrekey: OfferSignedPrekey
  readonly displayName: string
  /** 0..4 ws:// or wss:// relay URLs. */
  readonly relays: readonly string[]
  /**
   * The maker's signed reach record, as signed (1..MAX_REACH_RECORD_BYTES bytes);
   * undefined for none (and for every version-2 code). Not verified by the codec.
   */
  readonly reach?: Uint8Array
}

/**
 * What a paste inserts: whitespace and line breaks (incl. NBSP, BOM), zero-width
 * spaces and joiners, and hyphen-like dashes word processors substitute.
 */
const PASTE_NOISE = /[\s\u200B-\u200D\u2060\u2010-\u2015\u2212-]/g

function checksum(bytes: Uint8Array): Uint8Array {
  return sha256(bytes).subarray(0, CHECKSUM_BYTES)
}

/** Throws InvalidOfferError 'field' when a field is out of bounds. */
export function encodeOffer(offer: Offer): string {
  const w = byteWriter(512 + (offer.reach?.length ?? 0))
  try {
    w.u8(OFFER_VERSION, 'offer version')
    w.bytes(offer.identity, 'identity', KEY_BYTES)
    w.bytes(offer.staticKey, 'static key', KEY_BYTES)
    w.bytes(offer.binding, 'binding', SIGNATURE_BYTES)
    w.u32(offer.signedPrekey.id, 'signed prekey id')
    w.bytes(offer.signedPrekey.publicKey, 'signed prekey', KEY_BYTES)
    w.bytes(offer.signedPrekey.signature, 'signed prekey signature', SIGNATURE_BYTES)
    writeProfile(w, offer)
    if (offer.reach === undefined) w.varint(0, 'reach record length')
    else w.lengthPrefixed(offer.reach, 'reach record', 1, MAX_REACH_RECORD_BYTES)
  } catch (err) {
    if (err instanceof MalformedError) throw new InvalidOfferError('field', err.message)
    throw err
  }
  const body = w.finish()
  return OFFER_PREFIX + base32Encode(concat(body, checksum(body)))
}

export function decodeOffer(code: string): Offer {
  if (typeof code !== 'string') throw new InvalidOfferError('empty')
  // ASCII-only uppercasing: String#toUpperCase maps 'ß' to 'SS' and 'ı' to 'I',
  // which would turn characters outside the alphabet into valid ones.
  const compact = code.replace(PASTE_NOISE, '').replace(/[a-z]/g, (c) => c.toUpperCase())
  if (compact.length === 0) throw new InvalidOfferError('empty')
  if (!compact.startsWith(OFFER_PREFIX)) {
    if (OFFER_PREFIX.startsWith(compact)) throw new InvalidOfferError('truncated')
    // SOV2… and later: a newer app's code, not a foreign string.
    if (/^SOV[0-9]/.test(compact)) throw new InvalidOfferError('version', 'newer')
    throw new InvalidOfferError('prefix')
  }
  const bytes = base32Decode(compact.slice(OFFER_PREFIX.length))
  if (bytes === 'alphabet') throw new InvalidOfferError('alphabet')
  if (bytes === 'length') throw new InvalidOfferError('truncated')
  // Non-zero padding bits: the last character was altered.
  if (bytes === 'padding') throw new InvalidOfferError('checksum')
  if (bytes.length <= CHECKSUM_BYTES) throw new InvalidOfferError('truncated')

  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES)
  if (!equals(checksum(body), bytes.subarray(body.length))) {
    // Too short to hold a valid offer: most likely cut off while copying.
    throw new InvalidOfferError(bytes.length < MIN_OFFER_BYTES ? 'truncated' : 'checksum')
  }
  // Version 1 carried no signed prekey: the contact must share a fresh code.
  const version = body[0]!
  if (version < OLDEST_READABLE_VERSION) throw new InvalidOfferError('version', 'older')
  if (version > OFFER_VERSION) throw new InvalidOfferError('version', 'newer')
  try {
    const r = byteReader(body)
    r.u8('offer version')
    const identity = r.bytes(KEY_BYTES, 'identity')
    const staticKey = r.bytes(KEY_BYTES, 'static key')
    const binding = r.bytes(SIGNATURE_BYTES, 'binding')
    const signedPrekey: OfferSignedPrekey = {
      id: r.u32('signed prekey id'),
      publicKey: r.bytes(KEY_BYTES, 'signed prekey'),
      signature: r.bytes(SIGNATURE_BYTES, 'signed prekey signature'),
    }
    const { displayName, relays } = readProfile(r)
    // Version 2 ends here; in version 3 a length of 0 says "no record".
    const reach = version >= 3 ? r.lengthPrefixed('reach record', 0, MAX_REACH_RECORD_BYTES) : undefined
    r.end('offer')
    const offer: Offer = { identity, staticKey, binding, signedPrekey, displayName, relays }
    return reach === undefined || reach.length === 0 ? offer : { ...offer, reach }
  } catch (err) {
    if (err instanceof MalformedError) throw new InvalidOfferError('field', err.message)
    throw err
  }
}

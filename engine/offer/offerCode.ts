/**
 * The connection offer a user copies, pastes or shows as a QR code: enough to
 * reach a peer (relays) and to start an authenticated session (identity, Noise
 * static key, and the signature binding them), and a signed prekey so the
 * contact can start an X3DH session from the code alone.
 *
 * Text form: `SOV1` + RFC 4648 base32 (uppercase, unpadded) of
 *
 *   version      u8   = 2
 *   identity     32   Ed25519 public key
 *   staticKey    32   X25519 Noise static public key
 *   binding      64   signature binding staticKey to identity
 *   spk id       u32  signed prekey id (big-endian)
 *   spk public   32   signed prekey X25519 public key
 *   spk sig      64   identity's signature, prekey context, over id (u32) || public
 *   displayName  varint length + UTF-8 (1..64 characters, trimmed, no controls)
 *   relay count  u8   0..4
 *   relays       varint length + UTF-8 each (ws:// or wss://, <= 256 bytes)
 *   checksum     4    first 4 bytes of SHA-256 of everything above
 *
 * Decoding forgives what pasting does — surrounding and inserted whitespace,
 * line breaks, dashes between groups, lowercase — and nothing else. The
 * checksum catches typos and truncation; it is not authentication (the
 * binding signature and the safety number are). The codec checks shape only:
 * neither the binding nor the prekey signature is verified here; whoever
 * accepts the offer verifies them as a prekey bundle (`verifyPrekeyBundle`).
 *
 * Version 1 (no signed prekey) is refused as 'version' with an "older
 * version" message; the `SOV1` prefix names the text encoding, not the layout.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { concat, equals } from '../bytes.ts'
import { byteReader, byteWriter, MalformedError, readProfile, writeProfile } from '../wire/index.ts'
import { base32Decode, base32Encode } from './base32.ts'
import { InvalidOfferError } from './errors.ts'

export const OFFER_PREFIX = 'SOV1'
export const OFFER_VERSION = 2
const KEY_BYTES = 32
const SIGNATURE_BYTES = 64
const PREKEY_ID_BYTES = 4
const CHECKSUM_BYTES = 4
/**
 * version, keys, binding, signed prekey (id, key, signature), a 1-byte name
 * with its length, relay count, checksum: 236 bytes.
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
  const w = byteWriter(512)
  try {
    w.u8(OFFER_VERSION, 'offer version')
    w.bytes(offer.identity, 'identity', KEY_BYTES)
    w.bytes(offer.staticKey, 'static key', KEY_BYTES)
    w.bytes(offer.binding, 'binding', SIGNATURE_BYTES)
    w.u32(offer.signedPrekey.id, 'signed prekey id')
    w.bytes(offer.signedPrekey.publicKey, 'signed prekey', KEY_BYTES)
    w.bytes(offer.signedPrekey.signature, 'signed prekey signature', SIGNATURE_BYTES)
    writeProfile(w, offer)
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
  if (body[0] !== OFFER_VERSION) throw new InvalidOfferError('version', body[0]! < OFFER_VERSION ? 'older' : 'newer')
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
    r.end('offer')
    return { identity, staticKey, binding, signedPrekey, displayName, relays }
  } catch (err) {
    if (err instanceof MalformedError) throw new InvalidOfferError('field', err.message)
    throw err
  }
}

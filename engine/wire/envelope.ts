/**
 * The end-to-end envelope (DESIGN.md §3). Relays read the header to route; the
 * body is sealed bytes only the recipient can open, and it carries the sender
 * (sealed sender), so a relay learns nothing beyond what the header shows.
 *
 * Layout (big-endian, 56-byte fixed header):
 *
 *   offset  size  field
 *   0       1     version      = 1
 *   1       16    id           message id, random, the same on every retry
 *   17      32    destination  recipient's Ed25519 public key
 *   49      1     ttl          hops left; each relay decrements it
 *   50      6     expiresAt    u48, ms since the Unix epoch
 *   56      1..3  body length  varint (LEB128, minimal), 1..MAX_ENVELOPE_BODY
 *   ..      n     body         sealed bytes, opaque here
 *
 * The sealed body authenticates every header byte except ttl
 * (`envelopeAssociatedData`), so a relay can decrement ttl but cannot redirect,
 * re-id or extend the life of an envelope without the recipient noticing.
 */
import { byteReader } from './byteReader.ts'
import { byteWriter, type ByteWriter } from './byteWriter.ts'
import { MalformedError, TtlExhaustedError, UnsupportedVersionError } from './errors.ts'

export const ENVELOPE_VERSION = 1
export const MESSAGE_ID_BYTES = 16
export const DESTINATION_BYTES = 32
export const MAX_ENVELOPE_BODY = 60_000
/** Bytes before the body length: version, id, destination, ttl, expiresAt. */
export const ENVELOPE_HEADER_BYTES = 1 + MESSAGE_ID_BYTES + DESTINATION_BYTES + 1 + 6
const TTL_OFFSET = 1 + MESSAGE_ID_BYTES + DESTINATION_BYTES

export interface EnvelopeHeader {
  readonly version: 1
  /** MESSAGE_ID_BYTES random bytes; duplicates are dropped by id. */
  readonly id: Uint8Array
  /** The recipient's 32-byte Ed25519 public key. */
  readonly destination: Uint8Array
  /** Hops left, 0..255. */
  readonly ttl: number
  /** Milliseconds since the Unix epoch, integer in 0..2^48-1. */
  readonly expiresAt: number
}

export interface Envelope {
  readonly header: EnvelopeHeader
  /** Sealed bytes, 1..MAX_ENVELOPE_BODY. */
  readonly body: Uint8Array
}

function writeHeader(w: ByteWriter, header: EnvelopeHeader, withTtl: boolean): void {
  if (header.version !== ENVELOPE_VERSION) {
    throw new UnsupportedVersionError('envelope', Number(header.version))
  }
  w.u8(header.version, 'envelope version')
  w.bytes(header.id, 'envelope id', MESSAGE_ID_BYTES)
  w.bytes(header.destination, 'envelope destination', DESTINATION_BYTES)
  if (withTtl) w.u8(header.ttl, 'envelope ttl')
  w.u48(header.expiresAt, 'envelope expiresAt')
}

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const w = byteWriter(ENVELOPE_HEADER_BYTES + 3 + envelope.body.length)
  writeHeader(w, envelope.header, true)
  w.lengthPrefixed(envelope.body, 'envelope body', 1, MAX_ENVELOPE_BODY)
  return w.finish()
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const r = byteReader(bytes)
  const version = r.u8('envelope version')
  if (version !== ENVELOPE_VERSION) throw new UnsupportedVersionError('envelope', version)
  const id = r.bytes(MESSAGE_ID_BYTES, 'envelope id')
  const destination = r.bytes(DESTINATION_BYTES, 'envelope destination')
  const ttl = r.u8('envelope ttl')
  const expiresAt = r.u48('envelope expiresAt')
  const body = r.lengthPrefixed('envelope body', 1, MAX_ENVELOPE_BODY)
  r.end('envelope')
  return { header: { version, id, destination, ttl, expiresAt }, body }
}

/**
 * Bytes of the header that the sealed body authenticates: everything except
 * ttl, which every hop decrements. Layout: version | id | destination |
 * expiresAt (55 bytes), i.e. the encoded header with the ttl byte removed.
 */
export function envelopeAssociatedData(header: EnvelopeHeader): Uint8Array {
  const w = byteWriter(ENVELOPE_HEADER_BYTES - 1)
  writeHeader(w, header, false)
  return w.finish()
}

/**
 * Copy of the encoded envelope with ttl decremented by one; throws
 * TtlExhaustedError when it is already 0. Cheap: no full decode/encode, so a
 * relay should have validated the envelope with `decodeEnvelope` on arrival.
 * It still refuses a short buffer or an unknown version rather than patching a
 * byte whose meaning it does not know.
 */
export function decrementTtl(encoded: Uint8Array): Uint8Array {
  if (encoded.length < ENVELOPE_HEADER_BYTES) throw new MalformedError('envelope header is truncated')
  const version = encoded[0]!
  if (version !== ENVELOPE_VERSION) throw new UnsupportedVersionError('envelope', version)
  const ttl = encoded[TTL_OFFSET]!
  if (ttl === 0) throw new TtlExhaustedError()
  const copy = encoded.slice()
  copy[TTL_OFFSET] = ttl - 1
  return copy
}


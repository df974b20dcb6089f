/**
 * The end-to-end envelope (DESIGN.md §3). Relays read the header to route; the
 * body is sealed bytes only the recipient can open, and it carries the sender
 * (sealed sender), so a relay learns nothing beyond what the header shows.
 *
 * Layout (big-endian, 57-byte fixed header):
 *
 *   offset  size  field
 *   0       1     version      = 2
 *   1       16    id           message id, random, the same on every retry
 *   17      32    destination  recipient's Ed25519 public key
 *   49      1     ttl          hops left; each relay decrements it
 *   50      1     attempt      0 on the first transmission, +1 per retransmission
 *   51      6     expiresAt    u48, ms since the Unix epoch
 *   57      1..3  body length  varint (LEB128, minimal), 1..MAX_ENVELOPE_BODY
 *   ..      n     body         sealed bytes, opaque here
 *
 * The sealed body authenticates every header byte except ttl and attempt
 * (`envelopeAssociatedData`), so a relay can decrement ttl and a sender can
 * re-stamp the attempt of the very same sealed bytes, but nobody can redirect,
 * re-id or extend the life of an envelope without the recipient noticing.
 * Version 1 (no attempt byte) is refused: relays dedupe by id and attempt, so a
 * v1 retry would be indistinguishable from a loop copy.
 */
import { byteReader } from './byteReader.ts'
import { byteWriter, type ByteWriter } from './byteWriter.ts'
import { MalformedError, TtlExhaustedError, UnsupportedVersionError } from './errors.ts'

export const ENVELOPE_VERSION = 2
export const MESSAGE_ID_BYTES = 16
export const DESTINATION_BYTES = 32
export const MAX_ENVELOPE_BODY = 60_000
/** Bytes before the body length: version, id, destination, ttl, attempt, expiresAt. */
export const ENVELOPE_HEADER_BYTES = 1 + MESSAGE_ID_BYTES + DESTINATION_BYTES + 1 + 1 + 6
/** Highest attempt the u8 can carry. */
export const MAX_ATTEMPT = 255
const TTL_OFFSET = 1 + MESSAGE_ID_BYTES + DESTINATION_BYTES
const ATTEMPT_OFFSET = TTL_OFFSET + 1

export interface EnvelopeHeader {
  readonly version: 2
  /** MESSAGE_ID_BYTES random bytes; relays drop a copy whose id and attempt they have seen. */
  readonly id: Uint8Array
  /** The recipient's 32-byte Ed25519 public key. */
  readonly destination: Uint8Array
  /** Hops left, 0..255. */
  readonly ttl: number
  /** Transmission number, 0..MAX_ATTEMPT; 0 is the first. Not authenticated (see `withAttempt`). */
  readonly attempt: number
  /** Milliseconds since the Unix epoch, integer in 0..2^48-1. */
  readonly expiresAt: number
}

export interface Envelope {
  readonly header: EnvelopeHeader
  /** Sealed bytes, 1..MAX_ENVELOPE_BODY. */
  readonly body: Uint8Array
}

function writeHeader(w: ByteWriter, header: EnvelopeHeader, unauthenticated: boolean): void {
  if (header.version !== ENVELOPE_VERSION) {
    throw new UnsupportedVersionError('envelope', Number(header.version))
  }
  w.u8(header.version, 'envelope version')
  w.bytes(header.id, 'envelope id', MESSAGE_ID_BYTES)
  w.bytes(header.destination, 'envelope destination', DESTINATION_BYTES)
  if (unauthenticated) {
    w.u8(header.ttl, 'envelope ttl')
    w.u8(header.attempt, 'envelope attempt')
  }
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
  const attempt = r.u8('envelope attempt')
  const expiresAt = r.u48('envelope expiresAt')
  const body = r.lengthPrefixed('envelope body', 1, MAX_ENVELOPE_BODY)
  r.end('envelope')
  return { header: { version, id, destination, ttl, attempt, expiresAt }, body }
}

/**
 * Bytes of the header that the sealed body authenticates: everything except
 * ttl (every hop decrements it) and attempt (the sender re-stamps it on each
 * retransmission of the same sealed bytes). Layout: version | id | destination
 * | expiresAt (55 bytes).
 */
export function envelopeAssociatedData(header: EnvelopeHeader): Uint8Array {
  const w = byteWriter(ENVELOPE_HEADER_BYTES - 2)
  writeHeader(w, header, false)
  return w.finish()
}

/** Refuses a short buffer or an unknown version before a byte of it is patched. */
function checkPatchable(encoded: Uint8Array): void {
  if (encoded.length < ENVELOPE_HEADER_BYTES) throw new MalformedError('envelope header is truncated')
  const version = encoded[0]!
  if (version !== ENVELOPE_VERSION) throw new UnsupportedVersionError('envelope', version)
}

/**
 * Copy of the encoded envelope with ttl decremented by one (and at most `cap`); throws
 * TtlExhaustedError when it is already 0. Cheap: no full decode/encode, so a
 * relay should have validated the envelope with `decodeEnvelope` on arrival.
 * It still refuses a short buffer or an unknown version rather than patching a
 * byte whose meaning it does not know.
 */
export function decrementTtl(encoded: Uint8Array, cap = 255): Uint8Array {
  checkPatchable(encoded)
  const ttl = encoded[TTL_OFFSET]!
  if (ttl === 0) throw new TtlExhaustedError()
  const copy = encoded.slice()
  // ttl is outside the authenticated data, so a relay may lower it: `cap` bounds what a sender asked for.
  copy[TTL_OFFSET] = Math.min(ttl - 1, cap)
  return copy
}

/**
 * Copy of the encoded envelope with its attempt byte set: how an outbox
 * retransmits the same sealed bytes so relays, which drop a copy of an id and
 * attempt they have already seen, pass the retry. The body stays valid because
 * attempt is outside `envelopeAssociatedData`.
 */
export function withAttempt(encoded: Uint8Array, attempt: number): Uint8Array {
  if (!Number.isInteger(attempt) || attempt < 0 || attempt > MAX_ATTEMPT) {
    throw new MalformedError(`envelope attempt must be an integer in 0..${MAX_ATTEMPT}`)
  }
  checkPatchable(encoded)
  const copy = encoded.slice()
  copy[ATTEMPT_OFFSET] = attempt
  return copy
}

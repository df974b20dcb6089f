/**
 * Typed errors of reach records and custody receipts. A malformed one throws
 * the wire's `MalformedError` / `UnsupportedVersionError` (they are wire
 * formats); the conditions below are the ones only a verifier can see. Each
 * carries `format`, so one caller can count refusals of both kinds by
 * `err.name` and `err.format`. Messages carry times, never keys or ids.
 */
import { SovereignError } from '../errors.ts'

/** Which signed format an error is about. */
export type SignedFormat = 'reach record' | 'custody receipt'

/** The signature is not the signer's (the record's identity, the receipt's custodian). */
export class BadRecordSignatureError extends SovereignError {
  readonly format: SignedFormat
  constructor(format: SignedFormat) {
    super('BadRecordSignatureError', `${format} signature does not verify under its signer's identity`)
    this.format = format
  }
}

/** Its expiry (`expiresAt`, `heldUntil`) has passed by the verifier's clock. */
export class RecordExpiredError extends SovereignError {
  readonly format: SignedFormat
  readonly expiresAt: number
  constructor(format: SignedFormat, expiresAt: number, now: number) {
    super('RecordExpiredError', `${format} expired ${now - expiresAt} ms ago`)
    this.format = format
    this.expiresAt = expiresAt
  }
}

/** Issued further ahead of the verifier's clock than the tolerated skew. */
export class RecordFromFutureError extends SovereignError {
  readonly format: SignedFormat
  readonly issuedAt: number
  constructor(format: SignedFormat, issuedAt: number, now: number) {
    super('RecordFromFutureError', `${format} issued ${issuedAt - now} ms in the future`)
    this.format = format
    this.issuedAt = issuedAt
  }
}

/** Expires before (or when) it is issued, or lives longer than its format allows. */
export class RecordLifetimeError extends SovereignError {
  readonly format: SignedFormat
  readonly lifetimeMs: number
  constructor(format: SignedFormat, lifetimeMs: number, maxMs: number) {
    super('RecordLifetimeError', `${format} lifetime ${lifetimeMs} ms is outside 1..${maxMs}`)
    this.format = format
    this.lifetimeMs = lifetimeMs
  }
}

/** Every name above plus the wire errors a reach record or custody receipt can raise. */
export const REACH_ERROR_NAMES: readonly string[] = [
  'BadRecordSignatureError',
  'RecordExpiredError',
  'RecordFromFutureError',
  'RecordLifetimeError',
  'MalformedError',
  'UnsupportedVersionError',
]

/** True for any error the verifiers here throw on hostile input, also after a worker boundary. */
export function isReachError(err: unknown): boolean {
  return err instanceof Error && REACH_ERROR_NAMES.includes(err.name)
}

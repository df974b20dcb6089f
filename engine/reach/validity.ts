/**
 * The time rules shared by reach records and custody receipts, and the
 * `Verified` brand that only their verifiers hand out, so that a decoded but
 * unchecked value cannot reach a rule that trusts its signature
 * (`acceptsCustodyReceipt`, the reach book). The brand is type-only: it costs
 * nothing at run time and a verified value still compares equal to its fields.
 */
import { RecordExpiredError, RecordFromFutureError, RecordLifetimeError } from './errors.ts'
import type { SignedFormat } from './errors.ts'

declare const verifiedBrand: unique symbol

/** A value whose signature and time rules a verifier here has checked. */
export type Verified<T> = T & { readonly [verifiedBrand]: true }

/**
 * Clock skew tolerated for something issued "in the future", as for
 * announcements (engine/routing/announcement.ts): phones drift by minutes,
 * and a signer cannot pre-date its word by more than this.
 */
export const DEFAULT_MAX_AHEAD_MS = 5 * 60_000

export interface VerifyOptions {
  /** The verifier's clock, ms since the epoch. Required: an expiry nobody checks protects nothing. */
  readonly now: number
  readonly maxAheadMs?: number
}

/**
 * Throws RecordLifetimeError unless `issuedAt < expiresAt <= issuedAt + maxLifetimeMs`,
 * RecordFromFutureError when issued more than maxAhead after `now`, and
 * RecordExpiredError from `expiresAt` on (the expiry is the first ms it is void).
 * Lifetime first: it needs no clock, so a signer learns of it when signing.
 */
export function checkTimes(
  format: SignedFormat,
  issuedAt: number,
  expiresAt: number,
  maxLifetimeMs: number,
  options: VerifyOptions | null,
): void {
  const lifetime = expiresAt - issuedAt
  if (lifetime < 1 || lifetime > maxLifetimeMs) throw new RecordLifetimeError(format, lifetime, maxLifetimeMs)
  if (options === null) return
  const { now } = options
  if (issuedAt > now + (options.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS)) throw new RecordFromFutureError(format, issuedAt, now)
  if (now >= expiresAt) throw new RecordExpiredError(format, expiresAt, now)
}

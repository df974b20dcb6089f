/**
 * Typed errors of routing. A malformed announcement throws the wire's
 * `MalformedError` / `UnsupportedVersionError` (it is a wire format); the
 * conditions below are the ones only a verifier can see. Callers branch on
 * `err.name` and may lower the sending neighbour's score for any of them.
 */
import { SovereignError } from '../errors.ts'

/** An announcement's signature (or that of the prekey it carries) is not its origin's. */
export class BadAnnouncementSignatureError extends SovereignError {
  readonly part: 'announcement' | 'prekey'
  constructor(part: 'announcement' | 'prekey') {
    super('BadAnnouncementSignatureError', `${part} signature does not verify under the origin's identity`)
    this.part = part
  }
}

/** An announcement was issued too long ago, or too far in the future, to be current. */
export class StaleAnnouncementError extends SovereignError {
  readonly issuedAt: number
  constructor(issuedAt: number, now: number) {
    const ahead = issuedAt > now
    super('StaleAnnouncementError', `announcement issued ${Math.abs(now - issuedAt)} ms ${ahead ? 'in the future' : 'ago'}`)
    this.issuedAt = issuedAt
  }
}

/** Every name above plus the wire errors an announcement can raise. */
export const ANNOUNCEMENT_ERROR_NAMES: readonly string[] = [
  'BadAnnouncementSignatureError',
  'StaleAnnouncementError',
  'MalformedError',
  'UnsupportedVersionError',
]

/** True for any error `verifyAnnouncement` or `Router.receive` throws on hostile input, also after a worker boundary. */
export function isAnnouncementError(err: unknown): boolean {
  return err instanceof Error && ANNOUNCEMENT_ERROR_NAMES.includes(err.name)
}

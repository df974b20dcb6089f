/**
 * Typed errors of end-to-end sessions. Callers branch on `err.name` (it survives
 * the Comlink boundary, `instanceof` does not). Messages never carry keys,
 * plaintext or full peer ids. Malformed bytes surface as the wire folder's
 * `MalformedError` / `UnsupportedVersionError` / `UnknownFrameTypeError`, and
 * AEAD failures as the crypto folder's `DecryptError` / `WeakKeyError`.
 */
import { SovereignError } from '../errors.ts'

/** A prekey bundle's binding or signed-prekey signature does not verify (X3DH §3.3: abort). */
export class InvalidBundleError extends SovereignError {
  constructor(message = 'prekey bundle signature or binding is invalid') {
    super('InvalidBundleError', message)
  }
}

/**
 * A header asks the receiver to derive more than MAX_SKIP message keys in one
 * chain (Double Ratchet §3.5 MAX_SKIP, §4.6 SkipMessageKeysHE). Nothing changes.
 */
export class TooManySkippedError extends SovereignError {
  /**
   * Identity of the session's peer when the header was authenticated under its
   * header key: that contact really is further ahead than this session can follow,
   * and only a new session heals it. Absent when no session was identified.
   */
  readonly peer: Uint8Array | null
  constructor(message = 'message counter jumps past the skip limit', peer: Uint8Array | null = null) {
    super('TooManySkippedError', message)
    this.peer = peer
  }
}

/**
 * The message belongs to this session but its key is gone: already used (a
 * replay or duplicate) or evicted from the bounded skipped-key store.
 */
export class DuplicateOrExpiredError extends SovereignError {
  constructor(message = 'message key already used or expired') {
    super('DuplicateOrExpiredError', message)
  }
}

/** No candidate session's header key opens an ordinary (non-prekey) message. */
export class NoSessionError extends SovereignError {
  constructor(message = 'no session opens this message') {
    super('NoSessionError', message)
  }
}

/** A prekey message names a signed prekey this device no longer (or never) had. */
export class UnknownSignedPrekeyError extends SovereignError {
  constructor(message = 'signed prekey is unknown') {
    super('UnknownSignedPrekeyError', message)
  }
}

/**
 * A prekey message names a one-time prekey that is not in the store: already
 * consumed by another session start (X3DH §4.2 replay) or never issued.
 */
export class UnknownOneTimePrekeyError extends SovereignError {
  constructor(message = 'one-time prekey is unknown or already used') {
    super('UnknownOneTimePrekeyError', message)
  }
}

/** The sealed sender's identity does not sign its static key (binding invalid). */
export class InvalidSenderError extends SovereignError {
  constructor(message = 'sealed sender binding is invalid') {
    super('InvalidSenderError', message)
  }
}

/** A session state cannot do what was asked (no sending chain yet, counter exhausted). */
export class SessionStateError extends SovereignError {
  constructor(message: string) {
    super('SessionStateError', message)
  }
}

/** Every name above: what a caller that maps session failures matches on. */
export const SESSION_ERROR_NAMES: readonly string[] = [
  'InvalidBundleError',
  'TooManySkippedError',
  'DuplicateOrExpiredError',
  'NoSessionError',
  'UnknownSignedPrekeyError',
  'UnknownOneTimePrekeyError',
  'InvalidSenderError',
  'SessionStateError',
]

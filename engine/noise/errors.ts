import { SovereignError } from '../errors.ts'

/**
 * A Noise object was used out of turn: writing when it is the peer's turn,
 * splitting before the handshake ended, reusing an aborted handshake, or
 * creating one with a configuration the pattern does not allow.
 */
export class NoiseStateError extends SovereignError {
  constructor(message: string) {
    super('NoiseStateError', message)
  }
}

/**
 * The 64-bit nonce would reach 2^64-1, which Noise rev 34 §5.1 reserves; we
 * stop earlier, at Number.MAX_SAFE_INTEGER, because the counter is a JS
 * number. Rekey or re-handshake before that (DESIGN.md §3).
 */
export class NonceExhaustedError extends SovereignError {
  constructor() {
    super('NonceExhaustedError', 'cipher state nonce exhausted')
  }
}

/** A handshake message is malformed (wrong length, too large); the handshake is aborted. */
export class HandshakeError extends SovereignError {
  constructor(message: string) {
    super('HandshakeError', message)
  }
}

/**
 * The peer's handshake payload does not bind its Noise static key to an
 * Ed25519 identity: missing, malformed, or a signature that does not verify.
 */
export class IdentityBindingError extends SovereignError {
  constructor(message = 'peer identity binding is invalid') {
    super('IdentityBindingError', message)
  }
}

/** A Noise message would exceed 65535 bytes (Noise rev 34 §3). */
export class MessageTooLargeError extends SovereignError {
  constructor(message = 'Noise message exceeds 65535 bytes') {
    super('MessageTooLargeError', message)
  }
}

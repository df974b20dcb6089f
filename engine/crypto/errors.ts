import { SovereignError } from '../errors.ts'

/**
 * An X25519 exchange met a low-order public key, so the shared secret would be
 * all zero and carry no secret at all (RFC 7748 §6.1). Peers that send such a
 * key are either broken or attacking; the exchange is refused.
 */
export class WeakKeyError extends SovereignError {
  constructor(message = 'X25519 public key has low order') {
    super('WeakKeyError', message)
  }
}

/** AEAD authentication failed: wrong key, nonce or associated data, or tampered bytes. */
export class DecryptError extends SovereignError {
  constructor(message = 'decryption failed') {
    super('DecryptError', message)
  }
}

/**
 * A key, nonce or requested output length has the wrong size. Always a caller
 * bug rather than hostile input: protocol decoders fix these sizes before any
 * primitive sees the bytes.
 */
export class InvalidLengthError extends SovereignError {
  constructor(message: string) {
    super('InvalidLengthError', message)
  }
}

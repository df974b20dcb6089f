import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { InvalidLengthError } from './errors.ts'

/**
 * A secret key and its public key: X25519 (Noise static and ephemeral keys) or
 * Ed25519 (identity keys, where `secretKey` is the 32-byte RFC 8032 seed).
 * Which one is always clear from where the pair is used.
 */
export interface KeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

const SECRET_LENGTH = 32

function randomSecret(random: Random): Uint8Array {
  const secret = random.bytes(SECRET_LENGTH)
  // A host Random that returns the wrong size is broken; never pad or truncate.
  if (secret.length !== SECRET_LENGTH) throw new InvalidLengthError('Random returned the wrong number of bytes')
  return secret
}

/** The X25519 pair of a 32-byte secret (RFC 7748 §5 clamps inside X25519, so any 32 bytes are a key). */
export function x25519KeyPair(crypto: Crypto, secretKey: Uint8Array): KeyPair {
  return { publicKey: crypto.x25519PublicKey(secretKey), secretKey }
}

/** A fresh X25519 pair; all randomness from the injected `Random`. */
export function generateX25519KeyPair(crypto: Crypto, random: Random): KeyPair {
  return x25519KeyPair(crypto, randomSecret(random))
}

/** The Ed25519 pair of a 32-byte seed (RFC 8032 §5.1.5). */
export function ed25519KeyPair(crypto: Crypto, seed: Uint8Array): KeyPair {
  return { publicKey: crypto.ed25519PublicKey(seed), secretKey: seed }
}

/** A fresh Ed25519 pair from a 32-byte seed drawn from the injected `Random`. */
export function generateEd25519KeyPair(crypto: Crypto, random: Random): KeyPair {
  return ed25519KeyPair(crypto, randomSecret(random))
}

import { concat } from '../bytes.ts'
import { generateEd25519KeyPair, generateX25519KeyPair } from '../crypto/keyPair.ts'
import type { KeyPair } from '../crypto/keyPair.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { SignatureContext, signWithContext, verifyWithContext } from './contexts.ts'
import { IdentityDecodeError } from './errors.ts'

/**
 * A user's long-term keys. The Ed25519 key is the identity peers know and
 * verify; the X25519 key is the Noise static key, usable only because the
 * identity signed it (`binding`), as libp2p-noise binds its static keys.
 */
export interface Identity {
  /** Ed25519; `secretKey` is the 32-byte seed. */
  readonly signingKey: KeyPair
  /** X25519, the Noise static key. */
  readonly staticKey: KeyPair
  /** Ed25519 signature under `SignatureContext.staticBinding` over `staticKey.publicKey`. */
  readonly binding: Uint8Array
}

const KEY = 32
const SIGNATURE = 64
const VERSION_1 = 1
/** version || signing seed || signing public || static secret || static public || binding */
const ENCODED_LENGTH = 1 + 4 * KEY + SIGNATURE

/** Signs `staticPublicKey` with the identity's seed: the proof peers check in `verifyBinding`. */
export function bindStaticKey(crypto: Crypto, signingSecretKey: Uint8Array, staticPublicKey: Uint8Array): Uint8Array {
  return signWithContext(crypto, signingSecretKey, SignatureContext.staticBinding, staticPublicKey)
}

/** A fresh identity; both 32-byte seeds come from the injected `Random`. */
export function generateIdentity(crypto: Crypto, random: Random): Identity {
  const signingKey = generateEd25519KeyPair(crypto, random)
  const staticKey = generateX25519KeyPair(crypto, random)
  return { signingKey, staticKey, binding: bindStaticKey(crypto, signingKey.secretKey, staticKey.publicKey) }
}

/** True when `binding` is `identityPublicKey`'s signature over `staticPublicKey` in the static-binding context. */
export function verifyBinding(
  crypto: Crypto,
  identityPublicKey: Uint8Array,
  staticPublicKey: Uint8Array,
  binding: Uint8Array,
): boolean {
  if (staticPublicKey.length !== KEY) return false
  return verifyWithContext(crypto, identityPublicKey, SignatureContext.staticBinding, staticPublicKey, binding)
}

/** Versioned storage form (secret!): 193 bytes for version 1. */
export function encodeIdentity(identity: Identity): Uint8Array {
  const parts = [
    identity.signingKey.secretKey,
    identity.signingKey.publicKey,
    identity.staticKey.secretKey,
    identity.staticKey.publicKey,
  ]
  if (parts.some((p) => p.length !== KEY) || identity.binding.length !== SIGNATURE) {
    throw new IdentityDecodeError('identity has a key or binding of the wrong size')
  }
  return concat(Uint8Array.of(VERSION_1), ...parts, identity.binding)
}

/**
 * Inverse of `encodeIdentity`. Checks shape only (it has no `Crypto`); call
 * `verifyBinding` where a corrupted store must be caught.
 */
export function decodeIdentity(bytes: Uint8Array): Identity {
  if (bytes.length === 0) throw new IdentityDecodeError('identity record is empty')
  if (bytes[0] !== VERSION_1) throw new IdentityDecodeError('identity record has an unknown version')
  if (bytes.length !== ENCODED_LENGTH) throw new IdentityDecodeError('identity record has the wrong length')
  const field = (index: number, length = KEY): Uint8Array => bytes.slice(1 + index * KEY, 1 + index * KEY + length)
  return {
    signingKey: { secretKey: field(0), publicKey: field(1) },
    staticKey: { secretKey: field(2), publicKey: field(3) },
    binding: field(4, SIGNATURE),
  }
}

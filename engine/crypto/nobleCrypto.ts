import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { Crypto } from '../ports/crypto.ts'
import { DecryptError, InvalidLengthError, WeakKeyError } from './errors.ts'
import { isAllZero, requireLength } from './checks.ts'

const KEY_LENGTH = 32
const NONCE_LENGTH = 12
const XNONCE_LENGTH = 24
const TAG_LENGTH = 16
const SIGNATURE_LENGTH = 64
// RFC 5869 §2.3: L <= 255 * HashLen.
const HKDF_MAX_LENGTH = 255 * 32
// RFC 8032 verification with ZIP-215 off: non-canonical A / R encodings and
// S >= L are rejected, as Wycheproof's `invalid` cases require (DESIGN.md §3).
const STRICT = { zip215: false } as const


/**
 * The portable `Crypto` provider on @noble (DESIGN.md §2). Every noble exception
 * is mapped to a typed error here so that nothing above the port ever sees one.
 * Ed25519 comes from @noble/curves rather than @noble/ed25519: x25519 already
 * pulls in the curve25519 field code, and curves' API is synchronous without
 * installing a global SHA-512 hook.
 */
export function nobleCrypto(): Crypto {
  return {
    name: 'noble',

    sha256(data: Uint8Array): Uint8Array {
      return sha256(data)
    },

    hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
      return hmac(sha256, key, data)
    },

    hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_MAX_LENGTH) {
        throw new InvalidLengthError(`HKDF-SHA256 output must be 0..${HKDF_MAX_LENGTH} bytes`)
      }
      return hkdf(sha256, ikm, salt, info, length)
    },

    x25519PublicKey(secretKey: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_LENGTH, 'X25519 secret key')
      return x25519.getPublicKey(secretKey)
    },

    x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_LENGTH, 'X25519 secret key')
      requireLength(publicKey, KEY_LENGTH, 'X25519 public key')
      let shared: Uint8Array
      try {
        shared = x25519.getSharedSecret(secretKey, publicKey)
      } catch {
        // Lengths are checked above, so noble only throws here for the
        // low-order u-coordinates it blocklists before running the ladder.
        throw new WeakKeyError()
      }
      // RFC 7748 §6.1: the all-zero check is the normative one; kept even though
      // noble's blocklist should already have caught every such key.
      if (isAllZero(shared)) throw new WeakKeyError()
      return shared
    },

    aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
      requireLength(key, KEY_LENGTH, 'ChaCha20-Poly1305 key')
      requireLength(nonce, NONCE_LENGTH, 'ChaCha20-Poly1305 nonce')
      return chacha20poly1305(key, nonce, ad).encrypt(plaintext)
    },

    aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array {
      requireLength(key, KEY_LENGTH, 'ChaCha20-Poly1305 key')
      requireLength(nonce, NONCE_LENGTH, 'ChaCha20-Poly1305 nonce')
      if (ciphertext.length < TAG_LENGTH) throw new DecryptError('ciphertext shorter than the tag')
      try {
        return chacha20poly1305(key, nonce, ad).decrypt(ciphertext)
      } catch {
        throw new DecryptError()
      }
    },

    xaeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
      requireLength(key, KEY_LENGTH, 'XChaCha20-Poly1305 key')
      requireLength(nonce, XNONCE_LENGTH, 'XChaCha20-Poly1305 nonce')
      return xchacha20poly1305(key, nonce, ad).encrypt(plaintext)
    },

    xaeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array {
      requireLength(key, KEY_LENGTH, 'XChaCha20-Poly1305 key')
      requireLength(nonce, XNONCE_LENGTH, 'XChaCha20-Poly1305 nonce')
      if (ciphertext.length < TAG_LENGTH) throw new DecryptError('ciphertext shorter than the tag')
      try {
        return xchacha20poly1305(key, nonce, ad).decrypt(ciphertext)
      } catch {
        throw new DecryptError()
      }
    },

    ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_LENGTH, 'Ed25519 seed')
      return ed25519.getPublicKey(secretKey)
    },

    ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_LENGTH, 'Ed25519 seed')
      return ed25519.sign(message, secretKey)
    },

    ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      // Wrong sizes are hostile input here, not a caller bug: answer false.
      if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== KEY_LENGTH) return false
      try {
        return ed25519.verify(signature, message, publicKey, STRICT)
      } catch {
        return false
      }
    },
  }
}

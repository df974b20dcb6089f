import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hash,
  hkdfSync,
  sign,
  verify,
} from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { hchacha } from '@noble/ciphers/chacha.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { DecryptError, InvalidLengthError, WeakKeyError } from '../../engine/crypto/errors.ts'
import type { Crypto } from '../../engine/ports/crypto.ts'
import { isAllZero, requireLength } from '../../engine/crypto/checks.ts'

const KEY_LENGTH = 32
const NONCE_LENGTH = 12
const XNONCE_LENGTH = 24
const TAG_LENGTH = 16
const SIGNATURE_LENGTH = 64
// RFC 5869 §2.3: L <= 255 * HashLen.
const HKDF_MAX_LENGTH = 255 * 32
// node:crypto refuses HKDF info longer than this (OpenSSL's own limit).
const NODE_HKDF_MAX_INFO = 1024
// Static and identity keys recur on every message; ephemeral keys churn through.
const KEY_CACHE_SIZE = 256

// RFC 8410 DER wrappers: each is a fixed prefix followed by the 32 raw key bytes.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

// Ed25519 group order L, little-endian (RFC 8032 §5.1).
const ORDER_LE = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex')
const STRICT = { zip215: false } as const
// ChaCha's "expand 32-byte k" constant, the first HChaCha20 input row.
const SIGMA = Buffer.from('expand 32-byte k', 'latin1')


/**
 * A plain `Uint8Array` over a Buffer node:crypto returned, without copying when
 * the Buffer owns its whole ArrayBuffer. A Buffer sliced from node's shared pool
 * is copied instead: handing out a view of the pool would leak neighbouring bytes
 * through `.buffer` and let a transfer detach the pool.
 */
function plain(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length) return new Uint8Array(buf.buffer, 0, buf.length)
  return new Uint8Array(buf)
}

/** S < L, comparing little-endian bytes from the most significant end. */
function scalarIsCanonical(sig: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = sig[32 + i]!
    const l = ORDER_LE[i]!
    if (s !== l) return s < l
  }
  return false
}

/**
 * A bounded map from key bytes to the KeyObject built from them, least recently
 * used out first. KeyObject construction (DER parse, OpenSSL key setup) costs
 * about as much as the operation itself, so repeated keys must not pay it twice.
 */
function keyCache<V>(build: (bytes: Uint8Array) => V): (bytes: Uint8Array) => V {
  const entries = new Map<string, V>()
  return (bytes) => {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1')
    const hit = entries.get(id)
    if (hit !== undefined) {
      entries.delete(id)
      entries.set(id, hit)
      return hit
    }
    const value = build(bytes)
    if (entries.size >= KEY_CACHE_SIZE) entries.delete(entries.keys().next().value!)
    entries.set(id, value)
    return value
  }
}

function der(prefix: Buffer, key: Uint8Array): Buffer {
  return Buffer.concat([prefix, key])
}

/**
 * The raw public key of an X25519 or Ed25519 private KeyObject. OpenSSL computed
 * it when the private key was imported; the JWK `x` member (RFC 8037 §2) is that
 * raw key, and exporting it is ~5x cheaper than encoding SPKI DER to strip it.
 */
function publicKeyBytes(privateKey: KeyObject): Uint8Array {
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' })
  if (typeof x !== 'string') throw new Error('node:crypto exported an OKP key without x')
  return plain(Buffer.from(x, 'base64url'))
}

/**
 * Noble's strict decoding is the reference for which public keys are acceptable:
 * canonical encoding (y < p, no x = 0 with the sign bit set) and not of small
 * order. OpenSSL accepts all of those, so a key failing here never reaches it.
 */
function strictEd25519PublicKey(pk: Uint8Array): KeyObject | null {
  try {
    if (ed25519.Point.fromBytes(pk, false).isSmallOrder()) return null
  } catch {
    return null
  }
  return createPublicKey({ key: der(ED25519_SPKI_PREFIX, pk), format: 'der', type: 'spki' })
}

/** IETF ChaCha20-Poly1305 seal on OpenSSL (RFC 8439); sizes already checked. */
function ietfSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH })
  cipher.setAAD(ad, { plaintextLength: plaintext.length })
  const body = cipher.update(plaintext)
  cipher.final()
  // Unpooled and not zero-filled: both parts overwrite every byte.
  const out = Buffer.allocUnsafeSlow(body.length + TAG_LENGTH)
  body.copy(out)
  cipher.getAuthTag().copy(out, body.length)
  return plain(out)
}

/** Inverse of `ietfSeal`; key and nonce sizes already checked. */
function ietfOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array {
  if (ciphertext.length < TAG_LENGTH) throw new DecryptError('ciphertext shorter than the tag')
  const end = ciphertext.length - TAG_LENGTH
  try {
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH })
    decipher.setAuthTag(ciphertext.subarray(end))
    decipher.setAAD(ad, { plaintextLength: end })
    const body = decipher.update(ciphertext.subarray(0, end))
    decipher.final()
    return plain(body)
  } catch {
    throw new DecryptError()
  }
}

/** 32-bit words over a fresh, aligned copy of `bytes` (a multiple of 4 long), in byte order. */
function words(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(Uint8Array.from(bytes).buffer)
}

/**
 * XChaCha20-Poly1305 through the IETF construction (draft-irtf-cfrg-xchacha
 * §2.3): OpenSSL has no XChaCha, so HChaCha20 (noble's) turns the key and the
 * first 16 nonce bytes into a subkey, and the IETF AEAD runs under that subkey
 * with nonce = 4 zero bytes || the last 8 nonce bytes. Noble's `hchacha` takes
 * word views of little-endian byte buffers, as its own xchacha path passes them.
 */
function withXChaChaSubkey<T>(key: Uint8Array, nonce: Uint8Array, run: (subkey: Uint8Array, nonce12: Uint8Array) => T): T {
  requireLength(key, KEY_LENGTH, 'XChaCha20-Poly1305 key')
  requireLength(nonce, XNONCE_LENGTH, 'XChaCha20-Poly1305 nonce')
  const keyWords = words(key)
  const out = new Uint32Array(8)
  hchacha(words(SIGMA), keyWords, words(nonce.subarray(0, 16)), out)
  keyWords.fill(0)
  const subkey = new Uint8Array(out.buffer)
  const nonce12 = new Uint8Array(NONCE_LENGTH)
  nonce12.set(nonce.subarray(16), 4)
  try {
    return run(subkey, nonce12)
  } finally {
    subkey.fill(0)
  }
}

/**
 * The `Crypto` port on node:crypto (OpenSSL), for the Node hosts (DESIGN.md §2).
 * Byte-for-byte and error-for-error the same as `nobleCrypto()`; the shared
 * contract suite runs against both. Every OpenSSL exception is mapped to the
 * typed error noble's provider throws for the same input.
 */
export function nodeCrypto(): Crypto {
  const x25519Secret = keyCache((sk) => createPrivateKey({ key: der(X25519_PKCS8_PREFIX, sk), format: 'der', type: 'pkcs8' }))
  const x25519Public = keyCache((pk) => createPublicKey({ key: der(X25519_SPKI_PREFIX, pk), format: 'der', type: 'spki' }))
  const ed25519Secret = keyCache((seed) => createPrivateKey({ key: der(ED25519_PKCS8_PREFIX, seed), format: 'der', type: 'pkcs8' }))
  const ed25519Public = keyCache(strictEd25519PublicKey)

  function sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
    const privateKey = x25519Secret(secretKey)
    const publicKeyObject = x25519Public(publicKey)
    let shared: Buffer
    try {
      shared = diffieHellman({ privateKey, publicKey: publicKeyObject })
    } catch {
      // Sizes are checked and any 32 bytes import as a u-coordinate, so OpenSSL
      // only fails here on the all-zero result it refuses to return (RFC 7748 §6.1).
      throw new WeakKeyError()
    }
    if (isAllZero(shared)) throw new WeakKeyError()
    return plain(shared)
  }

  return {
    name: 'node',

    sha256(data: Uint8Array): Uint8Array {
      // One-shot `hash` skips the Hash object; ~1.5x createHash on small inputs.
      return plain(hash('sha256', data, 'buffer'))
    },

    hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
      return plain(createHmac('sha256', key).update(data).digest())
    },

    hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_MAX_LENGTH) {
        throw new InvalidLengthError(`HKDF-SHA256 output must be 0..${HKDF_MAX_LENGTH} bytes`)
      }
      // OpenSSL refuses an empty output and long info; RFC 5869 allows both, and
      // so does noble, which computes the same bytes for these rare inputs.
      if (length === 0) return new Uint8Array(0)
      if (info.length > NODE_HKDF_MAX_INFO) return hkdf(sha256, ikm, salt, info, length)
      return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))
    },

    x25519PublicKey(secretKey: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_LENGTH, 'X25519 secret key')
      return publicKeyBytes(x25519Secret(secretKey))
    },

    x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_LENGTH, 'X25519 secret key')
      requireLength(publicKey, KEY_LENGTH, 'X25519 public key')
      return sharedSecret(secretKey, publicKey)
    },

    aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
      requireLength(key, KEY_LENGTH, 'ChaCha20-Poly1305 key')
      requireLength(nonce, NONCE_LENGTH, 'ChaCha20-Poly1305 nonce')
      return ietfSeal(key, nonce, plaintext, ad)
    },

    aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array {
      requireLength(key, KEY_LENGTH, 'ChaCha20-Poly1305 key')
      requireLength(nonce, NONCE_LENGTH, 'ChaCha20-Poly1305 nonce')
      return ietfOpen(key, nonce, ciphertext, ad)
    },

    xaeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
      return withXChaChaSubkey(key, nonce, (subkey, nonce12) => ietfSeal(subkey, nonce12, plaintext, ad))
    },

    xaeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array {
      return withXChaChaSubkey(key, nonce, (subkey, nonce12) => ietfOpen(subkey, nonce12, ciphertext, ad))
    },

    ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_LENGTH, 'Ed25519 seed')
      return publicKeyBytes(ed25519Secret(secretKey))
    },

    ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_LENGTH, 'Ed25519 seed')
      return plain(sign(null, message, ed25519Secret(secretKey)))
    },

    ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      // Wrong sizes are hostile input here, not a caller bug: answer false.
      if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== KEY_LENGTH) return false
      // RFC 8032 §5.1.7: S >= L is rejected. OpenSSL does too; checking first
      // spares the fallback below.
      if (!scalarIsCanonical(signature)) return false
      try {
        const key = ed25519Public(publicKey)
        if (key === null) return false
        if (verify(null, message, key, signature)) return true
        // RFC 8032 §5.1.7 permits either verification equation. OpenSSL checks the
        // cofactorless one, noble (the reference) the cofactored one; they differ
        // only when R or A carries a small-order component, which a signer can
        // craft on purpose. OpenSSL's accepts are a subset of noble's once A passed
        // the strict checks above, so asking noble about rejections alone makes the
        // providers agree on every input. Valid signatures stay on the native path.
        return ed25519.verify(signature, message, publicKey, STRICT)
      } catch {
        return false
      }
    },
  }
}

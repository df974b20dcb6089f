/**
 * The Double Ratchet's key derivations (Double Ratchet §5.2, recommended
 * cryptographic algorithms) and the message cipher. All primitives come from
 * the Crypto port; every info string is versioned so a future change of
 * derivation cannot collide with this one.
 */
import { utf8Encode } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'

const KEY = 32
const NONCE = 12
const ZERO_SALT = new Uint8Array(KEY)
const RATCHET_INFO = utf8Encode('Sovereign_Ratchet_v1')
const MESSAGE_INFO = utf8Encode('Sovereign_Message_v1')
const SEEDS_INFO = utf8Encode('Sovereign_X3DH_v1_ratchet')
// §5.2: "using HMAC with SHA-256 ... 0x01 as the input to produce the message
// key, and 0x02 as the input to produce the next chain key".
const MESSAGE_KEY_INPUT = Uint8Array.of(0x01)
const CHAIN_KEY_INPUT = Uint8Array.of(0x02)

export interface RootStep {
  readonly rootKey: Uint8Array
  readonly chainKey: Uint8Array
  /** The next header key of the chain this step starts (§4.2 KDF_RK_HE's third output). */
  readonly nextHeaderKey: Uint8Array
}

/**
 * KDF_RK_HE (§4.2, §5.2): HKDF-SHA256 with the root key as salt and the DH
 * output as input key material, 96 bytes split into root, chain and next
 * header key.
 */
export function kdfRk(crypto: Crypto, rootKey: Uint8Array, dhOutput: Uint8Array): RootStep {
  const out = crypto.hkdfSha256(dhOutput, rootKey, RATCHET_INFO, 3 * KEY)
  return { rootKey: out.slice(0, KEY), chainKey: out.slice(KEY, 2 * KEY), nextHeaderKey: out.slice(2 * KEY) }
}

export interface ChainStep {
  readonly chainKey: Uint8Array
  readonly messageKey: Uint8Array
}

/** KDF_CK (§5.2): HMAC-SHA256 keyed by the chain key over the constants 0x01 and 0x02. */
export function kdfCk(crypto: Crypto, chainKey: Uint8Array): ChainStep {
  return {
    chainKey: crypto.hmacSha256(chainKey, CHAIN_KEY_INPUT),
    messageKey: crypto.hmacSha256(chainKey, MESSAGE_KEY_INPUT),
  }
}

export interface RatchetSeeds {
  /** The first root key: SK itself is only ever used as HKDF input. */
  readonly rootKey: Uint8Array
  /** shared_hka of §4.4: the initiator's first sending header key. */
  readonly initiatorHeaderKey: Uint8Array
  /** shared_nhkb of §4.4: the responder's first next sending header key. */
  readonly responderNextHeaderKey: Uint8Array
}

/**
 * X3DH's SK expanded into the three values RatchetInitAliceHE / RatchetInitBobHE
 * take (§4.4: "shared_hka and shared_nhkb" are further outputs of the key
 * agreement). HKDF(SK, zero salt, 'Sovereign_X3DH_v1_ratchet', 96).
 */
export function ratchetSeeds(crypto: Crypto, sharedSecret: Uint8Array): RatchetSeeds {
  const out = crypto.hkdfSha256(sharedSecret, ZERO_SALT, SEEDS_INFO, 3 * KEY)
  return {
    rootKey: out.slice(0, KEY),
    initiatorHeaderKey: out.slice(KEY, 2 * KEY),
    responderNextHeaderKey: out.slice(2 * KEY),
  }
}

/**
 * ENCRYPT / DECRYPT of §5.2 with ChaCha20-Poly1305 instead of AES-CBC+HMAC:
 * HKDF(mk, zero salt, 'Sovereign_Message_v1', 44) gives a 32-byte key and a
 * 12-byte nonce. Every message key encrypts exactly one message (§5.2), so a
 * derived nonce never repeats under its key.
 */
function messageCipher(crypto: Crypto, messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const out = crypto.hkdfSha256(messageKey, ZERO_SALT, MESSAGE_INFO, KEY + NONCE)
  return { key: out.slice(0, KEY), nonce: out.slice(KEY) }
}

export function sealBody(crypto: Crypto, messageKey: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const { key, nonce } = messageCipher(crypto, messageKey)
  return crypto.aeadSeal(key, nonce, plaintext, ad)
}

/** Throws `DecryptError` when the body or `ad` was altered or `messageKey` is wrong. */
export function openBody(crypto: Crypto, messageKey: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array {
  const { key, nonce } = messageCipher(crypto, messageKey)
  return crypto.aeadOpen(key, nonce, ciphertext, ad)
}

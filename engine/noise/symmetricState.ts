import { concat } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'
import { createCipherState } from './cipherState.ts'
import type { CipherState } from './cipherState.ts'
import { NoiseStateError } from './errors.ts'

/** HASHLEN for SHA256 (Noise rev 34 §12.5). */
export const HASH_LENGTH = 32

/** Noise rev 34 §5.2: the chaining key, the handshake hash and a CipherState. */
export interface SymmetricState {
  mixKey(inputKeyMaterial: Uint8Array): void
  mixHash(data: Uint8Array): void
  mixKeyAndHash(inputKeyMaterial: Uint8Array): void
  getHandshakeHash(): Uint8Array
  hasKey(): boolean
  encryptAndHash(plaintext: Uint8Array): Uint8Array
  /** Throws `DecryptError` and leaves h, ck and the cipher untouched on failure. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array
  /** Split: c1 carries initiator-to-responder traffic, c2 the reverse. */
  split(): [CipherState, CipherState]
}

const EMPTY = new Uint8Array(0)

/**
 * §4.3 HKDF(chaining_key, input_key_material, num_outputs), built on HMAC as
 * the spec writes it rather than on RFC 5869's interface.
 */
export function noiseHkdf(crypto: Crypto, chainingKey: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const tempKey = crypto.hmacSha256(chainingKey, ikm)
  const out1 = crypto.hmacSha256(tempKey, Uint8Array.of(0x01))
  const out2 = crypto.hmacSha256(tempKey, concat(out1, Uint8Array.of(0x02)))
  if (outputs === 2) return [out1, out2]
  return [out1, out2, crypto.hmacSha256(tempKey, concat(out2, Uint8Array.of(0x03)))]
}

/** InitializeSymmetric(protocol_name), §5.2. */
export function createSymmetricState(crypto: Crypto, protocolName: Uint8Array): SymmetricState {
  // §5.2: a name of at most HASHLEN bytes is zero-padded, a longer one hashed.
  let h: Uint8Array
  if (protocolName.length <= HASH_LENGTH) {
    h = new Uint8Array(HASH_LENGTH)
    h.set(protocolName)
  } else {
    h = crypto.sha256(protocolName)
  }
  let ck: Uint8Array = h.slice()
  let wasSplit = false
  const cipher = createCipherState(crypto)

  const mixHash = (data: Uint8Array): void => {
    h = crypto.sha256(concat(h, data))
  }

  return {
    mixKey(inputKeyMaterial: Uint8Array): void {
      const [nextCk, tempK] = noiseHkdf(crypto, ck, inputKeyMaterial, 2) as [Uint8Array, Uint8Array]
      ck = nextCk
      // HASHLEN is 32, so temp_k needs no truncation to the 32-byte cipher key.
      cipher.initializeKey(tempK)
    },
    mixHash,
    mixKeyAndHash(inputKeyMaterial: Uint8Array): void {
      const [nextCk, tempH, tempK] = noiseHkdf(crypto, ck, inputKeyMaterial, 3) as [Uint8Array, Uint8Array, Uint8Array]
      ck = nextCk
      mixHash(tempH)
      cipher.initializeKey(tempK)
    },
    getHandshakeHash: () => h.slice(),
    hasKey: () => cipher.hasKey(),
    encryptAndHash(plaintext: Uint8Array): Uint8Array {
      const ciphertext = cipher.encryptWithAd(h, plaintext)
      mixHash(ciphertext)
      return ciphertext
    },
    decryptAndHash(ciphertext: Uint8Array): Uint8Array {
      const plaintext = cipher.decryptWithAd(h, ciphertext)
      mixHash(ciphertext)
      return plaintext
    },
    split(): [CipherState, CipherState] {
      if (wasSplit) throw new NoiseStateError('symmetric state already split')
      wasSplit = true
      const [k1, k2] = noiseHkdf(crypto, ck, EMPTY, 2) as [Uint8Array, Uint8Array]
      // §5.3: the chaining key has done its job; drop it so a later leak of this
      // object cannot re-derive the transport keys.
      ck.fill(0)
      return [createCipherState(crypto, k1), createCipherState(crypto, k2)]
    },
  }
}

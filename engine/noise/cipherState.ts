import type { Crypto } from '../ports/crypto.ts'
import { NoiseStateError, NonceExhaustedError } from './errors.ts'

/** Noise rev 34 §5.1: a key (or none) and a nonce counter. */
export interface CipherState {
  /** InitializeKey: sets k and resets n to 0. */
  initializeKey(key: Uint8Array | null): void
  hasKey(): boolean
  /** SetNonce; only for protocols that manage nonces themselves. */
  setNonce(nonce: number): void
  /** EncryptWithAd; without a key the plaintext passes through (handshake use). */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array
  /**
   * DecryptWithAd. On failure throws `DecryptError` and changes nothing, so a
   * forged or corrupted message does not desynchronise the session.
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array
  /** Rekey (§4.2, §11.3): k = first 32 bytes of ENCRYPT(k, 2^64-1, empty, zeros). */
  rekey(): void
}

/**
 * The largest nonce we use. Noise forbids 2^64-1; a JS number is exact only up
 * to 2^53-1, so the counter stops there, far beyond any session's life.
 */
export const MAX_NONCE: number = Number.MAX_SAFE_INTEGER

const KEY_LENGTH = 32
const TWO_POW_32 = 0x1_0000_0000

/** §12.3 ChaChaPoly: 4 zero bytes then the 64-bit counter, little-endian. */
function nonceBytes(n: number): Uint8Array {
  const out = new Uint8Array(12)
  const view = new DataView(out.buffer)
  view.setUint32(4, n % TWO_POW_32, true)
  view.setUint32(8, Math.floor(n / TWO_POW_32), true)
  return out
}

// §4.2 REKEY's nonce, 2^64-1: beyond a JS number, so spelled as bytes.
const REKEY_NONCE = Uint8Array.of(0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255)
const EMPTY = new Uint8Array(0)

/** A fresh CipherState; `key` null means "no key yet" (§5.1 InitializeKey(empty)). */
export function createCipherState(crypto: Crypto, key: Uint8Array | null = null): CipherState {
  return new Cipher(crypto, key)
}

/**
 * A class, not closures: every open link holds two for its life (a relay, 10,000 links),
 * and six closures with their context cost ~7× the bytes of one instance.
 */
class Cipher implements CipherState {
  private k: Uint8Array | null = null
  private n = 0
  private readonly crypto: Crypto

  constructor(crypto: Crypto, key: Uint8Array | null) {
    this.crypto = crypto
    this.initializeKey(key)
  }

  initializeKey(next: Uint8Array | null): void {
    if (next !== null && next.length !== KEY_LENGTH) throw new NoiseStateError('cipher key must be 32 bytes')
    this.k = next === null ? null : next.slice()
    this.n = 0
  }

  hasKey(): boolean {
    return this.k !== null
  }

  setNonce(nonce: number): void {
    if (!Number.isSafeInteger(nonce) || nonce < 0) throw new NoiseStateError('nonce must be a safe non-negative integer')
    this.n = nonce
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.k === null) return plaintext.slice()
    const out = this.crypto.aeadSeal(this.k, this.nextNonce(), plaintext, ad)
    this.n++
    return out
  }

  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.k === null) return ciphertext.slice()
    // §5.1: n advances only after a successful DECRYPT, so a throw leaves it.
    const out = this.crypto.aeadOpen(this.k, this.nextNonce(), ciphertext, ad)
    this.n++
    return out
  }

  rekey(): void {
    if (this.k === null) throw new NoiseStateError('rekey without a key')
    this.k = this.crypto.aeadSeal(this.k, REKEY_NONCE, new Uint8Array(KEY_LENGTH), EMPTY).subarray(0, KEY_LENGTH).slice()
  }

  private nextNonce(): Uint8Array {
    if (this.n >= MAX_NONCE) throw new NonceExhaustedError()
    return nonceBytes(this.n)
  }
}

/**
 * A CipherState for the direction a one-way pattern never uses (§5.2 Split:
 * "the responder's c2 ... must not be used"): every operation refuses.
 */
export function unusableCipherState(reason: string): CipherState {
  const refuse = (): never => {
    throw new NoiseStateError(reason)
  }
  return {
    initializeKey: refuse,
    hasKey: () => false,
    setNonce: refuse,
    encryptWithAd: refuse,
    decryptWithAd: refuse,
    rekey: refuse,
  }
}

import { concat } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'

/**
 * Signal's 60-digit safety number (libsignal `NumericFingerprintGenerator`),
 * adapted to the port, which has SHA-256 and not SHA-512:
 *
 *   h_0 = empty;  h_{i+1} = SHA-256(version || key || h_i),  i < 5200
 *
 * Signal's iteration count is kept: it costs an attacker who grinds keys for a
 * colliding number 5200 hashes per try. Signal also hashes a stable user id
 * (the phone number) in; we have none beyond the key itself.
 */
const ITERATIONS = 5200
/** Bumped if this derivation ever changes, so old and new numbers never match. */
const VERSION = Uint8Array.of(0x00, 0x00)
const CHUNKS = 6
const CHUNK_BYTES = 5
const CHUNK_MODULUS = 100_000

/** 30 digits for one key: 6 chunks of 5 bytes, each big-endian mod 100000, zero-padded to 5 digits. */
function digitsFor(crypto: Crypto, key: Uint8Array): string {
  let hash: Uint8Array = new Uint8Array(0)
  for (let i = 0; i < ITERATIONS; i++) hash = crypto.sha256(concat(VERSION, key, hash))
  let out = ''
  for (let c = 0; c < CHUNKS; c++) {
    // 40-bit big-endian chunk: exact in a JS number (< 2^53).
    let value = 0
    for (let b = 0; b < CHUNK_BYTES; b++) value = value * 256 + hash[c * CHUNK_BYTES + b]!
    out += String(value % CHUNK_MODULUS).padStart(5, '0')
  }
  return out
}

/**
 * The safety number two contacts compare, the same string on both sides: the
 * two 30-digit halves in ascending order, as 12 space-separated groups of 5.
 */
export function safetyNumber(crypto: Crypto, myKey: Uint8Array, theirKey: Uint8Array): string {
  const halves = [digitsFor(crypto, myKey), digitsFor(crypto, theirKey)].sort()
  return halves.join('').match(/\d{5}/g)!.join(' ')
}

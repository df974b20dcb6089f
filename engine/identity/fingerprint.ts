import { toHex } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'

/** SHA-256 of a public key (DESIGN.md §3). */
export function fingerprint(crypto: Crypto, publicKey: Uint8Array): Uint8Array {
  return crypto.sha256(publicKey)
}

const SHORT_BYTES = 8

/**
 * The first 8 fingerprint bytes as hex in groups of 4 (`ab12 cd34 ef56 7890`):
 * a label for lists and logs, 64 bits, not a verification code. Users verify
 * contacts with the safety number.
 */
export function shortFingerprint(crypto: Crypto, publicKey: Uint8Array): string {
  const hex = toHex(fingerprint(crypto, publicKey).subarray(0, SHORT_BYTES))
  return hex.match(/.{4}/g)!.join(' ')
}

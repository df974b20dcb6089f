/**
 * Encrypted message headers (Double Ratchet §4: header encryption). The header
 * (ratchet public key, previous chain length, message number) is what would
 * let a relay link messages to one session; HENCRYPT hides it.
 *
 * A header key encrypts every header of its chain, so (§4.2 HENCRYPT) the AEAD
 * needs a nonce that never repeats under it: a fresh random 96-bit nonce per
 * header, sent in front. A chain has at most 2^32 headers (u32 counter), which
 * keeps the nonce-collision odds below 2^-32.
 *
 *   encrypted header = nonce (12) || ChaCha20-Poly1305(hk, nonce, dh 32 || pn u32 || n u32, ad) (40 + 16)
 */
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { InvalidLengthError } from '../crypto/errors.ts'

const KEY = 32
const NONCE = 12
const TAG = 16
const HEADER_PLAINTEXT = KEY + 4 + 4
export const ENCRYPTED_HEADER_BYTES = NONCE + HEADER_PLAINTEXT + TAG
export const MAX_COUNTER = 0xffffffff

export interface Header {
  /** The sender's current ratchet public key. */
  readonly dh: Uint8Array
  /** Length of the sender's previous sending chain (PN). */
  readonly pn: number
  /** Message number in the current sending chain (N). */
  readonly n: number
}

function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24
  out[offset + 1] = (value >>> 16) & 0xff
  out[offset + 2] = (value >>> 8) & 0xff
  out[offset + 3] = value & 0xff
}

function readU32(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! * 0x1000000 + ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!)
}

/** HENCRYPT(hk, header) bound to `ad`; the caller checks the counters fit in a u32. */
export function sealHeader(crypto: Crypto, random: Random, headerKey: Uint8Array, header: Header, ad: Uint8Array): Uint8Array {
  const plain = new Uint8Array(HEADER_PLAINTEXT)
  plain.set(header.dh, 0)
  writeU32(plain, KEY, header.pn)
  writeU32(plain, KEY + 4, header.n)
  const nonce = random.bytes(NONCE)
  if (nonce.length !== NONCE) throw new InvalidLengthError('Random returned the wrong number of bytes')
  const sealed = crypto.aeadSeal(headerKey, nonce, plain, ad)
  const out = new Uint8Array(ENCRYPTED_HEADER_BYTES)
  out.set(nonce, 0)
  out.set(sealed, NONCE)
  return out
}

/**
 * HDECRYPT(hk, enc_header): the header, or null when `headerKey` does not open
 * it. Null rather than an exception because the receiver tries several keys
 * per message (§4.6 DecryptHeader) and across sessions.
 */
export function openHeader(crypto: Crypto, headerKey: Uint8Array, encrypted: Uint8Array, ad: Uint8Array): Header | null {
  if (encrypted.length !== ENCRYPTED_HEADER_BYTES) return null
  let plain: Uint8Array
  try {
    plain = crypto.aeadOpen(headerKey, encrypted.subarray(0, NONCE), encrypted.subarray(NONCE), ad)
  } catch (err) {
    if (err instanceof Error && err.name === 'DecryptError') return null
    throw err
  }
  return { dh: plain.slice(0, KEY), pn: readU32(plain, KEY), n: readU32(plain, KEY + 4) }
}

/**
 * RFC 4648 §6 base32, uppercase, without padding. Chosen over base64 because
 * its alphabet (A-Z, 2-7) sits inside the QR alphanumeric set, which packs 5.5
 * bits per character instead of byte mode's 8, and survives case changes.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function base32Encode(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(buffer >> bits) & 31]!
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]!
  return out
}

export type Base32Failure = 'alphabet' | 'length' | 'padding'

/**
 * Strict decode of uppercase unpadded base32. Fails on a character outside the
 * alphabet, on a length no whole number of bytes produces (1, 3 or 6 mod 8),
 * and on non-zero padding bits, so each byte string has exactly one text form.
 */
export function base32Decode(text: string): Uint8Array | Base32Failure {
  if (!/^[A-Z2-7]*$/.test(text)) return 'alphabet'
  const tail = text.length % 8
  if (tail === 1 || tail === 3 || tail === 6) return 'length'
  const out = new Uint8Array(Math.floor((text.length * 5) / 8))
  let buffer = 0
  let bits = 0
  let index = 0
  for (let i = 0; i < text.length; i++) {
    const value = ALPHABET.indexOf(text[i]!)
    buffer = ((buffer << 5) | value) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[index++] = (buffer >> bits) & 0xff
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return 'padding'
  return out
}

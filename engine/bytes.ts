/** Byte helpers shared by every engine module. Host-free: no TextEncoder (QuickJS lacks it). */

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0))
/** Bytes per String.fromCharCode call: its arguments go on the stack. */
const HEX_CHUNK = 4096

/**
 * One flat string from char codes. Appending two characters per byte (`out += …`) left
 * a rope of cons-strings behind every id a relay keeps (~1 KB per 32-byte id, measured
 * in a heap snapshot of 400 links) and was 4–5× slower.
 */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (let start = 0; start < bytes.length; start += HEX_CHUNK) {
    const end = Math.min(bytes.length, start + HEX_CHUNK)
    const codes = new Array<number>((end - start) * 2)
    for (let i = start, j = 0; i < end; i++, j += 2) {
      const b = bytes[i]!
      codes[j] = HEX_CODES[b >> 4]!
      codes[j + 1] = HEX_CODES[b & 15]!
    }
    out += String.fromCharCode.apply(null, codes)
  }
  return out
}

/** Parses lowercase or uppercase hex; throws `TypeError` on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new TypeError('hex string has odd length')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) {
    const byte = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
    if (Number.isNaN(byte) || !/^[0-9a-fA-F]{2}$/.test(hex.slice(i * 2, i * 2 + 2))) {
      throw new TypeError('hex string has a non-hex digit')
    }
    out[i] = byte
  }
  return out
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export function equals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** Portable UTF-8 encode; lone surrogates become U+FFFD as TextEncoder does. */
export function utf8EncodePortable(text: string): Uint8Array {
  const out: number[] = []
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i)
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00)
        i++
      } else cp = 0xfffd
    } else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd
    if (cp < 0x80) out.push(cp)
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63))
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63))
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63))
  }
  return Uint8Array.from(out)
}

/** Portable strict UTF-8 decode: throws `TypeError` on malformed, overlong or surrogate sequences. */
export function utf8DecodePortable(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; ) {
    const b0 = bytes[i]!
    let cp: number
    let need: number
    let min: number
    if (b0 < 0x80) { cp = b0; need = 0; min = 0 }
    else if ((b0 & 0xe0) === 0xc0) { cp = b0 & 0x1f; need = 1; min = 0x80 }
    else if ((b0 & 0xf0) === 0xe0) { cp = b0 & 0x0f; need = 2; min = 0x800 }
    else if ((b0 & 0xf8) === 0xf0) { cp = b0 & 0x07; need = 3; min = 0x10000 }
    else throw new TypeError('invalid UTF-8')
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k]
      if (b === undefined || (b & 0xc0) !== 0x80) throw new TypeError('invalid UTF-8')
      cp = (cp << 6) | (b & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new TypeError('invalid UTF-8')
    out += String.fromCodePoint(cp)
    i += need + 1
  }
  return out
}

// Hosts that have the Encoding API (browsers, workers, Node) get its native speed;
// embedded engines without it (QuickJS) use the portable codec. Both behave alike:
// engine/test/bytes.test.ts checks that they agree.
interface EncodingHost {
  TextEncoder?: new () => { encode(text: string): Uint8Array }
  TextDecoder?: new (label: string, options: { fatal: boolean; ignoreBOM: boolean }) => { decode(bytes: Uint8Array): string }
}
const host = globalThis as EncodingHost
const encoder = host.TextEncoder ? new host.TextEncoder() : null
// fatal: malformed input throws TypeError, as the portable decoder does; ignoreBOM: a leading BOM is text.
const decoder = host.TextDecoder ? new host.TextDecoder('utf-8', { fatal: true, ignoreBOM: true }) : null

export function utf8Encode(text: string): Uint8Array {
  return encoder ? encoder.encode(text) : utf8EncodePortable(text)
}

/** Strict UTF-8 decode: throws `TypeError` on malformed, overlong or surrogate sequences. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder ? decoder.decode(bytes) : utf8DecodePortable(bytes)
}

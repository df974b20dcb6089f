/**
 * Growable output buffer, the mirror of `byteReader`. It refuses any value the
 * reader would refuse (out-of-range integers, wrong fixed lengths, lengths
 * outside their bounds, strings that are not well-formed Unicode), so that
 * `decode(encode(x))` gives back `x` whenever `encode(x)` succeeds.
 */
import { utf8Encode } from '../bytes.ts'
import { MAX_VARINT } from './byteReader.ts'
import { MalformedError } from './errors.ts'

export interface ByteWriter {
  /** Bytes written so far. */
  readonly length: number
  u8(value: number, field: string): void
  u16(value: number, field: string): void
  u32(value: number, field: string): void
  u48(value: number, field: string): void
  varint(value: number, field: string): void
  /** Raw bytes; when `length` is given, `bytes` must have exactly that length. */
  bytes(bytes: Uint8Array, field: string, length?: number): void
  /** Varint length (checked against `min..max`), then the bytes. */
  lengthPrefixed(bytes: Uint8Array, field: string, min: number, max: number): void
  /** Well-formed text as length-prefixed UTF-8 of `minBytes..maxBytes` bytes. */
  utf8(text: string, field: string, minBytes: number, maxBytes: number): void
  /** The written bytes, exactly `length` long. */
  finish(): Uint8Array
}

/** True when `text` has no lone surrogate, which UTF-8 cannot carry (it would become U+FFFD). */
export function isWellFormedText(text: string): boolean {
  // ES2024 String#isWellFormed where the host has it (native speed); the loop otherwise.
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed
  if (native) return native.call(text)
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false
      i++
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return false
  }
  return true
}

function checkUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new MalformedError(`${field} must be an integer in 0..${max}`)
  }
}

class Writer implements ByteWriter {
  #buffer: Uint8Array
  #length = 0

  constructor(capacity: number) {
    this.#buffer = new Uint8Array(Math.max(16, capacity))
  }

  get length(): number {
    return this.#length
  }

  /** Claims `count` bytes and returns their start; may replace #buffer. */
  #reserve(count: number): number {
    const start = this.#length
    const needed = start + count
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2))
      grown.set(this.#buffer.subarray(0, start))
      this.#buffer = grown
    }
    this.#length = needed
    return start
  }

  u8(value: number, field: string): void {
    checkUint(value, 0xff, field)
    const i = this.#reserve(1)
    this.#buffer[i] = value
  }

  u16(value: number, field: string): void {
    checkUint(value, 0xffff, field)
    const i = this.#reserve(2)
    this.#buffer[i] = value >>> 8
    this.#buffer[i + 1] = value & 0xff
  }

  u32(value: number, field: string): void {
    checkUint(value, 0xffffffff, field)
    const i = this.#reserve(4)
    this.#buffer[i] = value >>> 24
    this.#buffer[i + 1] = (value >>> 16) & 0xff
    this.#buffer[i + 2] = (value >>> 8) & 0xff
    this.#buffer[i + 3] = value & 0xff
  }

  u48(value: number, field: string): void {
    checkUint(value, 2 ** 48 - 1, field)
    // Bitwise operators truncate to 32 bits, so split with arithmetic.
    const high = Math.floor(value / 0x100000000)
    this.u16(high, field)
    this.u32(value - high * 0x100000000, field)
  }

  varint(value: number, field: string): void {
    checkUint(value, MAX_VARINT, field)
    let rest = value
    let at = this.#reserve(varintLength(value))
    while (rest >= 0x80) {
      this.#buffer[at++] = (rest & 0x7f) | 0x80
      rest >>>= 7
    }
    this.#buffer[at] = rest
  }

  bytes(bytes: Uint8Array, field: string, length?: number): void {
    if (!(bytes instanceof Uint8Array)) throw new MalformedError(`${field} must be a Uint8Array`)
    if (length !== undefined && bytes.length !== length) {
      throw new MalformedError(`${field} must be ${length} bytes, not ${bytes.length}`)
    }
    // Reserve first: it may replace #buffer, so the target must be read after it.
    const i = this.#reserve(bytes.length)
    this.#buffer.set(bytes, i)
  }

  lengthPrefixed(bytes: Uint8Array, field: string, min: number, max: number): void {
    if (!(bytes instanceof Uint8Array)) throw new MalformedError(`${field} must be a Uint8Array`)
    if (bytes.length < min || bytes.length > max) {
      throw new MalformedError(`${field} length ${bytes.length} is outside ${min}..${max}`)
    }
    this.varint(bytes.length, `${field} length`)
    this.bytes(bytes, field)
  }

  utf8(text: string, field: string, minBytes: number, maxBytes: number): void {
    if (typeof text !== 'string' || !isWellFormedText(text)) {
      throw new MalformedError(`${field} must be well-formed Unicode text`)
    }
    this.lengthPrefixed(utf8Encode(text), field, minBytes, maxBytes)
  }

  finish(): Uint8Array {
    // Exactly filled (the caller's capacity hint was right): hand the buffer over, no copy.
    if (this.#length === this.#buffer.length) return this.#buffer
    return this.#buffer.slice(0, this.#length)
  }
}

/** `capacity` is a hint that avoids regrowth when the caller knows the size. */
export function byteWriter(capacity = 64): ByteWriter {
  return new Writer(capacity)
}

/** Bytes a varint of `value` occupies (for size arithmetic without encoding). */
export function varintLength(value: number): number {
  if (value < 0x80) return 1
  if (value < 0x4000) return 2
  if (value < 0x200000) return 3
  return 4
}

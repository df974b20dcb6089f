/**
 * Cursor over untrusted bytes. Every read names its field so that a
 * `MalformedError` says what was wrong; no read ever surfaces a RangeError from
 * a DataView or an `undefined` from indexing past the end.
 *
 * Integers are big-endian (network order). `varint` is unsigned LEB128 capped
 * at 4 bytes (< 2^28) with minimal encoding enforced, so every value has
 * exactly one encoding and decoders stay canonical.
 */
import { utf8Decode } from '../bytes.ts'
import { MalformedError } from './errors.ts'

/** Largest value a 4-byte LEB128 varint carries. */
export const MAX_VARINT = 2 ** 28 - 1

export interface ByteReader {
  /** Bytes consumed so far. */
  readonly offset: number
  /** Bytes left to read. */
  readonly remaining: number
  u8(field: string): number
  u16(field: string): number
  u32(field: string): number
  /** 48-bit unsigned integer: millisecond timestamps until the year 10889. */
  u48(field: string): number
  varint(field: string): number
  /** Exactly `length` bytes, copied so the result outlives a reused input buffer. */
  bytes(length: number, field: string): Uint8Array
  /** Varint length in `min..max`, then that many bytes (copied). */
  lengthPrefixed(field: string, min: number, max: number): Uint8Array
  /** As lengthPrefixed, but a view into the input (no copy): only for bytes parsed at once. */
  lengthPrefixedView(field: string, min: number, max: number): Uint8Array
  /** Length-prefixed strict UTF-8 whose byte length is in `minBytes..maxBytes`. */
  utf8(field: string, minBytes: number, maxBytes: number): string
  /** Throws unless every byte was consumed: trailing bytes are malformed, not ignored. */
  end(what: string): void
}

class Reader implements ByteReader {
  readonly #bytes: Uint8Array
  #offset = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  get offset(): number {
    return this.#offset
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset
  }

  #take(count: number, field: string): number {
    if (this.remaining < count) throw new MalformedError(`${field} is truncated`)
    const start = this.#offset
    this.#offset += count
    return start
  }

  u8(field: string): number {
    return this.#bytes[this.#take(1, field)]!
  }

  u16(field: string): number {
    const i = this.#take(2, field)
    const b = this.#bytes
    return (b[i]! << 8) | b[i + 1]!
  }

  u32(field: string): number {
    const i = this.#take(4, field)
    const b = this.#bytes
    // Multiply the top byte instead of shifting it: `<< 24` would go negative.
    return b[i]! * 0x1000000 + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!)
  }

  u48(field: string): number {
    const high = this.u16(field)
    return high * 0x100000000 + this.u32(field)
  }

  varint(field: string): number {
    let value = 0
    for (let i = 0; i < 4; i++) {
      const byte = this.u8(field)
      value += (byte & 0x7f) * 2 ** (7 * i)
      if ((byte & 0x80) === 0) {
        // A zero final group after the first adds nothing: a longer spelling of a shorter value.
        if (byte === 0 && i > 0) throw new MalformedError(`${field} is a non-minimal varint`)
        return value
      }
    }
    throw new MalformedError(`${field} is a varint longer than 4 bytes`)
  }

  bytes(length: number, field: string): Uint8Array {
    const start = this.#take(length, field)
    return this.#bytes.slice(start, start + length)
  }

  lengthPrefixed(field: string, min: number, max: number): Uint8Array {
    return this.lengthPrefixedView(field, min, max).slice()
  }

  lengthPrefixedView(field: string, min: number, max: number): Uint8Array {
    const length = this.varint(`${field} length`)
    if (length < min || length > max) {
      throw new MalformedError(`${field} length ${length} is outside ${min}..${max}`)
    }
    const start = this.#take(length, field)
    return this.#bytes.subarray(start, start + length)
  }

  utf8(field: string, minBytes: number, maxBytes: number): string {
    // Decoded into a string at once, so a view suffices.
    const raw = this.lengthPrefixedView(field, minBytes, maxBytes)
    try {
      return utf8Decode(raw)
    } catch {
      throw new MalformedError(`${field} is not valid UTF-8`)
    }
  }

  end(what: string): void {
    if (this.remaining !== 0) throw new MalformedError(`${what} has ${this.remaining} trailing bytes`)
  }
}

export function byteReader(bytes: Uint8Array): ByteReader {
  return new Reader(bytes)
}

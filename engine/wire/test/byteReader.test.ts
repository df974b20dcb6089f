import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../bytes.ts'
import { byteReader, MAX_VARINT } from '../byteReader.ts'
import { byteWriter, varintLength } from '../byteWriter.ts'
import { MalformedError } from '../errors.ts'
import { u32, u48 } from './arbitraries.ts'

function malformed(fn: () => unknown, message: RegExp): void {
  expect(fn).toThrow(MalformedError)
  expect(fn).toThrow(message)
}

describe('byteWriter / byteReader', () => {
  it('round-trips every integer width, big-endian', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), u32, u48, (a, b, c, d) => {
        const w = byteWriter(1)
        w.u8(a, 'a')
        w.u16(b, 'b')
        w.u32(c, 'c')
        w.u48(d, 'd')
        const bytes = w.finish()
        expect(bytes.length).toBe(13)
        const r = byteReader(bytes)
        expect([r.u8('a'), r.u16('b'), r.u32('c'), r.u48('d')]).toEqual([a, b, c, d])
        r.end('test')
      }),
    )
  })

  it('writes network byte order', () => {
    const w = byteWriter()
    w.u16(0x0102, 'x')
    w.u32(0x03040506, 'x')
    w.u48(0x0708090a0b0c, 'x')
    expect(w.finish()).toEqual(fromHex('0102030405060708090a0b0c'))
  })

  it('round-trips varints with the minimal length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_VARINT }), (n) => {
        const w = byteWriter()
        w.varint(n, 'n')
        const bytes = w.finish()
        expect(bytes.length).toBe(varintLength(n))
        const r = byteReader(bytes)
        expect(r.varint('n')).toBe(n)
        r.end('test')
      }),
    )
  })

  it('encodes LEB128 known answers', () => {
    const enc = (n: number): string => {
      const w = byteWriter()
      w.varint(n, 'n')
      return toHex(w.finish())
    }
    expect(enc(0)).toBe('00')
    expect(enc(127)).toBe('7f')
    expect(enc(128)).toBe('8001')
    expect(enc(300)).toBe('ac02')
    expect(enc(MAX_VARINT)).toBe('ffffff7f')
  })

  it('rejects a non-minimal varint', () => {
    malformed(() => byteReader(fromHex('8000')).varint('body length'), /body length is a non-minimal varint/)
    malformed(() => byteReader(fromHex('ff8000')).varint('n'), /non-minimal/)
  })

  it('rejects a varint longer than 4 bytes', () => {
    malformed(() => byteReader(fromHex('8080808001')).varint('n'), /longer than 4 bytes/)
  })

  it('rejects a truncated varint and names the field', () => {
    malformed(() => byteReader(fromHex('80')).varint('count'), /count is truncated/)
  })

  it('rejects truncated fixed-width reads without a RangeError', () => {
    malformed(() => byteReader(new Uint8Array(0)).u8('version'), /version is truncated/)
    malformed(() => byteReader(new Uint8Array(1)).u16('x'), /truncated/)
    malformed(() => byteReader(new Uint8Array(3)).u32('x'), /truncated/)
    malformed(() => byteReader(new Uint8Array(5)).u48('x'), /truncated/)
    malformed(() => byteReader(new Uint8Array(15)).bytes(16, 'id'), /id is truncated/)
  })

  it('end() rejects trailing bytes', () => {
    const r = byteReader(new Uint8Array(3))
    r.u8('x')
    malformed(() => r.end('frame'), /frame has 2 trailing bytes/)
  })

  it('lengthPrefixed enforces its bounds', () => {
    malformed(() => byteReader(fromHex('00')).lengthPrefixed('body', 1, 10), /body length 0 is outside 1..10/)
    malformed(() => byteReader(fromHex('0b' + '00'.repeat(11))).lengthPrefixed('body', 1, 10), /outside/)
    malformed(() => byteReader(fromHex('0300')).lengthPrefixed('body', 1, 10), /body is truncated/)
  })

  it('returns copies, not views of the input', () => {
    const input = fromHex('0102')
    const out = byteReader(input).bytes(2, 'x')
    input[0] = 9
    expect(out[0]).toBe(1)
  })

  it('utf8 rejects malformed UTF-8 as MalformedError', () => {
    malformed(() => byteReader(fromHex('02c328')).utf8('text', 1, 10), /text is not valid UTF-8/)
    malformed(() => byteReader(fromHex('03eda080')).utf8('text', 1, 10), /not valid UTF-8/)
    malformed(() => byteReader(fromHex('02c0af')).utf8('text', 1, 10), /not valid UTF-8/)
  })

  it('writer refuses values the reader would refuse', () => {
    const w = byteWriter()
    malformed(() => w.u8(256, 'ttl'), /ttl must be an integer in 0..255/)
    malformed(() => w.u8(-1, 'ttl'), /ttl/)
    malformed(() => w.u16(1.5, 'x'), /integer/)
    malformed(() => w.u32(2 ** 32, 'x'), /integer/)
    malformed(() => w.u48(2 ** 48, 'expiresAt'), /expiresAt/)
    malformed(() => w.u48(Number.NaN, 'x'), /integer/)
    malformed(() => w.varint(MAX_VARINT + 1, 'n'), /integer/)
    malformed(() => w.bytes(new Uint8Array(15), 'id', 16), /id must be 16 bytes, not 15/)
    malformed(() => w.lengthPrefixed(new Uint8Array(0), 'body', 1, 5), /outside/)
    malformed(() => w.utf8('a\ud800b', 'text', 1, 10), /well-formed/)
    expect(w.length).toBe(0)
  })

  // Regression: writes evaluated `this.#buffer` before #reserve regrew it, so
  // the first write past the initial capacity went into the discarded buffer.
  it('grows past its initial capacity for every kind of write', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: MAX_VARINT }), { maxLength: 80 }), (values) => {
        const w = byteWriter(0)
        for (const v of values) {
          w.u8(v & 0xff, 'a')
          w.varint(v, 'b')
          w.u48(v, 'c')
        }
        const r = byteReader(w.finish())
        for (const v of values) expect([r.u8('a'), r.varint('b'), r.u48('c')]).toEqual([v & 0xff, v, v])
        r.end('test')
      }),
    )
    const w = byteWriter(1)
    const big = new Uint8Array(1000).fill(7)
    w.bytes(big, 'x')
    w.u8(1, 'y')
    w.u8(2, 'y')
    const out = w.finish()
    expect(out.length).toBe(1002)
    expect(out[999]).toBe(7)
    expect(out[1000]).toBe(1)
    expect(out[1001]).toBe(2)
  })
})

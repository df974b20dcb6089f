import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StoreOp } from '../../ports/store.ts'
import { utf8Encode } from '../../bytes.ts'
import { RECORD_HEADER_LENGTH, crc32, decodeJournal, decodeRecord, encodeJournal, encodeRecord } from '../recordCodec.ts'

const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
const value = fc.uint8Array({ maxLength: 300 })
const op: fc.Arbitrary<StoreOp> = fc.oneof(
  fc.record({ type: fc.constant('set' as const), key, value }),
  fc.record({ type: fc.constant('delete' as const), key }),
)

function nameOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return (err as Error).name
  }
  return 'returned'
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(utf8Encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })
})

describe('record codec', () => {
  it('round-trips any key and value', () => {
    fc.assert(
      fc.property(key, value, (k, v) => {
        const decoded = decodeRecord(encodeRecord(k, v))
        expect(decoded.key).toBe(k)
        expect(decoded.value).toEqual(v)
      }),
    )
  })

  it('refuses every truncation and every single bit flip', () => {
    const encoded = encodeRecord('msg/a/1', Uint8Array.of(1, 2, 3, 4, 5))
    for (let length = 0; length < encoded.length; length++) {
      expect(nameOf(() => decodeRecord(encoded.slice(0, length)))).toBe('CorruptRecordError')
    }
    for (let bit = 0; bit < encoded.length * 8; bit++) {
      const tampered = encoded.slice()
      tampered[bit >> 3]! ^= 1 << (bit & 7)
      expect(nameOf(() => decodeRecord(tampered))).toBe('CorruptRecordError')
    }
  })

  it('refuses trailing bytes and a journal in place of a record', () => {
    const encoded = encodeRecord('k', Uint8Array.of(1))
    const longer = new Uint8Array(encoded.length + 1)
    longer.set(encoded)
    expect(nameOf(() => decodeRecord(longer))).toBe('CorruptRecordError')
    expect(nameOf(() => decodeRecord(encodeJournal([])))).toBe('CorruptRecordError')
    expect(encoded.length).toBe(RECORD_HEADER_LENGTH + 4 + 1 + 1)
  })
})

describe('journal codec', () => {
  it('round-trips any list of operations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
        expect(decodeJournal(encodeJournal(ops))).toEqual(ops)
      }),
    )
  })

  it('refuses every truncation and every single bit flip', () => {
    const encoded = encodeJournal([
      { type: 'set', key: 'a', value: Uint8Array.of(1, 2) },
      { type: 'delete', key: 'b' },
    ])
    for (let length = 0; length < encoded.length; length++) {
      expect(nameOf(() => decodeJournal(encoded.slice(0, length)))).toBe('CorruptRecordError')
    }
    for (let bit = 0; bit < encoded.length * 8; bit++) {
      const tampered = encoded.slice()
      tampered[bit >> 3]! ^= 1 << (bit & 7)
      expect(nameOf(() => decodeJournal(tampered))).toBe('CorruptRecordError')
    }
  })
})

/** The snapshot payload codec: round trip, canonical form, and strict refusal of every malformation. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concat, toHex } from '../../bytes.ts'
import { MAX_KEY_LENGTH } from '../../store/validation.ts'
import { SNAPSHOT_MAGIC, decodeSnapshot, encodeSnapshot, type Snapshot } from '../index.ts'
import { rawSnapshot, varint } from './rawSnapshot.ts'

const v = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)

function decodeError(payload: Uint8Array): string {
  try {
    decodeSnapshot(payload)
  } catch (err) {
    return (err as Error).name
  }
  return 'decoded'
}

const snapshotArb: fc.Arbitrary<Snapshot> = fc
  .record({
    createdAt: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    keys: fc.uniqueArray(fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }), { maxLength: 20 }),
    values: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 20, maxLength: 20 }),
  })
  .map(({ createdAt, keys, values }) => ({
    createdAt,
    records: [...keys].sort().map((key, i) => ({ key, value: values[i]! })),
  }))

describe('snapshot codec', () => {
  it('round-trips any snapshot, and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => {
        const encoded = encodeSnapshot(snapshot)
        const decoded = decodeSnapshot(encoded)
        expect(decoded.createdAt).toBe(snapshot.createdAt)
        expect(decoded.records.map((r) => [r.key, toHex(r.value)])).toEqual(snapshot.records.map((r) => [r.key, toHex(r.value)]))
        expect(toHex(encodeSnapshot(decoded))).toBe(toHex(encoded))
      }),
    )
  })

  it('lays out the payload as documented, and matches the hand-assembled form', () => {
    const records = [
      { key: 'identity', value: new Uint8Array(193).fill(7) },
      { key: 'meta/schema', value: v(0x7b, 0x7d) },
    ]
    const encoded = encodeSnapshot({ createdAt: 0x010203040506, records })
    expect(toHex(encoded.subarray(0, 15))).toBe('534f565301' + '010203040506' + '00000002')
    expect(toHex(encoded)).toBe(toHex(rawSnapshot(records.map((r) => [r.key, r.value]), { createdAt: 0x010203040506 })))
    expect(decodeSnapshot(rawSnapshot([])).records).toEqual([])
  })

  it('reports decoding progress up to the record count', () => {
    const records = Array.from({ length: 2500 }, (_, i) => ({ key: `k/${String(i).padStart(5, '0')}`, value: v(i & 0xff) }))
    const seen: Array<[number, number]> = []
    decodeSnapshot(encodeSnapshot({ createdAt: 1, records }), (done, total) => seen.push([done, total]))
    expect(seen).toEqual([[1024, 2500], [2048, 2500], [2500, 2500]])
  })

  it('refuses to encode keys out of order, duplicated or invalid', () => {
    const value = v(1)
    expect(() => encodeSnapshot({ createdAt: 0, records: [{ key: 'b', value }, { key: 'a', value }] })).toThrow(TypeError)
    expect(() => encodeSnapshot({ createdAt: 0, records: [{ key: 'a', value }, { key: 'a', value }] })).toThrow(TypeError)
    expect(() => encodeSnapshot({ createdAt: 0, records: [{ key: '', value }] })).toThrow(/empty/)
  })

  const good = rawSnapshot([['a', v(1)], ['b', v(2, 3)]])
  const malformed: Array<[string, Uint8Array, string]> = [
    ['empty payload', new Uint8Array(0), 'MalformedBackupError'],
    ['wrong magic', rawSnapshot([], { magic: [0x53, 0x4f, 0x56, 0x42] }), 'MalformedBackupError'],
    ['a newer layout version', rawSnapshot([], { version: 2 }), 'UnsupportedSnapshotVersionError'],
    ['layout version 0', rawSnapshot([], { version: 0 }), 'UnsupportedSnapshotVersionError'],
    ['a trailing byte', concat(good, v(0)), 'MalformedBackupError'],
    ['a count past the records', rawSnapshot([['a', v(1)]], { count: 2 }), 'MalformedBackupError'],
    ['a count short of the records', rawSnapshot([['a', v(1)], ['b', v(1)]], { count: 1 }), 'MalformedBackupError'],
    ['an absurd count', rawSnapshot([], { count: 0xffffffff }), 'MalformedBackupError'],
    ['a duplicate key', rawSnapshot([['a', v(1)], ['a', v(2)]]), 'MalformedBackupError'],
    ['keys out of order', rawSnapshot([['b', v(1)], ['a', v(2)]]), 'MalformedBackupError'],
    ['an empty key', rawSnapshot([[new Uint8Array(0), v(1)]]), 'MalformedBackupError'],
    ['a key that is not UTF-8', rawSnapshot([[v(0xff, 0xfe), v(1)]]), 'MalformedBackupError'],
    ['an encoded lone surrogate', rawSnapshot([[v(0xed, 0xa0, 0x80), v(1)]]), 'MalformedBackupError'],
    ['a key over the length limit', rawSnapshot([['k'.repeat(MAX_KEY_LENGTH + 1), v(1)]]), 'MalformedBackupError'],
    [
      'a non-minimal varint length',
      concat(rawSnapshot([], { count: 1 }), v(0x81, 0x00), v(0x61), varint(0)),
      'MalformedBackupError',
    ],
  ]
  it.each(malformed)('refuses %s', (_name, payload, expected) => {
    expect(decodeError(payload)).toBe(expected)
  })

  it('refuses every truncation of a valid payload', () => {
    const payload = encodeSnapshot({
      createdAt: 5,
      records: [
        { key: 'identity', value: new Uint8Array(193).fill(1) },
        { key: 'msg/ab/0000000/0000000001', value: new Uint8Array(200).fill(2) },
        { key: 'é/🎉', value: new Uint8Array(0) },
      ],
    })
    for (let length = 0; length < payload.length; length++) {
      expect(decodeError(payload.subarray(0, length)), `length ${length}`).toBe('MalformedBackupError')
    }
  })

  it('never names a record key in an error', () => {
    const secretish = 'contact/' + 'ab'.repeat(32)
    const payload = rawSnapshot([[secretish, v(1)], [secretish, v(2)]])
    expect(() => decodeSnapshot(payload)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('abab') }))
    expect(toHex(SNAPSHOT_MAGIC)).toBe('534f5653')
  })
})

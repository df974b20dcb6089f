/**
 * Hand-assembled snapshot payloads, independent of encodeSnapshot, so tests can
 * build the malformed ones it refuses to write (duplicates, disorder, bad keys).
 */
import { concat, utf8Encode } from '../../bytes.ts'

export interface RawSnapshotInit {
  readonly magic?: readonly number[]
  readonly version?: number
  readonly createdAt?: number
  /** Defaults to the number of records. */
  readonly count?: number
}

export type RawRecord = readonly [key: string | Uint8Array, value: Uint8Array]

export function rawSnapshot(records: readonly RawRecord[], init: RawSnapshotInit = {}): Uint8Array {
  const createdAt = init.createdAt ?? 1_700_000_000_000
  const count = init.count ?? records.length
  const header = Uint8Array.of(
    ...(init.magic ?? [0x53, 0x4f, 0x56, 0x53]),
    init.version ?? 1,
    ...[40, 32, 24, 16, 8, 0].map((shift) => Math.floor(createdAt / 2 ** shift) & 0xff),
    count >>> 24,
    (count >>> 16) & 0xff,
    (count >>> 8) & 0xff,
    count & 0xff,
  )
  const body = records.map(([key, value]) => {
    const keyBytes = typeof key === 'string' ? utf8Encode(key) : key
    return concat(varint(keyBytes.length), keyBytes, varint(value.length), value)
  })
  return concat(header, ...body)
}

/** Unsigned LEB128, minimal. */
export function varint(value: number): Uint8Array {
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80)
    rest = Math.floor(rest / 128)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

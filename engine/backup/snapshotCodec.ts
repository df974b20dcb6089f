/**
 * The payload sealed inside a backup file: every record of the store, values
 * as opaque bytes (the identity record is binary, the rest JSON).
 *
 *   magic 'SOVS' (4) | version u8 = 1 | createdAt u48 (ms since the epoch) | count u32
 *   | count × ( keyLength varint | key (UTF-8) | valueLength varint | value )
 *
 * Varints are byteReader's (LEB128, minimal, < 2^28), so one value may be up to
 * 256 MiB. Keys are strictly ascending in UTF-16 code-unit order (the order
 * `Store.keys` returns), which makes the encoding canonical and turns a
 * duplicate key into an ordering error. Decoding is strict: any malformation,
 * invalid key or trailing byte is refused whole. The file around it is
 * authenticated, so a malformed snapshot means a bug or a file crafted by
 * someone who knew the passphrase, never line noise.
 */
import { byteReader, MAX_VARINT } from '../wire/byteReader.ts'
import { byteWriter, varintLength } from '../wire/byteWriter.ts'
import { MAX_KEY_LENGTH, assertValidKey, assertValidValue } from '../store/validation.ts'
import { utf8Encode } from '../bytes.ts'
import { MalformedBackupError, UnsupportedSnapshotVersionError } from './snapshotErrors.ts'

export interface SnapshotRecord {
  readonly key: string
  readonly value: Uint8Array
}

export interface Snapshot {
  /** When the snapshot was taken, ms since the epoch. */
  readonly createdAt: number
  /** Strictly ascending by key. */
  readonly records: readonly SnapshotRecord[]
}

export const SNAPSHOT_MAGIC: Uint8Array = Uint8Array.of(0x53, 0x4f, 0x56, 0x53) // 'SOVS'
export const SNAPSHOT_VERSION = 1
const HEADER_LENGTH = SNAPSHOT_MAGIC.length + 1 + 6 + 4
// A UTF-16 code unit takes at most 3 UTF-8 bytes (a surrogate pair, 2 units, takes 4).
const MAX_KEY_BYTES = MAX_KEY_LENGTH * 3
// Smallest record: 1-byte key length, 1-byte key, 1-byte value length.
const MIN_RECORD_LENGTH = 3
// How often (in records) decoding reports progress.
const PROGRESS_EVERY = 1024

/** Encodes `snapshot`; throws on keys that are invalid or not strictly ascending (a caller bug, not user data). */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const keyBytes: Uint8Array[] = []
  let size = HEADER_LENGTH
  let previous: string | undefined
  for (const { key, value } of snapshot.records) {
    assertValidKey(key)
    assertValidValue(value)
    if (previous !== undefined && !(previous < key)) throw new TypeError('snapshot records must be in strictly ascending key order')
    if (value.length > MAX_VARINT) throw new RangeError('a snapshot record value is too large')
    previous = key
    const encoded = utf8Encode(key)
    keyBytes.push(encoded)
    size += varintLength(encoded.length) + encoded.length + varintLength(value.length) + value.length
  }
  // Sized exactly, so finish() hands over the buffer without a copy (payloads run to tens of MB).
  const writer = byteWriter(size)
  writer.bytes(SNAPSHOT_MAGIC, 'snapshot magic', SNAPSHOT_MAGIC.length)
  writer.u8(SNAPSHOT_VERSION, 'snapshot version')
  writer.u48(snapshot.createdAt, 'snapshot createdAt')
  writer.u32(snapshot.records.length, 'record count')
  snapshot.records.forEach((record, i) => {
    writer.lengthPrefixed(keyBytes[i]!, 'record key', 1, MAX_KEY_BYTES)
    writer.lengthPrefixed(record.value, 'record value', 0, MAX_VARINT)
  })
  return writer.finish()
}

/**
 * Decodes a snapshot. Throws `UnsupportedSnapshotVersionError` for a layout
 * version other than 1 and `MalformedBackupError` for anything else wrong.
 * Values are views into `payload`. `onProgress(done, total)` reports records
 * decoded, strictly increasing, ending at `total`.
 */
export function decodeSnapshot(payload: Uint8Array, onProgress?: (done: number, total: number) => void): Snapshot {
  const reader = byteReader(payload)
  try {
    const magic = reader.bytes(SNAPSHOT_MAGIC.length, 'snapshot magic')
    if (!magic.every((b, i) => b === SNAPSHOT_MAGIC[i])) throw new MalformedBackupError('not a store snapshot')
    const version = reader.u8('snapshot version')
    if (version !== SNAPSHOT_VERSION) throw new UnsupportedSnapshotVersionError(version)
    const createdAt = reader.u48('snapshot createdAt')
    const count = reader.u32('record count')
    if (count > reader.remaining / MIN_RECORD_LENGTH) throw new MalformedBackupError('record count exceeds the data')

    const records: SnapshotRecord[] = []
    let previous: string | undefined
    for (let i = 0; i < count; i++) {
      const key = reader.utf8('record key', 1, MAX_KEY_BYTES)
      try {
        assertValidKey(key)
      } catch {
        throw new MalformedBackupError('a record key is not a valid store key')
      }
      if (previous !== undefined && !(previous < key)) {
        throw new MalformedBackupError(previous === key ? 'a record key appears twice' : 'record keys are out of order')
      }
      previous = key
      records.push({ key, value: reader.lengthPrefixedView('record value', 0, MAX_VARINT) })
      if (onProgress && ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === count)) onProgress(i + 1, count)
    }
    reader.end('snapshot')
    return { createdAt, records }
  } catch (err) {
    // byteReader's MalformedError names the field that failed; say it as ours.
    if (err instanceof Error && err.name === 'MalformedError') throw new MalformedBackupError(err.message)
    throw err
  }
}

import type { StoreOp } from '../ports/store.ts'
import { utf8Decode, utf8Encode } from '../bytes.ts'
import { CorruptRecordError } from './errors.ts'
import { assertValidKey } from './validation.ts'

/**
 * On-disk framing for stores that write files (native/node/fileStore.ts).
 * Pure bytes so every host can read what another wrote.
 *
 *   header  magic[4] version u8 reserved[3]=0 bodyLength u32be crc32(body) u32be
 *   record  body = keyLength u32be, key (UTF-8), value (rest)
 *   journal body = count u32be, then per op: type u8 (1 set, 2 delete),
 *           keyLength u32be, key, and for a set valueLength u32be, value
 *
 * A torn or partly flushed file fails the exact-length or CRC check and is
 * refused whole: a half-written record is never read back.
 */
export const RECORD_HEADER_LENGTH = 16

const VERSION = 1
const RECORD_MAGIC = [0x53, 0x4f, 0x56, 0x52] // 'SOVR'
const JOURNAL_MAGIC = [0x53, 0x4f, 0x56, 0x4a] // 'SOVJ'
const OP_SET = 1
const OP_DELETE = 2

export interface StoredRecord {
  readonly key: string
  readonly value: Uint8Array
}

export function encodeRecord(key: string, value: Uint8Array): Uint8Array {
  const keyBytes = utf8Encode(key)
  const body = new Uint8Array(4 + keyBytes.length + value.length)
  writeU32(body, 0, keyBytes.length)
  body.set(keyBytes, 4)
  body.set(value, 4 + keyBytes.length)
  return frame(RECORD_MAGIC, body)
}

/** Throws `CorruptRecordError` on anything but a complete, intact record. */
export function decodeRecord(bytes: Uint8Array): StoredRecord {
  const body = unframe(RECORD_MAGIC, bytes)
  const reader = createReader(body)
  const key = reader.key()
  return { key, value: body.slice(reader.offset) }
}

export function encodeJournal(ops: readonly StoreOp[]): Uint8Array {
  const parts: Uint8Array[] = []
  let length = 4
  for (const op of ops) {
    const keyBytes = utf8Encode(op.key)
    const head = new Uint8Array(5)
    head[0] = op.type === 'set' ? OP_SET : OP_DELETE
    writeU32(head, 1, keyBytes.length)
    parts.push(head, keyBytes)
    length += head.length + keyBytes.length
    if (op.type === 'set') {
      const valueLength = new Uint8Array(4)
      writeU32(valueLength, 0, op.value.length)
      parts.push(valueLength, op.value)
      length += 4 + op.value.length
    }
  }
  const body = new Uint8Array(length)
  writeU32(body, 0, ops.length)
  let offset = 4
  for (const part of parts) {
    body.set(part, offset)
    offset += part.length
  }
  return frame(JOURNAL_MAGIC, body)
}

/** Throws `CorruptRecordError` unless `bytes` is one complete, intact journal. */
export function decodeJournal(bytes: Uint8Array): StoreOp[] {
  const body = unframe(JOURNAL_MAGIC, bytes)
  const reader = createReader(body)
  const count = reader.u32()
  const ops: StoreOp[] = []
  for (let i = 0; i < count; i++) {
    const type = reader.u8()
    const key = reader.key()
    if (type === OP_SET) ops.push({ type: 'set', key, value: reader.bytes(reader.u32()) })
    else if (type === OP_DELETE) ops.push({ type: 'delete', key })
    else throw new CorruptRecordError('journal has an unknown operation type')
  }
  if (reader.offset !== body.length) throw new CorruptRecordError('journal has trailing bytes')
  return ops
}

/** CRC-32 (IEEE 802.3, reflected, as zlib and PNG). */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

function frame(magic: readonly number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_LENGTH + body.length)
  out.set(magic, 0)
  out[4] = VERSION
  writeU32(out, 8, body.length)
  writeU32(out, 12, crc32(body))
  out.set(body, RECORD_HEADER_LENGTH)
  return out
}

function unframe(magic: readonly number[], input: Uint8Array): Uint8Array {
  // A subclass (Node's Buffer) would make slice() a view; decode from a plain view.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  if (bytes.length < RECORD_HEADER_LENGTH) throw new CorruptRecordError('file is shorter than its header')
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== magic[i]) throw new CorruptRecordError('file has the wrong magic')
  }
  if (bytes[4] !== VERSION) throw new CorruptRecordError('file has an unknown format version')
  if (bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new CorruptRecordError('file header is damaged')
  const length = readU32(bytes, 8)
  if (length !== bytes.length - RECORD_HEADER_LENGTH) throw new CorruptRecordError('file length does not match its header')
  const body = bytes.subarray(RECORD_HEADER_LENGTH)
  if (crc32(body) !== readU32(bytes, 12)) throw new CorruptRecordError('file checksum does not match')
  return body
}

interface Reader {
  readonly offset: number
  u8(): number
  u32(): number
  bytes(length: number): Uint8Array
  key(): string
}

function createReader(body: Uint8Array): Reader {
  let offset = 0
  function need(n: number): void {
    if (offset + n > body.length) throw new CorruptRecordError('record is truncated')
  }
  const reader: Reader = {
    get offset(): number {
      return offset
    },
    u8(): number {
      need(1)
      return body[offset++]!
    },
    u32(): number {
      need(4)
      const value = readU32(body, offset)
      offset += 4
      return value
    },
    bytes(length: number): Uint8Array {
      need(length)
      const out = body.slice(offset, offset + length)
      offset += length
      return out
    },
    key(): string {
      const raw = reader.bytes(reader.u32())
      let key: string
      try {
        key = utf8Decode(raw)
        assertValidKey(key)
      } catch {
        throw new CorruptRecordError('record key is not a valid key')
      }
      return key
    },
  }
  return reader
}

function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24
  out[offset + 1] = (value >>> 16) & 0xff
  out[offset + 2] = (value >>> 8) & 0xff
  out[offset + 3] = value & 0xff
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0
}

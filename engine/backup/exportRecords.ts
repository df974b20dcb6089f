/**
 * Stored records (engine/messenger/records.ts, schema 2) to their export form
 * (docs/export-format.md). Each reader copies only the documented fields, in
 * the documented order, so no other stored field (a static key, a prekey, an
 * envelope) can slip into an export; each checks the types it copies.
 */
import { utf8Decode } from '../bytes.ts'
import { UnreadableRecordError } from './snapshotErrors.ts'

export interface ExportProfile {
  readonly displayName: string
  /** Hex Ed25519 public key: the id contacts know this person by. */
  readonly id: string
  readonly createdAt: string
}

export interface ExportContact {
  readonly id: string
  readonly displayName: string
  readonly verified: boolean
  readonly addedAt: string
  readonly relays: readonly string[]
}

export interface ExportMessage {
  readonly id: string
  readonly direction: 'in' | 'out'
  readonly text: string
  readonly sentAt: string
  readonly status: string
  readonly failure?: string
}

export interface ExportConversation {
  readonly contactId: string
  readonly messages: readonly ExportMessage[]
}

// ECMAScript Date range: ±8.64e15 ms around the epoch.
const MAX_TIME = 8.64e15

/** ISO 8601 in UTC with milliseconds (`Date#toISOString`); `kind` names the record for the error. */
export function isoTime(ms: unknown, kind: string): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > MAX_TIME) throw new UnreadableRecordError(kind)
  return new Date(ms).toISOString()
}

type Fields = Record<string, unknown>

function parse(kind: string, bytes: Uint8Array): Fields {
  let record: unknown
  try {
    record = JSON.parse(utf8Decode(bytes))
  } catch {
    throw new UnreadableRecordError(kind)
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new UnreadableRecordError(kind)
  return record as Fields
}

function text(kind: string, value: unknown): string {
  if (typeof value !== 'string') throw new UnreadableRecordError(kind)
  return value
}

export function readProfile(bytes: Uint8Array, id: string): ExportProfile {
  const record = parse('profile', bytes)
  return {
    displayName: text('profile', record.displayName),
    id,
    createdAt: isoTime(record.createdAt, 'profile'),
  }
}

export function readContact(bytes: Uint8Array): ExportContact {
  const record = parse('contact', bytes)
  const { verified, relays } = record
  if (typeof verified !== 'boolean') throw new UnreadableRecordError('contact')
  if (!Array.isArray(relays) || !relays.every((r) => typeof r === 'string')) throw new UnreadableRecordError('contact')
  return {
    id: text('contact', record.id),
    displayName: text('contact', record.displayName),
    verified,
    addedAt: isoTime(record.addedAt, 'contact'),
    relays: [...(relays as string[])],
  }
}

export function readMessage(bytes: Uint8Array): ExportMessage {
  const record = parse('message', bytes)
  const { direction, failure } = record
  if (direction !== 'in' && direction !== 'out') throw new UnreadableRecordError('message')
  const message: ExportMessage = {
    id: text('message', record.id),
    direction,
    text: text('message', record.text),
    sentAt: isoTime(record.timestamp, 'message'),
    status: text('message', record.status),
  }
  if (failure === undefined) return message
  return { ...message, failure: text('message', failure) }
}

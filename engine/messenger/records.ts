/**
 * Stored record shapes and their keys. Records are JSON in UTF-8: small, readable
 * in a debugger, and versioned by the store's schema (issue 5 adds migrations).
 */
import { utf8Decode, utf8Encode } from '../bytes.ts'
import { CorruptRecordError } from './errors.ts'
import type { MessageStatus } from './views.ts'

export interface ProfileRecord {
  readonly displayName: string
  readonly createdAt: number
}

export interface ContactRecord {
  /** Hex Ed25519 key. */
  readonly id: string
  readonly displayName: string
  /** Hex X25519 static key, bound to `id` by `binding`. */
  readonly staticKey: string
  readonly binding: string
  readonly relays: readonly string[]
  readonly addedAt: number
  readonly verified: boolean
  readonly keyChangedAt: number | null
  /** The name is a placeholder ('Unknown …') until the contact's intro names them. */
  readonly provisionalName: boolean
  /** Their signed prekey from the last offer (hex of id, key, signature); null for contacts met by message. */
  readonly signedPrekey: { readonly id: number; readonly publicKey: string; readonly signature: string } | null
}

export interface MessageRecord {
  readonly id: string
  readonly contactId: string
  readonly direction: 'in' | 'out'
  readonly text: string
  readonly timestamp: number
  readonly status: MessageStatus
  readonly failure?: string
}

/** An outgoing envelope not yet handed to a link; survives a restart. */
export interface OutboxRecord {
  /** Hex envelope id. */
  readonly messageId: string
  /** History entries of the messages the envelope carries (none for an intro). */
  readonly historyKeys: readonly string[]
  /** Hex of the encoded envelope: the same bytes (and id) on every attempt. */
  readonly envelope: string
}

export const keys = {
  identity: 'identity',
  profile: 'profile',
  contact: (id: string): string => `contact/${id}`,
  contactPrefix: 'contact/',
  /** Zero-padded timestamp first so a prefix scan returns a conversation in order. */
  message: (contactId: string, timestamp: number, id: string): string =>
    `msg/${contactId}/${String(timestamp).padStart(15, '0')}/${id}`,
  messagePrefix: (contactId: string): string => `msg/${contactId}/`,
  outbox: (messageId: string): string => `outbox/${messageId}`,
  outboxPrefix: 'outbox/',
  prekeys: 'prekeys',
  settings: 'settings',
  /** Outgoing message id → its history key, so receipts find it. */
  messageIndex: (messageId: string): string => `msgid/${messageId}`,
  /** Envelope id → the history keys of the messages it carries, for custody acks. */
  envelope: (envelopeId: string): string => `env/${envelopeId}`,
  session: (contactId: string, baseKey: string): string => `session/${contactId}/${baseKey}`,
  sessionPrefix: 'session/',
} as const

export function encodeRecord(record: object): Uint8Array {
  return utf8Encode(JSON.stringify(record))
}

export function decodeRecord<T>(kind: string, bytes: Uint8Array): T {
  try {
    return JSON.parse(utf8Decode(bytes)) as T
  } catch {
    throw new CorruptRecordError(kind)
  }
}

export interface EnvelopeRecord {
  readonly historyKeys: readonly string[]
  readonly expiresAt: number
}

export interface SettingsRecord {
  /** Opt-in: tell contacts when their messages were read. */
  readonly readReceipts: boolean
}

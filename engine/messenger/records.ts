/**
 * Stored record shapes and their keys. Records are JSON in UTF-8: small, readable
 * in a debugger, and versioned by the store's schema (SCHEMA_VERSION in
 * engine/messenger/migrations; every earlier layout is migrated forward there).
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
  /**
   * Hex of the newest verified reach record they sent (contactReach.ts); absent until one came.
   * Optional, as `reachSent`: a record stored before issue 11 lacks both and needs no migration.
   */
  readonly reach?: string
  /** Seqno of our own reach record last sealed to them; absent before the first (or after a key change). */
  readonly reachSent?: number
}

export interface MessageRecord {
  readonly id: string
  readonly contactId: string
  readonly direction: 'in' | 'out'
  readonly text: string
  /** Sender's clock, ms since the epoch (shown to the user). */
  readonly timestamp: number
  /** Position in this device's copy of the conversation: 0, 1, 2 … in the order stored here. */
  readonly seq: number
  readonly status: MessageStatus
  readonly failure?: string
}

/** Per conversation: the next `seq` to allocate (written in the batch of the message it numbers) and how far it was read. */
export interface HistoryHead {
  readonly next: number
  /** Messages below this seq were shown; marking read looks only at the ones after it. */
  readonly readUpTo: number
}

/** Message id → where it lives; for outgoing messages also the envelope carrying it now. */
export interface MessageIndex {
  readonly contactId: string
  /** Null for control messages with no history entry (an intro). */
  readonly historyKey: string | null
  /** Outgoing only: the outbox entry that carries it, until it is delivered. */
  readonly envelopeId?: string
}

/**
 * One envelope in a destination's outbox: written in the same batch as the
 * history entries it carries, before the first attempt, and deleted only when
 * an end-to-end receipt covers it (or it fails).
 */
export interface OutboxRecord {
  /** Hex envelope id: the same on every attempt. */
  readonly envelopeId: string
  /** Hex identity of the recipient. */
  readonly destination: string
  /** Hex of the encoded envelope, the same bytes on every attempt (only its attempt byte changes on the wire). */
  readonly envelope: string
  /** Ids of the messages it carries (texts and intros, each acknowledged by the recipient). */
  readonly messageIds: readonly string[]
  /** History entries of those messages (none for an intro). */
  readonly historyKeys: readonly string[]
  readonly queuedAt: number
  readonly expiresAt: number
  /** Transmissions so far; bounded by the outbox policy. */
  readonly attempts: number
  /** A custodian acknowledged it: once attempts run out it waits for the receipt instead of failing. */
  readonly relayed: boolean
}

/** An envelope this device received and stored: a redelivery is acknowledged again, never shown twice. */
export interface SeenRecord {
  readonly contactId: string
  /** Message ids it carried that were acknowledged. */
  readonly ids: readonly string[]
  /** Kept until the envelope could no longer arrive. */
  readonly expiresAt: number
}

/** Digits in a bucket and a seq, so keys sort numerically. */
const BUCKET_DIGITS = 7
const SEQ_DIGITS = 10
/** Messages per history bucket: a page read lists at most this many keys per bucket. */
export const HISTORY_BUCKET_SIZE = 256

/** Schema v2 layout (engine/messenger/migrations has every earlier one). */
export const keys = {
  schema: 'meta/schema',
  identity: 'identity',
  profile: 'profile',
  prekeys: 'prekeys',
  settings: 'settings',
  contact: (id: string): string => `contact/${id}`,
  contactPrefix: 'contact/',
  session: (contactId: string, baseKey: string): string => `session/${contactId}/${baseKey}`,
  sessionPrefix: 'session/',
  historyHead: (contactId: string): string => `hist/${contactId}`,
  /** Bucketed by seq, so a page is read from the newest buckets without listing the conversation. */
  message: (contactId: string, seq: number): string =>
    `msg/${contactId}/${bucketOf(seq)}/${String(seq).padStart(SEQ_DIGITS, '0')}`,
  messageBucket: (contactId: string, bucket: number): string =>
    `msg/${contactId}/${String(bucket).padStart(BUCKET_DIGITS, '0')}/`,
  messagePrefix: (contactId: string): string => `msg/${contactId}/`,
  messageIndex: (messageId: string): string => `msgid/${messageId}`,
  outbox: (destination: string, envelopeId: string): string => `outbox/${destination}/${envelopeId}`,
  outboxOf: (destination: string): string => `outbox/${destination}/`,
  outboxPrefix: 'outbox/',
  seen: (envelopeId: string): string => `seen/${envelopeId}`,
  seenPrefix: 'seen/',
  /** Outgoing messages an upgrade left without a sendable envelope: sealed again at the next start. */
  resend: (contactId: string, messageId: string): string => `resend/${contactId}/${messageId}`,
  resendPrefix: 'resend/',
} as const

function bucketOf(seq: number): string {
  return String(Math.floor(seq / HISTORY_BUCKET_SIZE)).padStart(BUCKET_DIGITS, '0')
}

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

export interface SettingsRecord {
  /** Opt-in: tell contacts when their messages were read. */
  readonly readReceipts: boolean
  /** Relays the user connected to: dialled again at every start. */
  readonly relays?: readonly string[]
}

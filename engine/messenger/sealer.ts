/**
 * Seals message batches to a contact as envelopes: a fresh envelope id and
 * header (the associated data of the session message), the contact's session
 * (started from their prekey bundle when there is none), and the store ops that
 * persist the new session state. Nothing is written here.
 */
import { fromHex, toHex } from '../bytes.ts'
import type { Clock, Random, StoreOp } from '../ports/index.ts'
import type { PrekeyBundle, PublicSignedPrekey } from '../session/index.ts'
import { ENVELOPE_VERSION, MESSAGE_ID_BYTES, encodeEnvelope, encodeMessageBatch, envelopeAssociatedData } from '../wire/index.ts'
import type { BatchedMessage, EnvelopeHeader } from '../wire/index.ts'
import { InvalidMessageError } from './errors.ts'
import type { ContactRecord, OutboxRecord } from './records.ts'
import type { SessionBook } from './sessionBook.ts'

/** Bytes to hand to the mesh, addressed to `destination` (hex identity). */
export interface Outgoing {
  /** Hex envelope id. */
  readonly messageId: string
  readonly destination: string
  readonly bytes: Uint8Array
  /** When relays and the recipient stop accepting it. */
  readonly expiresAt: number
}

export interface Sealed {
  readonly outgoing: Outgoing
  readonly expiresAt: number
  readonly ops: StoreOp[]
  commit(): void
}

/** Mail older than this is dropped by relays and recipients. */
export const MESSAGE_LIFETIME_MS = 7 * 24 * 3600 * 1000
export const DEFAULT_TTL = 16

/** The contact's signed prekey as a routing announcement carried it (verified there), if any. */
export type FreshPrekey = (contactId: string) => PublicSignedPrekey | null

export function bundleOf(contact: ContactRecord, fresh?: FreshPrekey): PrekeyBundle {
  // Announcements refresh the prekey an offer carried; the session start verifies it either way.
  const announced = fresh?.(contact.id) ?? null
  const spk = contact.signedPrekey
  if (!announced && !spk) throw new InvalidMessageError('Ask this contact for their offer code to start a conversation.')
  return {
    identity: fromHex(contact.id),
    staticKey: fromHex(contact.staticKey),
    binding: fromHex(contact.binding),
    signedPrekey: announced ?? { id: spk!.id, publicKey: fromHex(spk!.publicKey), signature: fromHex(spk!.signature) },
    oneTimePrekeys: [],
  }
}

export function createSealer(
  random: Random,
  clock: Clock,
  sessions: SessionBook,
  fresh?: FreshPrekey,
): (contact: ContactRecord, items: readonly BatchedMessage[]) => Sealed {
  return (contact, items) => {
    const header: EnvelopeHeader = {
      version: ENVELOPE_VERSION,
      id: random.bytes(MESSAGE_ID_BYTES),
      destination: fromHex(contact.id),
      ttl: DEFAULT_TTL,
      attempt: 0,
      expiresAt: clock.now() + MESSAGE_LIFETIME_MS,
    }
    const staged = sessions.encrypt(contact.id, () => bundleOf(contact, fresh), encodeMessageBatch(items), envelopeAssociatedData(header))
    const bytes = encodeEnvelope({ header, body: staged.value })
    const outgoing = { messageId: toHex(header.id), destination: contact.id, bytes, expiresAt: header.expiresAt }
    return { outgoing, expiresAt: header.expiresAt, ops: staged.ops, commit: staged.commit }
  }
}

/** The outbox entry that keeps an envelope until a receipt covers it; attempts start at 0. */
export function outboxRecord(
  sealed: Sealed,
  messageIds: readonly string[],
  historyKeys: readonly string[],
  queuedAt: number,
): OutboxRecord {
  return {
    envelopeId: sealed.outgoing.messageId,
    destination: sealed.outgoing.destination,
    envelope: toHex(sealed.outgoing.bytes),
    messageIds,
    historyKeys,
    queuedAt,
    expiresAt: sealed.expiresAt,
    attempts: 0,
    relayed: false,
  }
}

/**
 * Delivery status of outgoing messages. A status only moves forward
 * (queued → sent → relayed → delivered → read); failed ends a message that was
 * never delivered, until the user sends it again. Only an end-to-end receipt
 * moves a message to delivered, and only a receipt from the contact the message
 * went to.
 */
import type { Store, StoreOp } from '../ports/index.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { MessageIndex, MessageRecord } from './records.ts'
import type { MessageStatus } from './views.ts'

const RANK: Record<MessageStatus, number> = {
  queued: 0,
  sent: 1,
  relayed: 2,
  delivered: 3,
  read: 4,
  failed: 5,
  received: -1,
}

/** True when a message in status `from` may move to `to`. */
export function canAdvance(from: MessageStatus, to: MessageStatus): boolean {
  if (from === 'received' || from === 'failed') return false
  if (to === 'failed') return from === 'queued' || from === 'sent' || from === 'relayed'
  return RANK[to] > RANK[from]
}

export interface StatusChange {
  readonly records: MessageRecord[]
  readonly ops: StoreOp[]
}

export interface Acknowledged extends StatusChange {
  /** Envelopes the acknowledged messages travelled in (outbox entries a delivered receipt completes). */
  readonly envelopeIds: string[]
}

export interface StatusBook {
  /** Ops that index outgoing messages: id → history entry and carrying envelope. */
  index(contactId: string, envelopeId: string, messageIds: readonly string[], historyKeys: readonly (string | null)[]): StoreOp[]
  /** Moves the given history entries forward (sent, relayed, failed). */
  advance(historyKeys: readonly string[], to: MessageStatus, failure?: string): Promise<StatusChange>
  /** Moves messages that `contactId` acknowledged forward (delivered, read from receipts); ids of other contacts' messages are ignored. */
  acknowledge(contactId: string, messageIds: readonly string[], to: MessageStatus): Promise<Acknowledged>
  /** The index entry of a message id, if any. */
  find(messageId: string): Promise<MessageIndex | undefined>
}

export function createStatusBook(store: Store): StatusBook {
  const find = async (messageId: string): Promise<MessageIndex | undefined> => {
    const bytes = await store.get(keys.messageIndex(messageId))
    return bytes ? decodeRecord<MessageIndex>('message index', bytes) : undefined
  }
  const advance = async (historyKeys: readonly string[], to: MessageStatus, failure?: string): Promise<StatusChange> => {
    const records: MessageRecord[] = []
    const ops: StoreOp[] = []
    for (const key of historyKeys) {
      const bytes = await store.get(key)
      if (!bytes) continue
      const record = decodeRecord<MessageRecord>('message', bytes)
      if (!canAdvance(record.status, to)) continue
      const next: MessageRecord = { ...record, status: to, ...(failure ? { failure } : {}) }
      records.push(next)
      ops.push({ type: 'set', key, value: encodeRecord(next) })
    }
    return { records, ops }
  }
  return {
    index(contactId, envelopeId, messageIds, historyKeys) {
      return messageIds.map((id, i): StoreOp => {
        const entry: MessageIndex = { contactId, historyKey: historyKeys[i] ?? null, envelopeId }
        return { type: 'set', key: keys.messageIndex(id), value: encodeRecord(entry) }
      })
    },
    advance,
    async acknowledge(contactId, messageIds, to) {
      const historyKeys: string[] = []
      const envelopeIds = new Set<string>()
      for (const id of messageIds) {
        const entry = await find(id)
        // A receipt speaks only for messages sent to its sender.
        if (!entry || entry.contactId !== contactId) continue
        if (entry.historyKey !== null) historyKeys.push(entry.historyKey)
        if (entry.envelopeId !== undefined) envelopeIds.add(entry.envelopeId)
      }
      return { ...(await advance(historyKeys, to)), envelopeIds: [...envelopeIds] }
    },
    find,
  }
}

/**
 * Delivery status of outgoing messages. A status only moves forward
 * (queued → sent → relayed → delivered → read); failed ends a message that was
 * never delivered. Only an end-to-end receipt moves a message to delivered.
 */
import type { Store, StoreOp } from '../ports/index.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { EnvelopeRecord, MessageRecord } from './records.ts'
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

export interface StatusBook {
  /** Ops that index a new outgoing envelope and its messages. */
  index(envelopeId: string, historyKeys: readonly string[], messageIds: readonly string[], expiresAt: number): StoreOp[]
  /** Moves the messages of an envelope forward (sent, relayed). */
  advanceEnvelope(envelopeId: string, to: MessageStatus): Promise<StatusChange>
  /** Moves messages found by id forward (delivered, read from receipts). */
  advanceMessages(messageIds: readonly string[], to: MessageStatus, failure?: string): Promise<StatusChange>
  /** Outgoing envelopes past their expiry. */
  expiredEnvelopes(now: number): Promise<string[]>
}

export function createStatusBook(store: Store): StatusBook {
  const advanceKeys = async (historyKeys: readonly string[], to: MessageStatus, failure?: string): Promise<StatusChange> => {
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
    index(envelopeId, historyKeys, messageIds, expiresAt) {
      const envelope: EnvelopeRecord = { historyKeys, expiresAt }
      return [
        { type: 'set', key: keys.envelope(envelopeId), value: encodeRecord(envelope) },
        ...messageIds.map((id, i): StoreOp => ({ type: 'set', key: keys.messageIndex(id), value: encodeRecord({ historyKey: historyKeys[i] }) })),
      ]
    },
    async advanceEnvelope(envelopeId, to) {
      const bytes = await store.get(keys.envelope(envelopeId))
      if (!bytes) return { records: [], ops: [] }
      const change = await advanceKeys(decodeRecord<EnvelopeRecord>('envelope', bytes).historyKeys, to)
      // A delivered or failed envelope needs no more tracking.
      if (to === 'failed') change.ops.push({ type: 'delete', key: keys.envelope(envelopeId) })
      return change
    },
    async advanceMessages(messageIds, to, failure) {
      const historyKeys: string[] = []
      for (const id of messageIds) {
        const bytes = await store.get(keys.messageIndex(id))
        if (bytes) historyKeys.push(decodeRecord<{ historyKey: string }>('message index', bytes).historyKey)
      }
      return advanceKeys(historyKeys, to, failure)
    },
    async expiredEnvelopes(now) {
      const out: string[] = []
      for (const key of await store.keys('env/')) {
        const bytes = await store.get(key)
        if (bytes && decodeRecord<EnvelopeRecord>('envelope', bytes).expiresAt < now) out.push(key.slice('env/'.length))
      }
      return out
    },
  }
}

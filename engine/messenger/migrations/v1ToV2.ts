/**
 * Schema 1 → 2.
 *
 * Schema 1 (up to commit 04500ee) stored a conversation under
 * `msg/<contact>/<sentAt, 15 digits>/<message id>`, ordered by the sender's
 * clock; `msgid/<id>` → { historyKey } for outgoing messages only; `env/<id>` →
 * { historyKeys, expiresAt } for envelopes awaiting a receipt; `outbox/<id>` →
 * { messageId, historyKeys, envelope } for envelopes not yet handed to a link,
 * including control envelopes (intros, receipts) with no history keys.
 *
 * Schema 2 numbers each conversation (`hist/<contact>`, bucketed `msg/` keys),
 * indexes every message id, and keeps an envelope in `outbox/<dest>/<id>` until
 * its receipt. A schema-1 envelope cannot be re-sent (the envelope format
 * changed with it), so every outgoing message that was not yet delivered gets a
 * `resend/` marker: the messenger seals it again, with the same id, at its next
 * start, and the recipient shows it once. Schema-1 control envelopes are
 * dropped: receipts are re-sent when their sender retries, and a contact whose
 * intro never left learns the name from the next message's sender proof.
 */
import { utf8Decode } from '../../bytes.ts'
import type { Store, StoreOp } from '../../ports/index.ts'
import { CorruptRecordError } from '../errors.ts'
import { encodeRecord, keys } from '../records.ts'
import type { HistoryHead, MessageIndex, MessageRecord } from '../records.ts'

/** The schema-1 message record: no seq. */
type V1Message = Omit<MessageRecord, 'seq'>

const UNDELIVERED = new Set(['queued', 'sent', 'relayed'])

function parse<T>(kind: string, bytes: Uint8Array): T {
  try {
    return JSON.parse(utf8Decode(bytes)) as T
  } catch {
    throw new CorruptRecordError(kind)
  }
}

export async function planV1ToV2(store: Store): Promise<StoreOp[]> {
  const ops: StoreOp[] = []
  const conversations = new Map<string, string[]>()
  // Keys sort by sentAt then id: the order schema 1 showed.
  for (const key of await store.keys('msg/')) {
    const contactId = key.split('/')[1]!
    conversations.set(contactId, [...(conversations.get(contactId) ?? []), key])
  }
  for (const [contactId, oldKeys] of conversations) {
    let readUpTo: number | null = null
    for (const [seq, oldKey] of oldKeys.entries()) {
      const bytes = await store.get(oldKey)
      if (!bytes) continue
      const old = parse<V1Message>('message', bytes)
      const record: MessageRecord = { ...old, seq }
      const historyKey = keys.message(contactId, seq)
      const index: MessageIndex = { contactId, historyKey }
      ops.push(
        { type: 'delete', key: oldKey },
        { type: 'set', key: historyKey, value: encodeRecord(record) },
        { type: 'set', key: keys.messageIndex(old.id), value: encodeRecord(index) },
      )
      if (old.direction === 'in' && old.status === 'received' && readUpTo === null) readUpTo = seq
      if (old.direction === 'out' && UNDELIVERED.has(old.status)) ops.push({ type: 'set', key: keys.resend(contactId, old.id), value: encodeRecord({}) })
    }
    const head: HistoryHead = { next: oldKeys.length, readUpTo: readUpTo ?? oldKeys.length }
    ops.push({ type: 'set', key: keys.historyHead(contactId), value: encodeRecord(head) })
  }
  // Schema-1 indexes and envelopes: replaced above, or unsendable now.
  const written = new Set(ops.filter((op) => op.type === 'set').map((op) => op.key))
  for (const prefix of ['msgid/', 'env/', 'outbox/']) {
    for (const key of await store.keys(prefix)) if (!written.has(key)) ops.push({ type: 'delete', key })
  }
  return ops
}

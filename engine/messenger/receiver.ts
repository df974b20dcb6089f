/**
 * The receive path, in Signal Desktop's order: decrypt → store session state,
 * contact, plaintext and the envelope's seen record in one atomic write → only
 * then acknowledge (the caller seals the receipt from `Effects.receipts`).
 * A redelivered envelope (a sender's retry whose receipt was lost) is
 * recognised by its id and acknowledged again without being opened; a message
 * redelivered in another envelope is recognised by its message id. Either way
 * it is shown once.
 */
import { equals, fromHex, toHex } from '../bytes.ts'
import type { Clock, Crypto, Store, StoreOp } from '../ports/index.ts'
import { decodeMessageBatch, envelopeAssociatedData } from '../wire/index.ts'
import type { Envelope } from '../wire/index.ts'
import type { ContactBook } from './contactBook.ts'
import { acceptContactReach } from './contactReach.ts'
import type { ReachDropReason } from './contactReach.ts'
import { SenderProofError } from './errors.ts'
import type { HistoryBook } from './historyBook.ts'
import type { OutboxBook } from './outboxBook.ts'
import type { Outgoing } from './sealer.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { MessageIndex, MessageRecord, SeenRecord } from './records.ts'
import type { SessionBook } from './sessionBook.ts'
import type { StatusBook } from './statusBook.ts'
import type { EngineEvent } from './views.ts'

/** What one incoming envelope (or a local action) caused. */
export interface Effects {
  readonly events: EngineEvent[]
  /** Envelopes to send in answer (read receipts). */
  readonly replies: Outgoing[]
  /** Messages to acknowledge with a delivered receipt: call `acknowledge` after showing them. */
  readonly receipts: { readonly contactId: string; readonly ids: Uint8Array[] }[]
  /** Link signalling a contact sent (WebRTC), by contact id. */
  readonly signals: { readonly from: string; readonly signal: Uint8Array }[]
  /** Outbox entries an end-to-end receipt completed: their machines stop. */
  readonly delivered: { readonly contactId: string; readonly envelopeId: string }[]
  /** Contacts whose session fell too far behind theirs to follow: start a new one (Messenger.resync). */
  readonly resync: string[]
  /**
   * Contacts to send our current reach record to (Messenger.composeReach): their intro arrived,
   * so they just became a contact, or their key changed, so their device holds none of ours.
   */
  readonly shareReach: string[]
  /** Reach records a contact sent that were dropped, never shown: the engine counts them. */
  readonly reachDropped: { readonly contactId: string; readonly reason: ReachDropReason }[]
  /** Reach records a contact sent that were kept (newer than the held one): where their mail goes now. */
  readonly reachKept: { readonly contactId: string; readonly record: Uint8Array }[]
}

export const noEffects = (): Effects => ({
  events: [],
  replies: [],
  signals: [],
  receipts: [],
  delivered: [],
  resync: [],
  shareReach: [],
  reachDropped: [],
  reachKept: [],
})

export interface ReceiverDeps {
  readonly crypto: Crypto
  readonly clock: Clock
  readonly store: Store
  readonly book: ContactBook
  readonly sessions: SessionBook
  readonly status: StatusBook
  readonly history: HistoryBook
  readonly outbox: OutboxBook
  readonly self: () => Uint8Array
}

export function createReceiver(d: ReceiverDeps): (envelope: Envelope) => Promise<Effects> {
  const { clock, store, book, sessions, status, history, outbox } = d

  const redelivered = async (envelopeId: string): Promise<Effects | null> => {
    const bytes = await store.get(keys.seen(envelopeId))
    if (!bytes) return null
    const seen = decodeRecord<SeenRecord>('seen envelope', bytes)
    const effects = noEffects()
    if (seen.ids.length > 0) effects.receipts.push({ contactId: seen.contactId, ids: seen.ids.map(fromHex) })
    return effects
  }

  return async (envelope) => {
    if (!equals(envelope.header.destination, d.self())) return noEffects()
    if (envelope.header.expiresAt < clock.now()) return noEffects()
    const envelopeId = toHex(envelope.header.id)
    const again = await redelivered(envelopeId)
    if (again) return again
    let opened: ReturnType<typeof sessions.decrypt>
    try {
      opened = sessions.decrypt(envelope.body, envelopeAssociatedData(envelope.header))
    } catch (error) {
      // Its message key is gone: it was decrypted (and shown) already.
      if ((error as Error).name === 'DuplicateOrExpiredError') return noEffects()
      // More than MAX_SKIP of their messages never arrived (receipts lost while we were away):
      // this session can no longer follow theirs. Only a new one heals it.
      const peer = (error as { peer?: Uint8Array | null }).peer
      if ((error as Error).name === 'TooManySkippedError' && peer) return { ...noEffects(), resync: [toHex(peer)] }
      throw error
    }
    const { sender: peer, plaintext } = opened.value
    const items = decodeMessageBatch(plaintext)
    if (items.some((item) => !equals(item.body.sender.identity, peer.identity))) throw new SenderProofError()
    const intro = items.map((item) => item.body).find((body) => body.type === 'intro')
    const named = intro?.type === 'intro' ? intro : null
    const learned = await book.learn(peer, named?.displayName ?? null, named?.relays ?? [])
    const contactId = learned.record.id
    // A reach body may change the contact's record again: it is written once, after the loop.
    let contact = learned.record
    let contactOp = learned.op
    const ops: StoreOp[] = [...opened.ops]
    const effects: Effects = { ...noEffects(), events: learned.op ? [{ type: 'contact', contact: book.view(learned.record) }] : [] }
    if (named || learned.keyChanged) effects.shareReach.push(contactId)
    const acked: Uint8Array[] = []
    const fresh: Omit<MessageRecord, 'seq'>[] = []
    const commits: (() => void)[] = [opened.commit]
    for (const { id: itemId, body } of items) {
      if (body.type === 'signal') effects.signals.push({ from: contactId, signal: body.signal })
      if (body.type === 'reach') {
        // Dropped quietly: nothing the user could act on, and the rest of the envelope still counts.
        const arrival = acceptContactReach(d.crypto, contact, body.record, clock.now())
        if (arrival.kind === 'dropped') effects.reachDropped.push({ contactId, reason: arrival.reason })
        if (arrival.kind === 'kept') {
          effects.reachKept.push({ contactId, record: body.record })
          contact = arrival.record
          contactOp = book.put(contact)
        }
      }
      if (body.type === 'receipt') {
        const change = await status.acknowledge(contactId, body.ids.map(toHex), body.kind)
        ops.push(...change.ops)
        effects.events.push(...change.records.map((r): EngineEvent => ({ type: 'messageStatus', id: r.id, contactId, status: r.status })))
        if (body.kind !== 'delivered') continue
        for (const envelopeId of change.envelopeIds) {
          const entry = await outbox.get(contactId, envelopeId)
          if (!entry) continue
          const removal = outbox.remove(entry)
          ops.push(removal.op)
          commits.push(removal.commit)
          effects.delivered.push({ contactId, envelopeId })
        }
      }
      // Texts and intros are acknowledged: the sender's outbox waits for that receipt.
      if (body.type !== 'text' && body.type !== 'intro') continue
      acked.push(itemId)
      if (body.type !== 'text') continue
      const messageId = toHex(itemId)
      // The same message in another envelope (a resend) has the same id: shown once.
      if ((await status.find(messageId)) || fresh.some((m) => m.id === messageId)) continue
      fresh.push({ id: messageId, contactId, direction: 'in', text: body.text, timestamp: body.sentAt, status: 'received' })
    }
    const appended = await history.append(contactId, fresh)
    if (fresh.length > 0) ops.push(...appended.ops)
    appended.records.forEach((record, i) => {
      const index: MessageIndex = { contactId, historyKey: appended.historyKeys[i]! }
      ops.push({ type: 'set', key: keys.messageIndex(record.id), value: encodeRecord(index) })
      effects.events.push({ type: 'message', message: record })
    })
    if (acked.length > 0) {
      const seen: SeenRecord = { contactId, ids: acked.map(toHex), expiresAt: envelope.header.expiresAt }
      ops.push({ type: 'set', key: keys.seen(envelopeId), value: encodeRecord(seen) })
    }
    if (contactOp) ops.push(contactOp)
    await store.batch(ops)
    commits.forEach((commit) => commit())
    if (fresh.length > 0) appended.commit()
    // Only now, with everything durable, may the sender learn it was delivered.
    if (acked.length > 0) effects.receipts.push({ contactId, ids: acked })
    return effects
  }
}

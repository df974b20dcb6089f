/**
 * Outgoing texts: validated, numbered into the conversation, packed in order
 * into as few envelopes as their plaintext budget allows (one ratchet step
 * each), and made durable — session, history, status index and outbox entry in
 * one atomic write per envelope — before anything is sent. A failed message is
 * sent again the same way, keeping its message id and its place in history.
 */
import { fromHex, toHex, utf8Encode } from '../bytes.ts'
import type { Clock, Random, Store, StoreOp } from '../ports/index.ts'
import { BATCH_ITEM_OVERHEAD, MAX_BATCH_MESSAGES, MESSAGE_ID_BYTES, encodeMessageBody, isWellFormedText } from '../wire/index.ts'
import type { BatchedMessage, SenderProof } from '../wire/index.ts'
import type { ContactBook } from './contactBook.ts'
import { InvalidMessageError, NotRetriableError, UnknownContactError } from './errors.ts'
import type { HistoryBook } from './historyBook.ts'
import type { OutboxBook } from './outboxBook.ts'
import { decodeRecord, encodeRecord } from './records.ts'
import type { ContactRecord, MessageRecord } from './records.ts'
import { outboxRecord } from './sealer.ts'
import type { Outgoing, Sealed } from './sealer.ts'
import type { StatusBook } from './statusBook.ts'
import type { MessageStatus, MessageView } from './views.ts'

export const MAX_TEXT_BYTES = 16_384
/** Plaintext budget of one envelope: MAX_ENVELOPE_BODY less the largest session overhead, with room to spare. */
export const MAX_BATCH_PLAINTEXT = 59_000

export interface ComposerDeps {
  readonly random: Random
  readonly clock: Clock
  readonly store: Store
  readonly book: ContactBook
  readonly status: StatusBook
  readonly history: HistoryBook
  readonly outbox: OutboxBook
  readonly seal: (contact: ContactRecord, items: readonly BatchedMessage[]) => Sealed
  readonly sender: () => SenderProof
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>
}

export interface Composed {
  readonly messages: MessageView[]
  readonly outgoing: Outgoing[]
}

export interface Composer {
  compose(contactId: string, texts: readonly string[]): Promise<Composed>
  /**
   * Seals stored outgoing messages again (same ids, same history entries), back to queued. A message
   * in a status outside `from` throws NotRetriableError when `strict`, else it is left as it is.
   */
  resend(contactId: string, messageIds: readonly string[], from: readonly MessageStatus[], strict?: boolean): Promise<Composed>
}

function validate(text: string): void {
  if (text.trim().length === 0) throw new InvalidMessageError('A message cannot be empty.')
  if (utf8Encode(text).length > MAX_TEXT_BYTES) throw new InvalidMessageError('That message is too long.')
  // A lone surrogate has no UTF-8 form; the wire codec would refuse it later as a MalformedError.
  if (!isWellFormedText(text)) throw new InvalidMessageError('That message contains an invalid character.')
}

/** Greedy packing, in order: as many messages per envelope as its plaintext budget holds. */
function pack<T extends { item: BatchedMessage }>(entries: readonly T[]): T[][] {
  const groups: T[][] = []
  let group: T[] = []
  let size = 0
  for (const entry of entries) {
    const bodySize = encodeMessageBody(entry.item.body).length + BATCH_ITEM_OVERHEAD
    if (group.length > 0 && (size + bodySize > MAX_BATCH_PLAINTEXT || group.length === MAX_BATCH_MESSAGES)) {
      groups.push(group)
      group = []
      size = 0
    }
    group.push(entry)
    size += bodySize
  }
  if (group.length > 0) groups.push(group)
  return groups
}

export function createComposer(d: ComposerDeps): Composer {
  const { random, clock, store, book, status, history, outbox, seal, sender } = d

  const contactOf = async (contactId: string): Promise<ContactRecord> => {
    sender()
    const contact = await book.get(contactId)
    if (!contact) throw new UnknownContactError()
    return contact
  }
  /** One envelope: seal, then session + history `writes` + index + outbox entry in one batch. */
  const enqueue = async (contact: ContactRecord, items: BatchedMessage[], historyKeys: string[], writes: StoreOp[]): Promise<Outgoing> => {
    const sealed = seal(contact, items)
    const messageIds = items.map((i) => toHex(i.id))
    const entry = outbox.put(outboxRecord(sealed, messageIds, historyKeys, clock.now()))
    await store.batch([
      ...sealed.ops,
      ...writes,
      ...status.index(contact.id, sealed.outgoing.messageId, messageIds, historyKeys),
      entry.op,
    ])
    sealed.commit()
    entry.commit()
    return sealed.outgoing
  }

  return {
    compose: (contactId, texts) =>
      d.exclusive(async () => {
        const contact = await contactOf(contactId)
        texts.forEach(validate)
        await outbox.reserve(contactId, texts.length)
        const now = clock.now()
        const entries = texts.map((text) => ({ item: { id: random.bytes(MESSAGE_ID_BYTES), body: { type: 'text' as const, sender: sender(), sentAt: now, text } } }))
        const messages: MessageRecord[] = []
        const outgoing: Outgoing[] = []
        for (const group of pack(entries)) {
          const drafts = group.map(({ item }): Omit<MessageRecord, 'seq'> => ({
            id: toHex(item.id),
            contactId,
            direction: 'out',
            text: item.body.text,
            timestamp: now,
            status: 'queued',
          }))
          const appended = await history.append(contactId, drafts)
          outgoing.push(await enqueue(contact, group.map((g) => g.item), appended.historyKeys, appended.ops))
          appended.commit()
          messages.push(...appended.records)
        }
        return { messages, outgoing }
      }),
    resend: (contactId, messageIds, from, strict = true) =>
      d.exclusive(async () => {
        const contact = await contactOf(contactId)
        const found: { item: BatchedMessage; record: MessageRecord; key: string }[] = []
        for (const id of messageIds) {
          const entry = await status.find(id)
          const bytes = entry?.historyKey ? await store.get(entry.historyKey) : undefined
          const record = bytes ? decodeRecord<MessageRecord>('message', bytes) : undefined
          if (!entry || entry.contactId !== contactId || !record || record.direction !== 'out') continue
          if (!from.includes(record.status)) {
            if (strict) throw new NotRetriableError()
            continue
          }
          const body = { type: 'text' as const, sender: sender(), sentAt: record.timestamp, text: record.text }
          found.push({ item: { id: fromHex(id), body }, record: stripFailure({ ...record, status: 'queued' }), key: entry.historyKey! })
        }
        if (found.length === 0) return { messages: [], outgoing: [] }
        await outbox.reserve(contactId, found.length)
        const messages: MessageRecord[] = []
        const outgoing: Outgoing[] = []
        for (const group of pack(found)) {
          const writes = group.map((g): StoreOp => ({ type: 'set', key: g.key, value: encodeRecord(g.record) }))
          outgoing.push(await enqueue(contact, group.map((g) => g.item), group.map((g) => g.key), writes))
          messages.push(...group.map((g) => g.record))
        }
        return { messages, outgoing }
      }),
  }
}

function stripFailure(record: MessageRecord): MessageRecord {
  const { failure: _failure, ...rest } = record
  return rest
}

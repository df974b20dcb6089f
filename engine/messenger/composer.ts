/**
 * Outgoing texts: validated, packed in order into as few envelopes as their
 * plaintext budget allows (one ratchet step each), and made durable — session,
 * history, status index and outbox in one atomic write per envelope — before
 * anything is sent.
 */
import { toHex, utf8Encode } from '../bytes.ts'
import type { Clock, Random, Store, StoreOp } from '../ports/index.ts'
import { BATCH_ITEM_OVERHEAD, MAX_BATCH_MESSAGES, MESSAGE_ID_BYTES, encodeMessageBody, isWellFormedText } from '../wire/index.ts'
import type { BatchedMessage, MessageBody, SenderProof } from '../wire/index.ts'
import type { ContactBook } from './contactBook.ts'
import { InvalidMessageError, UnknownContactError } from './errors.ts'
import { encodeRecord, keys } from './records.ts'
import type { ContactRecord, MessageRecord } from './records.ts'
import { outboxOp } from './sealer.ts'
import type { Outgoing, Sealed } from './sealer.ts'
import type { StatusBook } from './statusBook.ts'
import type { MessageView } from './views.ts'

export const MAX_TEXT_BYTES = 16_384
/** Plaintext budget of one envelope: MAX_ENVELOPE_BODY less the largest session overhead, with room to spare. */
export const MAX_BATCH_PLAINTEXT = 59_000

export interface ComposerDeps {
  readonly random: Random
  readonly clock: Clock
  readonly store: Store
  readonly book: ContactBook
  readonly status: StatusBook
  readonly seal: (contact: ContactRecord, items: readonly BatchedMessage[]) => Sealed
  readonly sender: () => SenderProof
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>
}

export type ComposeBatch = (contactId: string, texts: readonly string[]) => Promise<{ messages: MessageView[]; outgoing: Outgoing[] }>

function validate(text: string): void {
  if (text.trim().length === 0) throw new InvalidMessageError('A message cannot be empty.')
  if (utf8Encode(text).length > MAX_TEXT_BYTES) throw new InvalidMessageError('That message is too long.')
  // A lone surrogate has no UTF-8 form; the wire codec would refuse it later as a MalformedError.
  if (!isWellFormedText(text)) throw new InvalidMessageError('That message contains an invalid character.')
}

export function createComposer(d: ComposerDeps): ComposeBatch {
  const { random, clock, store, book, status, seal, sender } = d

  const sealBatch = async (contact: ContactRecord, items: BatchedMessage[], now: number): Promise<{ records: MessageRecord[]; outgoing: Outgoing }> => {
    const sealed = seal(contact, items)
    const records = items.map(({ id, body }): MessageRecord => ({
      id: toHex(id),
      contactId: contact.id,
      direction: 'out',
      text: body.type === 'text' ? body.text : '',
      timestamp: now,
      status: 'queued',
    }))
    const historyKeys = records.map((r) => keys.message(contact.id, now, r.id))
    await store.batch([
      ...sealed.ops,
      ...records.map((record, i): StoreOp => ({ type: 'set', key: historyKeys[i]!, value: encodeRecord(record) })),
      ...status.index(sealed.outgoing.messageId, historyKeys, records.map((r) => r.id), sealed.expiresAt),
      outboxOp(sealed.outgoing, historyKeys),
    ])
    sealed.commit()
    return { records, outgoing: sealed.outgoing }
  }

  return (contactId, texts) =>
    d.exclusive(async () => {
      sender()
      const contact = await book.get(contactId)
      if (!contact) throw new UnknownContactError()
      texts.forEach(validate)
      const now = clock.now()
      const messages: MessageRecord[] = []
      const outgoing: Outgoing[] = []
      // Greedy packing, in order: as many messages per envelope as its plaintext budget holds.
      let items: BatchedMessage[] = []
      let size = 0
      const flush = async (): Promise<void> => {
        const done = await sealBatch(contact, items, now)
        messages.push(...done.records)
        outgoing.push(done.outgoing)
        items = []
        size = 0
      }
      for (const text of texts) {
        const body: MessageBody = { type: 'text', sender: sender(), sentAt: now, text }
        const bodySize = encodeMessageBody(body).length + BATCH_ITEM_OVERHEAD
        if (items.length > 0 && (size + bodySize > MAX_BATCH_PLAINTEXT || items.length === MAX_BATCH_MESSAGES)) await flush()
        items.push({ id: random.bytes(MESSAGE_ID_BYTES), body })
        size += bodySize
      }
      if (items.length > 0) await flush()
      return { messages, outgoing }
    })
}

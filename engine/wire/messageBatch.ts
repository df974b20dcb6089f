/**
 * The plaintext of one session message: one or more message bodies, each with
 * its own id. Sending a burst to one contact as one envelope costs one ratchet
 * step and two AEAD calls instead of one set per message (DESIGN.md §8: batch the
 * data plane), and tells relays less about how many messages were sent.
 *
 * Layout: version u8 (1) | count varint (1..MAX_BATCH_MESSAGES) |
 *         count × ( id 16 | varint length | message body )
 */
import { byteReader } from './byteReader.ts'
import { byteWriter } from './byteWriter.ts'
import { MalformedError, UnsupportedVersionError } from './errors.ts'
import { decodeMessageBody, encodeMessageBody } from './messageBody.ts'
import type { MessageBody } from './messageBody.ts'

export const MESSAGE_BATCH_VERSION = 1
export const MAX_BATCH_MESSAGES = 256
export const BATCH_ID_BYTES = 16
const MAX_BODY_BYTES = 65_535

export interface BatchedMessage {
  /** The message's own id (16 bytes): what history, receipts and duplicates key on. */
  readonly id: Uint8Array
  readonly body: MessageBody
}

export function encodeMessageBatch(items: readonly BatchedMessage[]): Uint8Array {
  if (items.length < 1 || items.length > MAX_BATCH_MESSAGES) {
    throw new MalformedError(`message batch holds 1..${MAX_BATCH_MESSAGES} messages, not ${items.length}`)
  }
  const bodies = items.map((item) => encodeMessageBody(item.body))
  const w = byteWriter(8 + bodies.reduce((n, b) => n + b.length + BATCH_ID_BYTES + 3, 0))
  w.u8(MESSAGE_BATCH_VERSION, 'message batch version')
  w.varint(items.length, 'message batch count')
  items.forEach((item, i) => {
    w.bytes(item.id, 'batched message id', BATCH_ID_BYTES)
    w.lengthPrefixed(bodies[i]!, 'batched message body', 1, MAX_BODY_BYTES)
  })
  return w.finish()
}

export function decodeMessageBatch(bytes: Uint8Array): BatchedMessage[] {
  const r = byteReader(bytes)
  const version = r.u8('message batch version')
  if (version !== MESSAGE_BATCH_VERSION) throw new UnsupportedVersionError('message batch', version)
  const count = r.varint('message batch count')
  if (count < 1 || count > MAX_BATCH_MESSAGES) {
    throw new MalformedError(`message batch count ${count} is outside 1..${MAX_BATCH_MESSAGES}`)
  }
  const items: BatchedMessage[] = []
  for (let i = 0; i < count; i++) {
    const id = r.bytes(BATCH_ID_BYTES, 'batched message id')
    items.push({ id, body: decodeMessageBody(r.lengthPrefixedView('batched message body', 1, MAX_BODY_BYTES)) })
  }
  r.end('message batch')
  return items
}

/** Bytes `encodeMessageBatch` adds per message on top of its encoded body (upper bound). */
export const BATCH_ITEM_OVERHEAD = BATCH_ID_BYTES + 3

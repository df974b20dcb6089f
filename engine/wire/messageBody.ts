/**
 * The plaintext inside a sealed envelope body. Sealed sender (DESIGN.md §3):
 * the sender's identity travels here, so only the recipient learns it.
 *
 * Layout (big-endian):
 *
 *   version    u8   = 1
 *   type       u8   1 = text, 2 = intro, 3 = receipt, 4 = signal, 5 = reach
 *   identity   32   sender's Ed25519 public key
 *   binding    64   signature binding the sender's Noise static key to identity
 *   sentAt     u48  ms since the Unix epoch, the sender's clock
 *   then for text:    text (varint length 1..16384 + UTF-8)
 *   then for intro:   displayName (varint length + UTF-8, rules in profileFields.ts)
 *                     relay count u8 (0..4), relays (varint length + UTF-8 each)
 *   then for receipt: kind u8 (1 = delivered, 2 = read), id count varint (1..256), 16-byte message ids
 *   then for signal:  varint length 1..8192 + opaque WebRTC signalling bytes
 *   then for reach:   varint length 1..1024 + the sender's signed reach record
 *                     (engine/reach/reachRecord.ts; opaque here, the messenger verifies it)
 *
 * The text cap is in UTF-8 bytes, not characters: it is what bounds the
 * sealed size, whatever the script.
 */
import { byteReader } from './byteReader.ts'
import { byteWriter } from './byteWriter.ts'
import { MalformedError, UnknownFrameTypeError, UnsupportedVersionError } from './errors.ts'
// The same cap as the link's 'reach' frame: one record, whichever way it travels.
import { MAX_REACH_RECORD_BYTES } from './linkFrame.ts'
import { readProfile, writeProfile } from './profileFields.ts'

export const MESSAGE_BODY_VERSION = 1
export const IDENTITY_BYTES = 32
export const BINDING_BYTES = 64
export const MAX_TEXT_BYTES = 16_384

export interface SenderProof {
  /** Sender's 32-byte Ed25519 public key. */
  readonly identity: Uint8Array
  /** 64-byte signature binding the sender's Noise static key to identity. */
  readonly binding: Uint8Array
}

export type MessageBody =
  | {
      readonly type: 'text'
      readonly sender: SenderProof
      /** ms since the Unix epoch, integer in 0..2^48-1. */
      readonly sentAt: number
      /** Well-formed Unicode, 1..MAX_TEXT_BYTES bytes of UTF-8. */
      readonly text: string
    }
  | {
      readonly type: 'intro'
      readonly sender: SenderProof
      readonly sentAt: number
      readonly displayName: string
      readonly relays: readonly string[]
    }
  | {
      /** End-to-end receipt: the recipient stored (delivered) or showed (read) these messages. */
      readonly type: 'receipt'
      readonly sender: SenderProof
      readonly sentAt: number
      readonly kind: ReceiptKind
      /** 16-byte message ids, 1..MAX_RECEIPT_IDS. */
      readonly ids: readonly Uint8Array[]
    }
  | {
      /** Opaque link signalling (WebRTC offer/answer/candidate) carried end to end. */
      readonly type: 'signal'
      readonly sender: SenderProof
      readonly sentAt: number
      readonly signal: Uint8Array
    }
  | {
      /** The sender's signed reach record (where their mail is kept), sent to contacts whenever it changes. */
      readonly type: 'reach'
      readonly sender: SenderProof
      readonly sentAt: number
      /** Opaque at this layer: engine/reach decodes and verifies it. */
      readonly record: Uint8Array
    }

export type ReceiptKind = 'delivered' | 'read'
export const MAX_RECEIPT_IDS = 256
export const MAX_SIGNAL_BYTES = 8_192
const RECEIPT_ID_BYTES = 16

const TYPE_TEXT = 1
const TYPE_INTRO = 2
const TYPE_RECEIPT = 3
const TYPE_SIGNAL = 4
const TYPE_REACH = 5
const TAGS = { text: TYPE_TEXT, intro: TYPE_INTRO, receipt: TYPE_RECEIPT, signal: TYPE_SIGNAL, reach: TYPE_REACH } as const

export function encodeMessageBody(body: MessageBody): Uint8Array {
  const w = byteWriter(128 + (body.type === 'text' ? body.text.length * 3 : 0))
  w.u8(MESSAGE_BODY_VERSION, 'message body version')
  const type = body.type
  const tag = TAGS[type]
  if (tag === undefined) throw new MalformedError(`message body type ${String(type)} is unknown`)
  w.u8(tag, 'message body type')
  w.bytes(body.sender.identity, 'sender identity', IDENTITY_BYTES)
  w.bytes(body.sender.binding, 'sender binding', BINDING_BYTES)
  w.u48(body.sentAt, 'message sentAt')
  switch (body.type) {
    case 'text':
      w.utf8(body.text, 'message text', 1, MAX_TEXT_BYTES)
      break
    case 'intro':
      writeProfile(w, body)
      break
    case 'receipt':
      w.u8(body.kind === 'read' ? 2 : body.kind === 'delivered' ? 1 : 0, 'receipt kind')
      if (body.kind !== 'read' && body.kind !== 'delivered') throw new MalformedError('receipt kind is unknown')
      if (body.ids.length < 1 || body.ids.length > MAX_RECEIPT_IDS) {
        throw new MalformedError(`receipt holds 1..${MAX_RECEIPT_IDS} ids, not ${body.ids.length}`)
      }
      w.varint(body.ids.length, 'receipt id count')
      for (const id of body.ids) w.bytes(id, 'receipt id', RECEIPT_ID_BYTES)
      break
    case 'signal':
      w.lengthPrefixed(body.signal, 'signal', 1, MAX_SIGNAL_BYTES)
      break
    case 'reach':
      w.lengthPrefixed(body.record, 'reach record', 1, MAX_REACH_RECORD_BYTES)
      break
  }
  return w.finish()
}

export function decodeMessageBody(bytes: Uint8Array): MessageBody {
  const r = byteReader(bytes)
  const version = r.u8('message body version')
  if (version !== MESSAGE_BODY_VERSION) throw new UnsupportedVersionError('message body', version)
  const tag = r.u8('message body type')
  if (tag < TYPE_TEXT || tag > TYPE_REACH) throw new UnknownFrameTypeError('message body', tag)
  const identity = r.bytes(IDENTITY_BYTES, 'sender identity')
  const binding = r.bytes(BINDING_BYTES, 'sender binding')
  const sender: SenderProof = { identity, binding }
  const sentAt = r.u48('message sentAt')
  let body: MessageBody
  if (tag === TYPE_TEXT) {
    body = { type: 'text', sender, sentAt, text: r.utf8('message text', 1, MAX_TEXT_BYTES) }
  } else if (tag === TYPE_INTRO) {
    const { displayName, relays } = readProfile(r)
    body = { type: 'intro', sender, sentAt, displayName, relays }
  } else if (tag === TYPE_RECEIPT) {
    const kindTag = r.u8('receipt kind')
    if (kindTag !== 1 && kindTag !== 2) throw new MalformedError(`receipt kind ${kindTag} is unknown`)
    const count = r.varint('receipt id count')
    if (count < 1 || count > MAX_RECEIPT_IDS) throw new MalformedError(`receipt id count ${count} is outside 1..${MAX_RECEIPT_IDS}`)
    const ids: Uint8Array[] = []
    for (let i = 0; i < count; i++) ids.push(r.bytes(RECEIPT_ID_BYTES, 'receipt id'))
    body = { type: 'receipt', sender, sentAt, kind: kindTag === 2 ? 'read' : 'delivered', ids }
  } else if (tag === TYPE_SIGNAL) {
    body = { type: 'signal', sender, sentAt, signal: r.lengthPrefixed('signal', 1, MAX_SIGNAL_BYTES) }
  } else {
    body = { type: 'reach', sender, sentAt, record: r.lengthPrefixed('reach record', 1, MAX_REACH_RECORD_BYTES) }
  }
  r.end('message body')
  return body
}

/**
 * What travels inside one Noise transport message on a link (DESIGN.md §3):
 * `[version][type][body]`, decoded only here.
 *
 * Layout (big-endian):
 *
 *   version  u8  = 1
 *   type     u8  1 = envelopes, 2 = ping, 3 = pong, 4 = close, 5 = announce, 6 = ack, 7 = refuse,
 *                8 = reach, 9 = custody
 *   envelopes: count varint (1..1024), then per envelope varint length (>= 1) + bytes
 *   ping/pong: nonce u32, sentAt u48 (ms; pong echoes the ping's values)
 *   close:     reason u8 (1 = shutdown, 2 = protocol, 3 = overload)
 *   announce:  metric u16 (hops so far; 0xffff = retraction), then the signed
 *              announcement: varint length (1..1024) + bytes
 *   ack:       count varint (1..1024), then count × 16-byte envelope ids
 *   refuse:    reason u8 (1 = destination-full, 2 = sender-over-quota, 3 = too-large,
 *              4 = expired), then ids as in ack
 *   reach:     the sender's signed reach record: varint length (1..1024) + bytes
 *   custody:   a custodian's signed custody receipt: varint length (1..8192) + bytes
 *
 * Envelopes are batched because one frame per small message costs ~100x the
 * CPU per message of a packed frame (DESIGN.md §8). Envelope bytes are opaque
 * here; the receiver validates each with `decodeEnvelope`, so one bad envelope
 * does not discard its batch.
 *
 * 'announce' carries one origin's signed announcement (opaque here, verified
 * by engine/routing) with the sender's hop count to that origin: the metric
 * sits outside the signature because every hop rewrites it, as the metric of
 * an RFC 8966 §4.6.9 Update TLV does. 'ack' tells a neighbour which of the
 * envelopes it handed over this node took into custody (DESIGN.md §5, "relayed");
 * 'refuse' says which it would not hold, and why (its custody budgets, issue 10), so
 * the sender's outbox knows the message is still only its own to keep.
 * 'reach' registers the sender's own signed reach record (engine/reach/reachRecord.ts,
 * opaque here) at a relay it names as a home relay (issue 11). 'custody' carries a
 * home relay's signed custody receipt (engine/reach/custodyReceipt.ts) back toward the
 * senders, the way 'ack' goes; unlike an ack, only its signer can have made it.
 */
import { byteReader } from './byteReader.ts'
import { byteWriter, varintLength } from './byteWriter.ts'
import { MESSAGE_ID_BYTES } from './envelope.ts'
import { FrameTooLargeError, MalformedError, UnknownFrameTypeError, UnsupportedVersionError } from './errors.ts'

export const LINK_VERSION = 1
/** A Noise transport message carries at most 65535 bytes incl. the 16-byte tag. */
export const MAX_LINK_FRAME = 65_535 - 16
export const MAX_BATCH_ENVELOPES = 1024
/** Upper bound of a signed announcement inside an 'announce' frame. */
export const MAX_ANNOUNCEMENT_BYTES = 1024
/** RFC 8966 §2.1: the infinite metric; an 'announce' with it is a retraction. */
export const RETRACTION_METRIC = 0xffff
export const MAX_ACK_IDS = 1024
/** A reach record is at most 986 bytes (engine/reach/reachRecord.ts): room for a later version. */
export const MAX_REACH_RECORD_BYTES = 1024
/** A receipt for 256 ids is 4,239 bytes (engine/reach/custodyReceipt.ts): room for a later version. */
export const MAX_CUSTODY_RECEIPT_BYTES = 8192

export type CloseReason = 'shutdown' | 'protocol' | 'overload'
/**
 * Why a custodian would not hold an envelope: a budget (engine/routing/mailbox.ts RefusalReason),
 * 'no-custody', the relay is not one of the destination's home relays, or 'home-unreachable',
 * none of the destination's home relays could be reached to hand it to (issue 11).
 */
export type RefuseReason = 'destination-full' | 'sender-over-quota' | 'too-large' | 'expired' | 'no-custody' | 'home-unreachable'

export type LinkFrame =
  | { readonly type: 'envelopes'; readonly envelopes: readonly Uint8Array[] }
  | { readonly type: 'ping'; readonly nonce: number; readonly sentAt: number }
  | { readonly type: 'pong'; readonly nonce: number; readonly sentAt: number }
  | { readonly type: 'close'; readonly reason: CloseReason }
  | { readonly type: 'announce'; readonly announcement: Uint8Array; readonly metric: number }
  | { readonly type: 'ack'; readonly ids: readonly Uint8Array[] }
  | { readonly type: 'refuse'; readonly reason: RefuseReason; readonly ids: readonly Uint8Array[] }
  | { readonly type: 'reach'; readonly record: Uint8Array }
  | { readonly type: 'custody'; readonly receipt: Uint8Array }

const TYPE_ENVELOPES = 1
const TYPE_PING = 2
const TYPE_PONG = 3
const TYPE_CLOSE = 4
const TYPE_ANNOUNCE = 5
const TYPE_ACK = 6
const TYPE_REFUSE = 7
const TYPE_REACH = 8
const TYPE_CUSTODY = 9

const CLOSE_REASONS: readonly CloseReason[] = ['shutdown', 'protocol', 'overload']
const REFUSE_REASONS: readonly RefuseReason[] = ['destination-full', 'sender-over-quota', 'too-large', 'expired', 'no-custody', 'home-unreachable']

/** Bytes of an 'envelopes' frame: version, type, count, and each length-prefixed envelope. */
function batchSize(count: number, payload: number): number {
  return 2 + varintLength(count) + payload
}

function checkAckCount(count: number): void {
  if (count < 1 || count > MAX_ACK_IDS) throw new MalformedError(`ack id count ${count} is outside 1..${MAX_ACK_IDS}`)
}

/** Exact size of the small frames (a hint only: the writer still checks every field). */
function sizeHint(frame: LinkFrame): number {
  if (frame.type === 'announce') return 4 + varintLength(frame.announcement.length) + frame.announcement.length
  if (frame.type === 'ack') return 2 + varintLength(frame.ids.length) + frame.ids.length * MESSAGE_ID_BYTES
  if (frame.type === 'refuse') return 3 + varintLength(frame.ids.length) + frame.ids.length * MESSAGE_ID_BYTES
  if (frame.type === 'reach') return 2 + varintLength(frame.record.length) + frame.record.length
  if (frame.type === 'custody') return 2 + varintLength(frame.receipt.length) + frame.receipt.length
  return 16
}

/** Throws FrameTooLargeError above MAX_LINK_FRAME. */
export function encodeLinkFrame(frame: LinkFrame): Uint8Array {
  if (frame.type === 'envelopes') {
    const { envelopes } = frame
    if (envelopes.length < 1 || envelopes.length > MAX_BATCH_ENVELOPES) {
      throw new MalformedError(`envelope count ${envelopes.length} is outside 1..${MAX_BATCH_ENVELOPES}`)
    }
    let payload = 0
    for (const e of envelopes) payload += varintLength(e.length) + e.length
    const size = batchSize(envelopes.length, payload)
    // Checked before allocating: a caller's oversized batch costs no copy.
    if (size > MAX_LINK_FRAME) throw new FrameTooLargeError('link frame', size, MAX_LINK_FRAME)
    const w = byteWriter(size)
    w.u8(LINK_VERSION, 'link frame version')
    w.u8(TYPE_ENVELOPES, 'link frame type')
    w.varint(envelopes.length, 'envelope count')
    for (const e of envelopes) w.lengthPrefixed(e, 'batched envelope', 1, MAX_LINK_FRAME)
    return w.finish()
  }
  if (frame.type === 'ack' || frame.type === 'refuse') checkAckCount(frame.ids.length)
  const w = byteWriter(sizeHint(frame))
  w.u8(LINK_VERSION, 'link frame version')
  switch (frame.type) {
    case 'ping':
    case 'pong':
      w.u8(frame.type === 'ping' ? TYPE_PING : TYPE_PONG, 'link frame type')
      w.u32(frame.nonce, `${frame.type} nonce`)
      w.u48(frame.sentAt, `${frame.type} sentAt`)
      break
    case 'close': {
      const code = CLOSE_REASONS.indexOf(frame.reason)
      if (code < 0) throw new MalformedError('close reason is unknown')
      w.u8(TYPE_CLOSE, 'link frame type')
      w.u8(code + 1, 'close reason')
      break
    }
    case 'announce':
      w.u8(TYPE_ANNOUNCE, 'link frame type')
      w.u16(frame.metric, 'announce metric')
      w.lengthPrefixed(frame.announcement, 'announcement', 1, MAX_ANNOUNCEMENT_BYTES)
      break
    case 'ack':
      w.u8(TYPE_ACK, 'link frame type')
      w.varint(frame.ids.length, 'ack id count')
      for (const id of frame.ids) w.bytes(id, 'acked envelope id', MESSAGE_ID_BYTES)
      break
    case 'refuse': {
      const code = REFUSE_REASONS.indexOf(frame.reason)
      if (code < 0) throw new MalformedError('refuse reason is unknown')
      w.u8(TYPE_REFUSE, 'link frame type')
      w.u8(code + 1, 'refuse reason')
      w.varint(frame.ids.length, 'refused id count')
      for (const id of frame.ids) w.bytes(id, 'refused envelope id', MESSAGE_ID_BYTES)
      break
    }
    case 'reach':
      w.u8(TYPE_REACH, 'link frame type')
      w.lengthPrefixed(frame.record, 'reach record', 1, MAX_REACH_RECORD_BYTES)
      break
    case 'custody':
      w.u8(TYPE_CUSTODY, 'link frame type')
      w.lengthPrefixed(frame.receipt, 'custody receipt', 1, MAX_CUSTODY_RECEIPT_BYTES)
      break
    default:
      throw new MalformedError(`link frame type ${String((frame as { type: unknown }).type)} is unknown`)
  }
  return w.finish()
}

export function decodeLinkFrame(bytes: Uint8Array): LinkFrame {
  if (bytes.length > MAX_LINK_FRAME) throw new FrameTooLargeError('link frame', bytes.length, MAX_LINK_FRAME)
  const r = byteReader(bytes)
  const version = r.u8('link frame version')
  if (version !== LINK_VERSION) throw new UnsupportedVersionError('link frame', version)
  const tag = r.u8('link frame type')
  let frame: LinkFrame
  switch (tag) {
    case TYPE_ENVELOPES: {
      const count = r.varint('envelope count')
      if (count < 1 || count > MAX_BATCH_ENVELOPES) {
        throw new MalformedError(`envelope count ${count} is outside 1..${MAX_BATCH_ENVELOPES}`)
      }
      const envelopes: Uint8Array[] = []
      for (let i = 0; i < count; i++) envelopes.push(r.lengthPrefixed('batched envelope', 1, MAX_LINK_FRAME))
      frame = { type: 'envelopes', envelopes }
      break
    }
    case TYPE_PING:
    case TYPE_PONG: {
      const type = tag === TYPE_PING ? 'ping' : 'pong'
      const nonce = r.u32(`${type} nonce`)
      const sentAt = r.u48(`${type} sentAt`)
      frame = { type, nonce, sentAt }
      break
    }
    case TYPE_CLOSE: {
      const code = r.u8('close reason')
      const reason = CLOSE_REASONS[code - 1]
      if (reason === undefined) throw new MalformedError(`close reason ${code} is unknown`)
      frame = { type: 'close', reason }
      break
    }
    case TYPE_ANNOUNCE: {
      const metric = r.u16('announce metric')
      frame = { type: 'announce', metric, announcement: r.lengthPrefixed('announcement', 1, MAX_ANNOUNCEMENT_BYTES) }
      break
    }
    case TYPE_ACK: {
      const count = r.varint('ack id count')
      checkAckCount(count)
      const ids: Uint8Array[] = []
      for (let i = 0; i < count; i++) ids.push(r.bytes(MESSAGE_ID_BYTES, 'acked envelope id'))
      frame = { type: 'ack', ids }
      break
    }
    case TYPE_REFUSE: {
      const code = r.u8('refuse reason')
      const reason = REFUSE_REASONS[code - 1]
      if (reason === undefined) throw new MalformedError(`refuse reason ${code} is unknown`)
      const count = r.varint('refused id count')
      checkAckCount(count)
      const ids: Uint8Array[] = []
      for (let i = 0; i < count; i++) ids.push(r.bytes(MESSAGE_ID_BYTES, 'refused envelope id'))
      frame = { type: 'refuse', reason, ids }
      break
    }
    case TYPE_REACH:
      frame = { type: 'reach', record: r.lengthPrefixed('reach record', 1, MAX_REACH_RECORD_BYTES) }
      break
    case TYPE_CUSTODY:
      frame = { type: 'custody', receipt: r.lengthPrefixed('custody receipt', 1, MAX_CUSTODY_RECEIPT_BYTES) }
      break
    default:
      throw new UnknownFrameTypeError('link frame', tag)
  }
  r.end('link frame')
  return frame
}

/**
 * Packs encoded envelopes into as few 'envelopes' frames as fit under
 * maxFrameBytes (default MAX_LINK_FRAME, and never above it), keeping order.
 * Greedy filling is optimal here: with order kept, closing a frame early can
 * never let a later frame hold more. An envelope that cannot fit alone throws
 * FrameTooLargeError.
 */
export function packEnvelopeFrames(envelopes: readonly Uint8Array[], maxFrameBytes = MAX_LINK_FRAME): Uint8Array[] {
  const max = Math.min(maxFrameBytes, MAX_LINK_FRAME)
  const frames: Uint8Array[] = []
  let batch: Uint8Array[] = []
  let payload = 0
  for (const envelope of envelopes) {
    const cost = varintLength(envelope.length) + envelope.length
    if (batchSize(1, cost) > max) throw new FrameTooLargeError('envelope in a link frame', batchSize(1, cost), max)
    const full = batch.length === MAX_BATCH_ENVELOPES || batchSize(batch.length + 1, payload + cost) > max
    if (batch.length > 0 && full) {
      frames.push(encodeLinkFrame({ type: 'envelopes', envelopes: batch }))
      batch = []
      payload = 0
    }
    batch.push(envelope)
    payload += cost
  }
  if (batch.length > 0) frames.push(encodeLinkFrame({ type: 'envelopes', envelopes: batch }))
  return frames
}

/**
 * The end-to-end session message: what goes in an envelope body. A
 * discriminated union on a type byte, decoded only by `decodeSessionMessage`.
 *
 * Layout (big-endian):
 *
 *   version            u8  = 1
 *   type               u8  1 = prekey, 2 = ratchet
 *   prekey only:
 *     baseKey          32  EK_A, fresh per session
 *     signed prekey id u32
 *     has one-time     u8  0 or 1
 *     one-time id      u32 present when has one-time = 1
 *     sealed sender    144 the initiator's identity, encrypted (x3dh.ts)
 *   encrypted header   68  header.ts
 *   ciphertext         16+ the rest: ChaCha20-Poly1305 body with its tag
 *
 * Everything before the encrypted header is the message's `prefix`: it is
 * part of the associated data of both the header and the body, so altering
 * any byte of a message makes it fail to open.
 */
import { byteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import type { ByteWriter } from '../wire/byteWriter.ts'
import { MalformedError, UnknownFrameTypeError, UnsupportedVersionError } from '../wire/errors.ts'
import { ENCRYPTED_HEADER_BYTES } from './header.ts'
import { SEALED_SENDER_BYTES } from './x3dh.ts'

export const SESSION_MESSAGE_VERSION = 1
const TYPE_PREKEY = 1
const TYPE_RATCHET = 2
const KEY = 32
const TAG = 16
/** Bytes a ratchet message adds to its plaintext: version, type, encrypted header, tag. */
export const RATCHET_MESSAGE_OVERHEAD = 2 + ENCRYPTED_HEADER_BYTES + TAG
/** Bytes a prekey message (with a one-time prekey id) adds to its plaintext. */
export const PREKEY_MESSAGE_OVERHEAD = 2 + KEY + 4 + 1 + 4 + SEALED_SENDER_BYTES + ENCRYPTED_HEADER_BYTES + TAG

export interface PrekeyHead {
  readonly baseKey: Uint8Array
  readonly signedPrekeyId: number
  readonly oneTimePrekeyId: number | null
}

/** What a prekey message carries before its encrypted header. */
export type PrekeyPrefix = PrekeyHead & { readonly sealedSender: Uint8Array }

export type SessionMessage =
  | (PrekeyPrefix & { readonly type: 'prekey'; readonly header: Uint8Array; readonly body: Uint8Array })
  | { readonly type: 'ratchet'; readonly header: Uint8Array; readonly body: Uint8Array }

function writeHead(w: ByteWriter, head: PrekeyHead): void {
  w.u8(SESSION_MESSAGE_VERSION, 'session message version')
  w.u8(TYPE_PREKEY, 'session message type')
  w.bytes(head.baseKey, 'baseKey', KEY)
  w.u32(head.signedPrekeyId, 'signed prekey id')
  w.u8(head.oneTimePrekeyId === null ? 0 : 1, 'has one-time prekey')
  if (head.oneTimePrekeyId !== null) w.u32(head.oneTimePrekeyId, 'one-time prekey id')
}

/** The prekey message's bytes before the sealed sender: the sealed sender's associated data. */
export function encodePrekeyHead(head: PrekeyHead): Uint8Array {
  const w = byteWriter(48)
  writeHead(w, head)
  return w.finish()
}

/**
 * The bytes before the encrypted header, as `encodeSessionMessage` writes
 * them: a prekey message's head and sealed sender, or (null) a ratchet message's.
 */
export function sessionMessagePrefix(prekey: PrekeyPrefix | null): Uint8Array {
  const w = byteWriter(256)
  if (prekey !== null) {
    writeHead(w, prekey)
    w.bytes(prekey.sealedSender, 'sealed sender', SEALED_SENDER_BYTES)
  } else {
    w.u8(SESSION_MESSAGE_VERSION, 'session message version')
    w.u8(TYPE_RATCHET, 'session message type')
  }
  return w.finish()
}

export function encodeSessionMessage(message: SessionMessage): Uint8Array {
  const prefix = sessionMessagePrefix(message.type === 'prekey' ? message : null)
  if (message.body.length < TAG) throw new MalformedError('session message body is shorter than its tag')
  const w = byteWriter(prefix.length + ENCRYPTED_HEADER_BYTES + message.body.length)
  w.bytes(prefix, 'session message prefix')
  w.bytes(message.header, 'encrypted header', ENCRYPTED_HEADER_BYTES)
  w.bytes(message.body, 'session message body')
  return w.finish()
}

/** Throws `MalformedError`, `UnsupportedVersionError` or `UnknownFrameTypeError` on anything else. */
export function decodeSessionMessage(bytes: Uint8Array): SessionMessage {
  const r = byteReader(bytes)
  const version = r.u8('session message version')
  if (version !== SESSION_MESSAGE_VERSION) throw new UnsupportedVersionError('session message', version)
  const type = r.u8('session message type')
  let head: PrekeyPrefix | null = null
  if (type === TYPE_PREKEY) {
    const baseKey = r.bytes(KEY, 'baseKey')
    const signedPrekeyId = r.u32('signed prekey id')
    const hasOneTime = r.u8('has one-time prekey')
    if (hasOneTime > 1) throw new MalformedError('has one-time prekey must be 0 or 1')
    const oneTimePrekeyId = hasOneTime === 1 ? r.u32('one-time prekey id') : null
    head = { baseKey, signedPrekeyId, oneTimePrekeyId, sealedSender: r.bytes(SEALED_SENDER_BYTES, 'sealed sender') }
  } else if (type !== TYPE_RATCHET) {
    throw new UnknownFrameTypeError('session message', type)
  }
  const header = r.bytes(ENCRYPTED_HEADER_BYTES, 'encrypted header')
  if (r.remaining < TAG) throw new MalformedError('session message body is truncated')
  const body = r.bytes(r.remaining, 'session message body')
  r.end('session message')
  return head === null ? { type: 'ratchet', header, body } : { type: 'prekey', ...head, header, body }
}

/**
 * A session's state (Double Ratchet §3.2, and §4.3 for header encryption) as
 * plain data, plus its versioned storage form. Byte arrays are never mutated
 * after creation, so a new state may share them with the one it replaced.
 *
 * Storage layout (big-endian, secret!):
 *
 *   version u8 = 1
 *   flags   u8   bit 0 pending prekey, 1 DHr, 2 CKs, 3 CKr, 4 HKs, 5 HKr, 6 pending has an OPK id
 *   peer identity 32, staticKey 32, binding 64 | associatedData 128 | baseKey 32
 *   [pending: spk id u32, (opk id u32), sealed sender 144]
 *   RK 32 | DHs secret 32, public 32 | [DHr 32] [CKs 32] [CKr 32] [HKs 32] [HKr 32] | NHKs 32 | NHKr 32
 *   Ns u32 | Nr u32 | PN u32
 *   skipped count u16 (≤ MAX_SKIPPED_KEYS), each: header key 32, n u32, message key 32 (oldest first)
 *   retired count u8 (≤ MAX_RETIRED_HEADER_KEYS), each: header key 32 (oldest first)
 */
import type { KeyPair } from '../crypto/keyPair.ts'
import { byteReader } from '../wire/byteReader.ts'
import type { ByteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import type { ByteWriter } from '../wire/byteWriter.ts'
import { MalformedError, UnsupportedVersionError } from '../wire/errors.ts'
import { SEALED_SENDER_BYTES } from './x3dh.ts'
import type { PeerIdentity } from './x3dh.ts'

export const SESSION_STATE_VERSION = 1
/** §3.5 MAX_SKIP: the most message keys one header may make the receiver derive in one chain. */
export const MAX_SKIP = 1000
/** Skipped message keys kept per session; past it the oldest are evicted (§6.4 deletion of skipped message keys). */
export const MAX_SKIPPED_KEYS = 2000
/** Receiving header keys of past chains kept so replays from them are told apart from garbage. */
export const MAX_RETIRED_HEADER_KEYS = 8
/** ID_A || IK_A || ID_B || IK_B, A the initiator (X3DH §3.3 AD, extended with the Ed25519 identities). */
export const SESSION_AD_BYTES = 128
const KEY = 32
const SIGNATURE = 64

/** The initiator's prekey header, resent with every message until a reply proves the peer has the session. */
export interface PendingPrekey {
  readonly signedPrekeyId: number
  readonly oneTimePrekeyId: number | null
  readonly sealedSender: Uint8Array
}

export interface SkippedMessageKey {
  readonly headerKey: Uint8Array
  readonly n: number
  readonly messageKey: Uint8Array
}

export interface SessionState {
  readonly peer: PeerIdentity
  readonly associatedData: Uint8Array
  /** EK_A: names the session (both sides), as libsignal's base key does. */
  readonly baseKey: Uint8Array
  readonly pendingPrekey: PendingPrekey | null
  readonly rootKey: Uint8Array
  readonly sendingRatchetKey: KeyPair
  readonly receivingRatchetKey: Uint8Array | null
  readonly sendingChainKey: Uint8Array | null
  readonly receivingChainKey: Uint8Array | null
  readonly sendingHeaderKey: Uint8Array | null
  readonly receivingHeaderKey: Uint8Array | null
  readonly nextSendingHeaderKey: Uint8Array
  readonly nextReceivingHeaderKey: Uint8Array
  readonly sendCount: number
  readonly receiveCount: number
  readonly previousSendCount: number
  readonly skippedKeys: readonly SkippedMessageKey[]
  readonly retiredHeaderKeys: readonly Uint8Array[]
}

const OPTIONAL = ['receivingRatchetKey', 'sendingChainKey', 'receivingChainKey', 'sendingHeaderKey', 'receivingHeaderKey'] as const

function writeOptional(w: ByteWriter, value: Uint8Array | null, field: string): void {
  if (value !== null) w.bytes(value, field, KEY)
}

/** Versioned storage form. Deterministic: equal states encode to equal bytes. */
export function encodeSessionState(state: SessionState): Uint8Array {
  const pending = state.pendingPrekey
  let flags = pending === null ? 0 : 1
  OPTIONAL.forEach((name, i) => {
    if (state[name] !== null) flags |= 2 << i
  })
  if (pending !== null && pending.oneTimePrekeyId !== null) flags |= 64
  if (state.skippedKeys.length > MAX_SKIPPED_KEYS) throw new MalformedError('session has too many skipped keys')
  if (state.retiredHeaderKeys.length > MAX_RETIRED_HEADER_KEYS) throw new MalformedError('session has too many retired header keys')
  const w = byteWriter(1024 + state.skippedKeys.length * (2 * KEY + 4))
  w.u8(SESSION_STATE_VERSION, 'session version')
  w.u8(flags, 'session flags')
  w.bytes(state.peer.identity, 'peer identity', KEY)
  w.bytes(state.peer.staticKey, 'peer staticKey', KEY)
  w.bytes(state.peer.binding, 'peer binding', SIGNATURE)
  w.bytes(state.associatedData, 'session associatedData', SESSION_AD_BYTES)
  w.bytes(state.baseKey, 'session baseKey', KEY)
  if (pending !== null) {
    w.u32(pending.signedPrekeyId, 'pending signed prekey id')
    if (pending.oneTimePrekeyId !== null) w.u32(pending.oneTimePrekeyId, 'pending one-time prekey id')
    w.bytes(pending.sealedSender, 'pending sealed sender', SEALED_SENDER_BYTES)
  }
  w.bytes(state.rootKey, 'root key', KEY)
  w.bytes(state.sendingRatchetKey.secretKey, 'sending ratchet secret', KEY)
  w.bytes(state.sendingRatchetKey.publicKey, 'sending ratchet public', KEY)
  for (const name of OPTIONAL) writeOptional(w, state[name], name)
  w.bytes(state.nextSendingHeaderKey, 'next sending header key', KEY)
  w.bytes(state.nextReceivingHeaderKey, 'next receiving header key', KEY)
  w.u32(state.sendCount, 'send count')
  w.u32(state.receiveCount, 'receive count')
  w.u32(state.previousSendCount, 'previous send count')
  w.u16(state.skippedKeys.length, 'skipped key count')
  for (const k of state.skippedKeys) {
    w.bytes(k.headerKey, 'skipped header key', KEY)
    w.u32(k.n, 'skipped n')
    w.bytes(k.messageKey, 'skipped message key', KEY)
  }
  w.u8(state.retiredHeaderKeys.length, 'retired header key count')
  for (const k of state.retiredHeaderKeys) w.bytes(k, 'retired header key', KEY)
  return w.finish()
}

function readOptional(r: ByteReader, flags: number, bit: number, field: string): Uint8Array | null {
  return (flags & bit) === 0 ? null : r.bytes(KEY, field)
}

/** Inverse of `encodeSessionState`; throws `MalformedError` / `UnsupportedVersionError`. */
export function decodeSessionState(bytes: Uint8Array): SessionState {
  const r = byteReader(bytes)
  const version = r.u8('session version')
  if (version !== SESSION_STATE_VERSION) throw new UnsupportedVersionError('session state', version)
  const flags = r.u8('session flags')
  if (flags > 127 || ((flags & 64) !== 0 && (flags & 1) === 0)) throw new MalformedError('session flags are inconsistent')
  const peer = { identity: r.bytes(KEY, 'peer identity'), staticKey: r.bytes(KEY, 'peer staticKey'), binding: r.bytes(SIGNATURE, 'peer binding') }
  const associatedData = r.bytes(SESSION_AD_BYTES, 'session associatedData')
  const baseKey = r.bytes(KEY, 'session baseKey')
  let pendingPrekey: PendingPrekey | null = null
  if ((flags & 1) !== 0) {
    const signedPrekeyId = r.u32('pending signed prekey id')
    const oneTimePrekeyId = (flags & 64) === 0 ? null : r.u32('pending one-time prekey id')
    pendingPrekey = { signedPrekeyId, oneTimePrekeyId, sealedSender: r.bytes(SEALED_SENDER_BYTES, 'pending sealed sender') }
  }
  const rootKey = r.bytes(KEY, 'root key')
  const secretKey = r.bytes(KEY, 'sending ratchet secret')
  const sendingRatchetKey = { secretKey, publicKey: r.bytes(KEY, 'sending ratchet public') }
  const [receivingRatchetKey, sendingChainKey, receivingChainKey, sendingHeaderKey, receivingHeaderKey] = OPTIONAL.map(
    (name, i) => readOptional(r, flags, 2 << i, name),
  ) as [Uint8Array | null, Uint8Array | null, Uint8Array | null, Uint8Array | null, Uint8Array | null]
  const nextSendingHeaderKey = r.bytes(KEY, 'next sending header key')
  const nextReceivingHeaderKey = r.bytes(KEY, 'next receiving header key')
  const sendCount = r.u32('send count')
  const receiveCount = r.u32('receive count')
  const previousSendCount = r.u32('previous send count')
  const skippedCount = r.u16('skipped key count')
  if (skippedCount > MAX_SKIPPED_KEYS) throw new MalformedError('session has too many skipped keys')
  const skippedKeys: SkippedMessageKey[] = []
  for (let i = 0; i < skippedCount; i++) {
    const headerKey = r.bytes(KEY, 'skipped header key')
    const n = r.u32('skipped n')
    skippedKeys.push({ headerKey, n, messageKey: r.bytes(KEY, 'skipped message key') })
  }
  const retiredCount = r.u8('retired header key count')
  if (retiredCount > MAX_RETIRED_HEADER_KEYS) throw new MalformedError('session has too many retired header keys')
  const retiredHeaderKeys: Uint8Array[] = []
  for (let i = 0; i < retiredCount; i++) retiredHeaderKeys.push(r.bytes(KEY, 'retired header key'))
  r.end('session state')
  return {
    peer, associatedData, baseKey, pendingPrekey, rootKey, sendingRatchetKey, receivingRatchetKey, sendingChainKey,
    receivingChainKey, sendingHeaderKey, receivingHeaderKey, nextSendingHeaderKey, nextReceivingHeaderKey,
    sendCount, receiveCount, previousSendCount, skippedKeys, retiredHeaderKeys,
  }
}

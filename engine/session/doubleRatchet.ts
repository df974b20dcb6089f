/**
 * The Double Ratchet with header encryption (Signal's Double Ratchet
 * specification, revision 1, §4). Pure: every function takes a state and
 * returns a new one, so a failed decryption leaves the caller's state exactly
 * as it was (DESIGN.md §3) and the caller commits only on success.
 *
 * Receiving is split in two so that a receiver can find the session of a
 * message without knowing its sender: `matchHeader` (HDECRYPT under this
 * session's keys, one short AEAD per key) and `ratchetDecrypt` (everything else).
 */
import { concat, equals, toHex } from '../bytes.ts'
import { generateX25519KeyPair } from '../crypto/keyPair.ts'
import type { KeyPair } from '../crypto/keyPair.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { DuplicateOrExpiredError, SessionStateError, TooManySkippedError } from './errors.ts'
import { MAX_COUNTER, openHeader, sealHeader } from './header.ts'
import type { Header } from './header.ts'
import { kdfCk, kdfRk, openBody, sealBody } from './kdf.ts'
import type { RatchetSeeds } from './kdf.ts'
import { MAX_RETIRED_HEADER_KEYS, MAX_SKIP, MAX_SKIPPED_KEYS } from './ratchetState.ts'
import type { PendingPrekey, SessionState, SkippedMessageKey } from './ratchetState.ts'
import type { PeerIdentity } from './x3dh.ts'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Working = Mutable<SessionState> & { skippedKeys: SkippedMessageKey[]; retiredHeaderKeys: Uint8Array[] }

export interface SessionInit {
  readonly peer: PeerIdentity
  readonly associatedData: Uint8Array
  readonly baseKey: Uint8Array
  readonly seeds: RatchetSeeds
}

/** §4.4 RatchetInitAliceHE. `peerRatchetKey` is SPK_B (§5.1: Bob's signed prekey is his first ratchet key). */
export function initInitiator(
  crypto: Crypto,
  random: Random,
  init: SessionInit & { readonly peerRatchetKey: Uint8Array; readonly pendingPrekey: PendingPrekey },
): SessionState {
  const sendingRatchetKey = generateX25519KeyPair(crypto, random)
  const step = kdfRk(crypto, init.seeds.rootKey, crypto.x25519(sendingRatchetKey.secretKey, init.peerRatchetKey))
  return {
    peer: init.peer, associatedData: init.associatedData, baseKey: init.baseKey, pendingPrekey: init.pendingPrekey,
    rootKey: step.rootKey, sendingRatchetKey, receivingRatchetKey: init.peerRatchetKey,
    sendingChainKey: step.chainKey, receivingChainKey: null,
    sendingHeaderKey: init.seeds.initiatorHeaderKey, receivingHeaderKey: null,
    nextSendingHeaderKey: step.nextHeaderKey, nextReceivingHeaderKey: init.seeds.responderNextHeaderKey,
    sendCount: 0, receiveCount: 0, previousSendCount: 0, skippedKeys: [], retiredHeaderKeys: [],
  }
}

/**
 * §4.4 RatchetInitBobHE with SPK_B as the first ratchet key pair. Only ever
 * followed at once by decrypting the first message, whose DH ratchet step
 * replaces SPK_B's secret: a stored session never holds it.
 */
export function initResponder(init: SessionInit & { readonly ratchetKey: KeyPair }): SessionState {
  return {
    peer: init.peer, associatedData: init.associatedData, baseKey: init.baseKey, pendingPrekey: null,
    rootKey: init.seeds.rootKey, sendingRatchetKey: init.ratchetKey, receivingRatchetKey: null,
    sendingChainKey: null, receivingChainKey: null, sendingHeaderKey: null, receivingHeaderKey: null,
    nextSendingHeaderKey: init.seeds.responderNextHeaderKey, nextReceivingHeaderKey: init.seeds.initiatorHeaderKey,
    sendCount: 0, receiveCount: 0, previousSendCount: 0, skippedKeys: [], retiredHeaderKeys: [],
  }
}

export interface RatchetCiphertext {
  readonly state: SessionState
  readonly encryptedHeader: Uint8Array
  readonly ciphertext: Uint8Array
}

/** §4.5 RatchetEncryptHE: header under HKs and `ad`, body under mk and `ad || enc_header`. */
export function ratchetEncrypt(crypto: Crypto, random: Random, state: SessionState, plaintext: Uint8Array, ad: Uint8Array): RatchetCiphertext {
  if (state.sendingChainKey === null || state.sendingHeaderKey === null) throw new SessionStateError('session has no sending chain yet')
  if (state.sendCount >= MAX_COUNTER) throw new SessionStateError('sending chain is exhausted')
  const step = kdfCk(crypto, state.sendingChainKey)
  const header: Header = { dh: state.sendingRatchetKey.publicKey, pn: state.previousSendCount, n: state.sendCount }
  const encryptedHeader = sealHeader(crypto, random, state.sendingHeaderKey, header, ad)
  const ciphertext = sealBody(crypto, step.messageKey, plaintext, concat(ad, encryptedHeader))
  return { state: { ...state, sendingChainKey: step.chainKey, sendCount: state.sendCount + 1 }, encryptedHeader, ciphertext }
}

/** Which key opened a header: HKr, NHKr (a DH ratchet step), or a past chain's key. */
export type HeaderMatch =
  | { readonly kind: 'current'; readonly header: Header }
  | { readonly kind: 'next'; readonly header: Header }
  | { readonly kind: 'old'; readonly header: Header; readonly headerKey: Uint8Array }

/** Which of a session's header keys `matchHeader` tries: HKr, NHKr, or those of past chains. */
export type HeaderKeys = 'current' | 'next' | 'old'

/** The order a receiver tries key sets in, across all its sessions (§4.6 DecryptHeader, extended). */
export const HEADER_KEY_ORDER: readonly HeaderKeys[] = ['current', 'next', 'old']

/**
 * §4.6 DecryptHeader, one key set at a time so that a receiver with many
 * sessions tries every session's HKr (most messages continue a chain) before
 * any NHKr (the first message of a new chain), and both before the keys of
 * past chains (those of stored skipped keys, then retired ones), which only
 * late or replayed messages need. Each try is one AEAD open of a 40-byte header.
 */
export function matchHeader(crypto: Crypto, state: SessionState, encryptedHeader: Uint8Array, ad: Uint8Array, keys: HeaderKeys): HeaderMatch | null {
  if (keys === 'current') {
    const header = state.receivingHeaderKey === null ? null : openHeader(crypto, state.receivingHeaderKey, encryptedHeader, ad)
    return header === null ? null : { kind: 'current', header }
  }
  if (keys === 'next') {
    const header = openHeader(crypto, state.nextReceivingHeaderKey, encryptedHeader, ad)
    return header === null ? null : { kind: 'next', header }
  }
  const tried = new Set<string>()
  let previous: Uint8Array | null = null
  for (const headerKey of [...state.skippedKeys.map((k) => k.headerKey), ...state.retiredHeaderKeys]) {
    // Skipped keys come in runs of one chain: skip a run without hashing every entry.
    if (previous !== null && equals(headerKey, previous)) continue
    previous = headerKey
    const id = toHex(headerKey)
    if (tried.has(id) || (state.receivingHeaderKey !== null && equals(headerKey, state.receivingHeaderKey))) continue
    tried.add(id)
    const header = openHeader(crypto, headerKey, encryptedHeader, ad)
    if (header !== null) return { kind: 'old', header, headerKey }
  }
  return null
}

function takeSkipped(s: Working, headerKey: Uint8Array, n: number): Uint8Array {
  const index = s.skippedKeys.findIndex((k) => k.n === n && equals(k.headerKey, headerKey))
  if (index < 0) throw new DuplicateOrExpiredError()
  const key = s.skippedKeys[index]!.messageKey
  s.skippedKeys.splice(index, 1)
  return key
}

/** §4.6 SkipMessageKeysHE, bounded by MAX_SKIP per call and MAX_SKIPPED_KEYS in total (oldest evicted). */
function skipMessageKeys(crypto: Crypto, s: Working, until: number): void {
  if (until - s.receiveCount > MAX_SKIP) throw new TooManySkippedError()
  if (s.receivingChainKey === null || s.receivingHeaderKey === null) return
  while (s.receiveCount < until) {
    const step = kdfCk(crypto, s.receivingChainKey)
    s.skippedKeys.push({ headerKey: s.receivingHeaderKey, n: s.receiveCount, messageKey: step.messageKey })
    s.receivingChainKey = step.chainKey
    s.receiveCount += 1
  }
  if (s.skippedKeys.length > MAX_SKIPPED_KEYS) s.skippedKeys.splice(0, s.skippedKeys.length - MAX_SKIPPED_KEYS)
}

/** §4.6 DHRatchetHE; the old HKr is remembered so later replays from its chain stay recognisable. */
function dhRatchet(crypto: Crypto, random: Random, s: Working, header: Header): void {
  if (s.receivingHeaderKey !== null) {
    s.retiredHeaderKeys.push(s.receivingHeaderKey)
    if (s.retiredHeaderKeys.length > MAX_RETIRED_HEADER_KEYS) s.retiredHeaderKeys.shift()
  }
  s.previousSendCount = s.sendCount
  s.sendCount = 0
  s.receiveCount = 0
  s.sendingHeaderKey = s.nextSendingHeaderKey
  s.receivingHeaderKey = s.nextReceivingHeaderKey
  s.receivingRatchetKey = header.dh
  const receiving = kdfRk(crypto, s.rootKey, crypto.x25519(s.sendingRatchetKey.secretKey, header.dh))
  s.rootKey = receiving.rootKey
  s.receivingChainKey = receiving.chainKey
  s.nextReceivingHeaderKey = receiving.nextHeaderKey
  s.sendingRatchetKey = generateX25519KeyPair(crypto, random)
  const sending = kdfRk(crypto, s.rootKey, crypto.x25519(s.sendingRatchetKey.secretKey, header.dh))
  s.rootKey = sending.rootKey
  s.sendingChainKey = sending.chainKey
  s.nextSendingHeaderKey = sending.nextHeaderKey
}

export interface RatchetPlaintext {
  readonly state: SessionState
  readonly plaintext: Uint8Array
}

/**
 * §4.6 RatchetDecryptHE after `matchHeader` found `match`. Works on a copy: on
 * any throw (`DuplicateOrExpiredError`, `TooManySkippedError`, `DecryptError`,
 * `WeakKeyError`) `state` is untouched. The used message key is not in the
 * returned state (§6.1: secure deletion), and a successful decryption
 * ends the initiator's prekey phase (the peer evidently has the session).
 */
export function ratchetDecrypt(
  crypto: Crypto,
  random: Random,
  state: SessionState,
  match: HeaderMatch,
  encryptedHeader: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array,
): RatchetPlaintext {
  const s: Working = { ...state, skippedKeys: [...state.skippedKeys], retiredHeaderKeys: [...state.retiredHeaderKeys] }
  const { header } = match
  let messageKey: Uint8Array
  if (match.kind === 'old') {
    messageKey = takeSkipped(s, match.headerKey, header.n)
  } else if (match.kind === 'current' && header.n < s.receiveCount) {
    messageKey = takeSkipped(s, s.receivingHeaderKey!, header.n)
  } else {
    if (match.kind === 'next') {
      // Both bounds before any work: the header must not make us derive 2 × MAX_SKIP keys only to fail.
      if (header.pn - s.receiveCount > MAX_SKIP || header.n > MAX_SKIP) throw new TooManySkippedError()
      skipMessageKeys(crypto, s, header.pn)
      dhRatchet(crypto, random, s, header)
    }
    skipMessageKeys(crypto, s, header.n)
    const step = kdfCk(crypto, s.receivingChainKey!)
    s.receivingChainKey = step.chainKey
    s.receiveCount += 1
    messageKey = step.messageKey
  }
  const plaintext = openBody(crypto, messageKey, ciphertext, concat(ad, encryptedHeader))
  s.pendingPrekey = null
  return { state: s, plaintext }
}

/**
 * The owner's side of its prekeys: plain data, stored as one record. It makes
 * two policies of X3DH explicit:
 *  - a one-time prekey is deleted as soon as a session start used it (§3.4,
 *    §4.2). `decryptMessage` never mutates this record; it
 *    reports `consumedOneTimePrekey` and the caller commits
 *    `consumeOneTimePrekey` together with the new session;
 *  - after rotating the signed prekey the previous ones are kept for a grace
 *    period, so that prekey messages already in flight (and offers already
 *    shared) still open, then each is dropped with `dropPreviousSignedPrekey`
 *    (§3.2: its secret gone, forward secrecy for sessions it started). The
 *    caller times both (engine/messenger/sessionBook.ts); a grace period longer
 *    than the rotation period keeps several previous signed prekeys at once.
 *
 * Storage layout (big-endian, secret!):
 *
 *   version    u8 = 1 or 2
 *   previous   u8   how many previous signed prekeys follow the current one:
 *                   version 1: 0 or 1 (it was a flags byte, bit 0 alone);
 *                   version 2: 0..MAX_PREVIOUS_SIGNED_PREKEYS
 *   signed     (id u32, secret 32, public 32, signature 64), current, then previous newest first
 *   opk count  u32  0..MAX_STORED_ONE_TIME_PREKEYS
 *   count × (id u32, secret 32, public 32), ids distinct
 *
 * Version 2 only widens the count. A record with at most one previous signed
 * prekey is still written as version 1, byte for byte what earlier builds wrote
 * and read, so a store stays readable by them until a second rotation falls
 * within the grace period.
 */
import type { Identity } from '../identity/identity.ts'
import { byteReader } from '../wire/byteReader.ts'
import type { ByteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import type { ByteWriter } from '../wire/byteWriter.ts'
import { MalformedError, UnsupportedVersionError } from '../wire/errors.ts'
import { MAX_BUNDLE_ONE_TIME_PREKEYS } from './prekeys.ts'
import type { OneTimePrekey, PrekeyBundle, SignedPrekey } from './prekeys.ts'

/** The newest layout this build writes (when it needs it) and reads; version 1 is still read and written. */
export const PREKEY_SECRETS_VERSION = 2
/**
 * Previous signed prekeys kept at most: bounds the record and the lookups. The
 * messenger's policy (a weekly rotation, a 30-day grace period) needs 5; a
 * rotation beyond the bound drops the oldest one early.
 */
export const MAX_PREVIOUS_SIGNED_PREKEYS = 8
/** Bounds the stored record (about 680 KB) and a decoder's work. */
export const MAX_STORED_ONE_TIME_PREKEYS = 10_000
const KEY = 32
const SIGNATURE = 64

export interface PrekeySecrets {
  readonly signedPrekey: SignedPrekey
  /** Signed prekeys retired by earlier rotations, newest first, each kept for a grace period the caller times. */
  readonly previousSignedPrekeys: readonly SignedPrekey[]
  /** Unused one-time prekeys, oldest first. */
  readonly oneTimePrekeys: readonly OneTimePrekey[]
}

function distinctIds(keys: readonly OneTimePrekey[]): boolean {
  return new Set(keys.map((k) => k.id)).size === keys.length
}

export function createPrekeySecrets(signedPrekey: SignedPrekey, oneTimePrekeys: readonly OneTimePrekey[] = []): PrekeySecrets {
  return addOneTimePrekeys({ signedPrekey, previousSignedPrekeys: [], oneTimePrekeys: [] }, oneTimePrekeys)
}

/**
 * `next` becomes current and the current one the newest previous; beyond
 * MAX_PREVIOUS_SIGNED_PREKEYS the oldest previous one is dropped.
 */
export function rotateSignedPrekey(secrets: PrekeySecrets, next: SignedPrekey): PrekeySecrets {
  if (findSignedPrekey(secrets, next.id) !== null) throw new MalformedError('rotated signed prekey reuses a held id')
  const previousSignedPrekeys = [secrets.signedPrekey, ...secrets.previousSignedPrekeys].slice(0, MAX_PREVIOUS_SIGNED_PREKEYS)
  return { ...secrets, signedPrekey: next, previousSignedPrekeys }
}

/**
 * Ends previous signed prekey `id`'s grace period: prekey messages naming it stop
 * opening (unchanged content when it is not a previous one; the current one is never dropped).
 */
export function dropPreviousSignedPrekey(secrets: PrekeySecrets, id: number): PrekeySecrets {
  return { ...secrets, previousSignedPrekeys: secrets.previousSignedPrekeys.filter((k) => k.id !== id) }
}

/** Appends fresh one-time prekeys; their ids must not collide with stored ones. */
export function addOneTimePrekeys(secrets: PrekeySecrets, keys: readonly OneTimePrekey[]): PrekeySecrets {
  const all = [...secrets.oneTimePrekeys, ...keys]
  if (!distinctIds(all)) throw new MalformedError('one-time prekey ids must be distinct')
  if (all.length > MAX_STORED_ONE_TIME_PREKEYS) throw new MalformedError('too many stored one-time prekeys')
  return { ...secrets, oneTimePrekeys: all }
}

/** The record without one-time prekey `id` (unchanged content when it is absent). */
export function consumeOneTimePrekey(secrets: PrekeySecrets, id: number): PrekeySecrets {
  return { ...secrets, oneTimePrekeys: secrets.oneTimePrekeys.filter((k) => k.id !== id) }
}

export function findSignedPrekey(secrets: PrekeySecrets, id: number): SignedPrekey | null {
  if (secrets.signedPrekey.id === id) return secrets.signedPrekey
  return secrets.previousSignedPrekeys.find((k) => k.id === id) ?? null
}

export function findOneTimePrekey(secrets: PrekeySecrets, id: number): OneTimePrekey | null {
  return secrets.oneTimePrekeys.find((k) => k.id === id) ?? null
}

/**
 * The public bundle to publish: the current signed prekey and the first
 * `oneTimeLimit` one-time prekeys (no secret leaves this function).
 */
export function prekeyBundleOf(
  identity: Identity,
  secrets: PrekeySecrets,
  oneTimeLimit: number = MAX_BUNDLE_ONE_TIME_PREKEYS,
): PrekeyBundle {
  const spk = secrets.signedPrekey
  return {
    identity: identity.signingKey.publicKey,
    staticKey: identity.staticKey.publicKey,
    binding: identity.binding,
    signedPrekey: { id: spk.id, publicKey: spk.keyPair.publicKey, signature: spk.signature },
    oneTimePrekeys: secrets.oneTimePrekeys
      .slice(0, Math.min(oneTimeLimit, MAX_BUNDLE_ONE_TIME_PREKEYS))
      .map((k) => ({ id: k.id, publicKey: k.keyPair.publicKey })),
  }
}

function writeSigned(w: ByteWriter, spk: SignedPrekey): void {
  w.u32(spk.id, 'signed prekey id')
  w.bytes(spk.keyPair.secretKey, 'signed prekey secret', KEY)
  w.bytes(spk.keyPair.publicKey, 'signed prekey public', KEY)
  w.bytes(spk.signature, 'signed prekey signature', SIGNATURE)
}

function readSigned(r: ByteReader): SignedPrekey {
  const id = r.u32('signed prekey id')
  const secretKey = r.bytes(KEY, 'signed prekey secret')
  const publicKey = r.bytes(KEY, 'signed prekey public')
  return { id, keyPair: { secretKey, publicKey }, signature: r.bytes(SIGNATURE, 'signed prekey signature') }
}

function distinctSignedIds(secrets: PrekeySecrets): boolean {
  return new Set([secrets.signedPrekey, ...secrets.previousSignedPrekeys].map((k) => k.id)).size === secrets.previousSignedPrekeys.length + 1
}

/** Versioned storage form of the owner's prekey secrets: version 1 while it fits (at most one previous signed prekey). */
export function encodePrekeySecrets(secrets: PrekeySecrets): Uint8Array {
  const count = secrets.oneTimePrekeys.length
  const previous = secrets.previousSignedPrekeys.length
  if (count > MAX_STORED_ONE_TIME_PREKEYS) throw new MalformedError('too many stored one-time prekeys')
  if (previous > MAX_PREVIOUS_SIGNED_PREKEYS) throw new MalformedError('too many previous signed prekeys')
  if (!distinctIds(secrets.oneTimePrekeys)) throw new MalformedError('one-time prekey ids must be distinct')
  if (!distinctSignedIds(secrets)) throw new MalformedError('signed prekey ids must be distinct')
  const w = byteWriter(2 + (1 + previous) * (4 + 2 * KEY + SIGNATURE) + 4 + count * (4 + 2 * KEY))
  w.u8(previous <= 1 ? 1 : PREKEY_SECRETS_VERSION, 'prekey secrets version')
  w.u8(previous, 'previous signed prekey count')
  writeSigned(w, secrets.signedPrekey)
  for (const spk of secrets.previousSignedPrekeys) writeSigned(w, spk)
  w.u32(count, 'one-time prekey count')
  for (const k of secrets.oneTimePrekeys) {
    w.u32(k.id, 'one-time prekey id')
    w.bytes(k.keyPair.secretKey, 'one-time prekey secret', KEY)
    w.bytes(k.keyPair.publicKey, 'one-time prekey public', KEY)
  }
  return w.finish()
}

/** Inverse of `encodePrekeySecrets` (reads versions 1 and 2); shape checks only (public keys are not re-derived). */
export function decodePrekeySecrets(bytes: Uint8Array): PrekeySecrets {
  const r = byteReader(bytes)
  const version = r.u8('prekey secrets version')
  if (version !== 1 && version !== 2) throw new UnsupportedVersionError('prekey secrets', version)
  const previous = r.u8('previous signed prekey count')
  if (version === 1 && previous > 1) throw new MalformedError('prekey secrets flags has unknown bits')
  if (previous > MAX_PREVIOUS_SIGNED_PREKEYS) throw new MalformedError('too many previous signed prekeys')
  const signedPrekey = readSigned(r)
  const previousSignedPrekeys: SignedPrekey[] = []
  for (let i = 0; i < previous; i++) previousSignedPrekeys.push(readSigned(r))
  const count = r.u32('one-time prekey count')
  if (count > MAX_STORED_ONE_TIME_PREKEYS) throw new MalformedError('too many stored one-time prekeys')
  const oneTimePrekeys: OneTimePrekey[] = []
  for (let i = 0; i < count; i++) {
    const id = r.u32('one-time prekey id')
    const secretKey = r.bytes(KEY, 'one-time prekey secret')
    oneTimePrekeys.push({ id, keyPair: { secretKey, publicKey: r.bytes(KEY, 'one-time prekey public') } })
  }
  r.end('prekey secrets')
  const secrets = { signedPrekey, previousSignedPrekeys, oneTimePrekeys }
  if (!distinctSignedIds(secrets)) throw new MalformedError('previous signed prekey reuses a held id')
  if (!distinctIds(oneTimePrekeys)) throw new MalformedError('one-time prekey ids must be distinct')
  return secrets
}

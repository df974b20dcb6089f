/**
 * The owner's side of its prekeys: plain data, stored as one record. It makes
 * two policies of X3DH explicit:
 *  - a one-time prekey is deleted as soon as a session start used it (§3.4,
 *    §4.2). `decryptMessage` never mutates this record; it
 *    reports `consumedOneTimePrekey` and the caller commits
 *    `consumeOneTimePrekey` together with the new session;
 *  - after rotating the signed prekey the previous one is kept for a grace
 *    period, so that prekey messages already in flight still open, then
 *    dropped with `dropPreviousSignedPrekey` (§3.2: its secret gone, forward
 *    secrecy for sessions it started).
 *
 * Storage layout (big-endian, secret!):
 *
 *   version    u8 = 1
 *   flags      u8   bit 0: a previous signed prekey follows the current one
 *   signed     (id u32, secret 32, public 32, signature 64), current then previous
 *   opk count  u32  0..MAX_STORED_ONE_TIME_PREKEYS
 *   count × (id u32, secret 32, public 32), ids distinct
 */
import type { Identity } from '../identity/identity.ts'
import { byteReader } from '../wire/byteReader.ts'
import type { ByteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import type { ByteWriter } from '../wire/byteWriter.ts'
import { MalformedError, UnsupportedVersionError } from '../wire/errors.ts'
import { MAX_BUNDLE_ONE_TIME_PREKEYS } from './prekeys.ts'
import type { OneTimePrekey, PrekeyBundle, SignedPrekey } from './prekeys.ts'

export const PREKEY_SECRETS_VERSION = 1
/** Bounds the stored record (about 680 KB) and a decoder's work. */
export const MAX_STORED_ONE_TIME_PREKEYS = 10_000
const KEY = 32
const SIGNATURE = 64

export interface PrekeySecrets {
  readonly signedPrekey: SignedPrekey
  /** The signed prekey before the last rotation, kept for a grace period the caller times. */
  readonly previousSignedPrekey: SignedPrekey | null
  /** Unused one-time prekeys, oldest first. */
  readonly oneTimePrekeys: readonly OneTimePrekey[]
}

function distinctIds(keys: readonly OneTimePrekey[]): boolean {
  return new Set(keys.map((k) => k.id)).size === keys.length
}

export function createPrekeySecrets(signedPrekey: SignedPrekey, oneTimePrekeys: readonly OneTimePrekey[] = []): PrekeySecrets {
  return addOneTimePrekeys({ signedPrekey, previousSignedPrekey: null, oneTimePrekeys: [] }, oneTimePrekeys)
}

/** `next` becomes current; the current one becomes previous, and any older one is dropped. */
export function rotateSignedPrekey(secrets: PrekeySecrets, next: SignedPrekey): PrekeySecrets {
  if (next.id === secrets.signedPrekey.id) throw new MalformedError('rotated signed prekey reuses the current id')
  return { ...secrets, signedPrekey: next, previousSignedPrekey: secrets.signedPrekey }
}

/** Ends the grace period: prekey messages naming the previous signed prekey stop opening. */
export function dropPreviousSignedPrekey(secrets: PrekeySecrets): PrekeySecrets {
  return { ...secrets, previousSignedPrekey: null }
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
  return secrets.previousSignedPrekey?.id === id ? secrets.previousSignedPrekey : null
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

/** Versioned storage form of the owner's prekey secrets. */
export function encodePrekeySecrets(secrets: PrekeySecrets): Uint8Array {
  const count = secrets.oneTimePrekeys.length
  if (count > MAX_STORED_ONE_TIME_PREKEYS) throw new MalformedError('too many stored one-time prekeys')
  if (!distinctIds(secrets.oneTimePrekeys)) throw new MalformedError('one-time prekey ids must be distinct')
  const w = byteWriter(2 + 2 * (4 + 2 * KEY + SIGNATURE) + 4 + count * (4 + 2 * KEY))
  w.u8(PREKEY_SECRETS_VERSION, 'prekey secrets version')
  w.u8(secrets.previousSignedPrekey === null ? 0 : 1, 'prekey secrets flags')
  writeSigned(w, secrets.signedPrekey)
  if (secrets.previousSignedPrekey !== null) writeSigned(w, secrets.previousSignedPrekey)
  w.u32(count, 'one-time prekey count')
  for (const k of secrets.oneTimePrekeys) {
    w.u32(k.id, 'one-time prekey id')
    w.bytes(k.keyPair.secretKey, 'one-time prekey secret', KEY)
    w.bytes(k.keyPair.publicKey, 'one-time prekey public', KEY)
  }
  return w.finish()
}

/** Inverse of `encodePrekeySecrets`; shape checks only (public keys are not re-derived). */
export function decodePrekeySecrets(bytes: Uint8Array): PrekeySecrets {
  const r = byteReader(bytes)
  const version = r.u8('prekey secrets version')
  if (version !== PREKEY_SECRETS_VERSION) throw new UnsupportedVersionError('prekey secrets', version)
  const flags = r.u8('prekey secrets flags')
  if (flags > 1) throw new MalformedError('prekey secrets flags has unknown bits')
  const signedPrekey = readSigned(r)
  const previousSignedPrekey = flags === 1 ? readSigned(r) : null
  if (previousSignedPrekey?.id === signedPrekey.id) throw new MalformedError('previous signed prekey reuses the current id')
  const count = r.u32('one-time prekey count')
  if (count > MAX_STORED_ONE_TIME_PREKEYS) throw new MalformedError('too many stored one-time prekeys')
  const oneTimePrekeys: OneTimePrekey[] = []
  for (let i = 0; i < count; i++) {
    const id = r.u32('one-time prekey id')
    const secretKey = r.bytes(KEY, 'one-time prekey secret')
    oneTimePrekeys.push({ id, keyPair: { secretKey, publicKey: r.bytes(KEY, 'one-time prekey public') } })
  }
  r.end('prekey secrets')
  if (!distinctIds(oneTimePrekeys)) throw new MalformedError('one-time prekey ids must be distinct')
  return { signedPrekey, previousSignedPrekey, oneTimePrekeys }
}

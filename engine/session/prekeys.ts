/**
 * Prekey bundles (X3DH §3.2, publishing keys): what a user publishes so that others can
 * start a session while it is offline. The bundle carries the Ed25519 identity,
 * its X25519 identity key IK (`staticKey`, the same key the link layer uses)
 * with the binding signature that ties the two, a signed prekey SPK, and zero
 * or more one-time prekeys OPK.
 *
 * Encoded bundle layout (big-endian):
 *
 *   version          u8   = 1
 *   identity         32   Ed25519 public key
 *   staticKey        32   X25519 identity key IK
 *   binding          64   identity's signature over staticKey (staticBinding context)
 *   spk id           u32
 *   spk publicKey    32
 *   spk signature    64   identity's signature, prekey context, over id (u32) || publicKey
 *   opk count        u8   0..MAX_BUNDLE_ONE_TIME_PREKEYS
 *   count × (opk id u32, opk publicKey 32), ids distinct
 */
import { generateX25519KeyPair } from '../crypto/keyPair.ts'
import type { KeyPair } from '../crypto/keyPair.ts'
import type { Identity } from '../identity/identity.ts'
import { verifyBinding } from '../identity/identity.ts'
import { SignatureContext, signWithContext, verifyWithContext } from '../identity/contexts.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { byteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import { MalformedError, UnsupportedVersionError } from '../wire/errors.ts'

export const PREKEY_BUNDLE_VERSION = 1
/** Bounds the bundle (it rides in offers and announcements) at 3,830 bytes. */
export const MAX_BUNDLE_ONE_TIME_PREKEYS = 100
const KEY = 32
const SIGNATURE = 64
const MAX_ID = 0xffffffff

/** A signed prekey with its secret: kept by the owner only. */
export interface SignedPrekey {
  readonly id: number
  readonly keyPair: KeyPair
  /** Ed25519 under `SignatureContext.prekey` over id (u32 BE) || public key. */
  readonly signature: Uint8Array
}

/** A one-time prekey with its secret: kept by the owner until a session start consumes it. */
export interface OneTimePrekey {
  readonly id: number
  readonly keyPair: KeyPair
}

export interface PublicSignedPrekey {
  readonly id: number
  readonly publicKey: Uint8Array
  readonly signature: Uint8Array
}

export interface PublicOneTimePrekey {
  readonly id: number
  readonly publicKey: Uint8Array
}

export interface PrekeyBundle {
  /** Ed25519 identity public key. */
  readonly identity: Uint8Array
  /** X25519 identity key IK, bound to `identity` by `binding`. */
  readonly staticKey: Uint8Array
  readonly binding: Uint8Array
  readonly signedPrekey: PublicSignedPrekey
  readonly oneTimePrekeys: readonly PublicOneTimePrekey[]
}

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new MalformedError(`${what} id must be a u32`)
}

function signedPrekeyMessage(id: number, publicKey: Uint8Array): Uint8Array {
  const w = byteWriter(4 + KEY)
  w.u32(id, 'signed prekey id')
  w.bytes(publicKey, 'signed prekey', KEY)
  return w.finish()
}

/** A fresh signed prekey `id`, signed by `identity` (X3DH §3.2). */
export function generateSignedPrekey(crypto: Crypto, random: Random, identity: Identity, id: number): SignedPrekey {
  checkId(id, 'signed prekey')
  const keyPair = generateX25519KeyPair(crypto, random)
  const message = signedPrekeyMessage(id, keyPair.publicKey)
  const signature = signWithContext(crypto, identity.signingKey.secretKey, SignatureContext.prekey, message)
  return { id, keyPair, signature }
}

/** `count` fresh one-time prekeys with ids firstId, firstId + 1, …  */
export function generateOneTimePrekeys(crypto: Crypto, random: Random, firstId: number, count: number): OneTimePrekey[] {
  if (!Number.isInteger(count) || count < 0) throw new MalformedError('one-time prekey count must be a natural number')
  checkId(firstId, 'first one-time prekey')
  if (count > 0) checkId(firstId + count - 1, 'last one-time prekey')
  const out: OneTimePrekey[] = []
  for (let i = 0; i < count; i++) out.push({ id: firstId + i, keyPair: generateX25519KeyPair(crypto, random) })
  return out
}

/**
 * True when the bundle's identity signs both its static key (binding) and its
 * signed prekey. X3DH §3.3: the initiator must verify before any DH.
 */
export function verifyPrekeyBundle(crypto: Crypto, bundle: PrekeyBundle): boolean {
  const spk = bundle.signedPrekey
  if (spk.publicKey.length !== KEY || !Number.isInteger(spk.id) || spk.id < 0 || spk.id > MAX_ID) return false
  if (bundle.oneTimePrekeys.some((k) => k.publicKey.length !== KEY)) return false
  if (!verifyBinding(crypto, bundle.identity, bundle.staticKey, bundle.binding)) return false
  const message = signedPrekeyMessage(spk.id, spk.publicKey)
  return verifyWithContext(crypto, bundle.identity, SignatureContext.prekey, message, spk.signature)
}

/** Versioned wire form; throws `MalformedError` on anything the decoder would refuse. */
export function encodePrekeyBundle(bundle: PrekeyBundle): Uint8Array {
  const count = bundle.oneTimePrekeys.length
  if (count > MAX_BUNDLE_ONE_TIME_PREKEYS) throw new MalformedError('bundle has too many one-time prekeys')
  const w = byteWriter(1 + 4 * KEY + 2 * SIGNATURE + 5 + count * (4 + KEY))
  w.u8(PREKEY_BUNDLE_VERSION, 'bundle version')
  w.bytes(bundle.identity, 'bundle identity', KEY)
  w.bytes(bundle.staticKey, 'bundle staticKey', KEY)
  w.bytes(bundle.binding, 'bundle binding', SIGNATURE)
  w.u32(bundle.signedPrekey.id, 'signed prekey id')
  w.bytes(bundle.signedPrekey.publicKey, 'signed prekey', KEY)
  w.bytes(bundle.signedPrekey.signature, 'signed prekey signature', SIGNATURE)
  w.u8(count, 'one-time prekey count')
  const seen = new Set<number>()
  for (const opk of bundle.oneTimePrekeys) {
    if (seen.has(opk.id)) throw new MalformedError('bundle repeats a one-time prekey id')
    seen.add(opk.id)
    w.u32(opk.id, 'one-time prekey id')
    w.bytes(opk.publicKey, 'one-time prekey', KEY)
  }
  return w.finish()
}

/** Inverse of `encodePrekeyBundle`. Checks shape only: call `verifyPrekeyBundle` before use. */
export function decodePrekeyBundle(bytes: Uint8Array): PrekeyBundle {
  const r = byteReader(bytes)
  const version = r.u8('bundle version')
  if (version !== PREKEY_BUNDLE_VERSION) throw new UnsupportedVersionError('prekey bundle', version)
  const identity = r.bytes(KEY, 'bundle identity')
  const staticKey = r.bytes(KEY, 'bundle staticKey')
  const binding = r.bytes(SIGNATURE, 'bundle binding')
  const signedPrekey = {
    id: r.u32('signed prekey id'),
    publicKey: r.bytes(KEY, 'signed prekey'),
    signature: r.bytes(SIGNATURE, 'signed prekey signature'),
  }
  const count = r.u8('one-time prekey count')
  if (count > MAX_BUNDLE_ONE_TIME_PREKEYS) throw new MalformedError('bundle has too many one-time prekeys')
  const oneTimePrekeys: PublicOneTimePrekey[] = []
  const seen = new Set<number>()
  for (let i = 0; i < count; i++) {
    const id = r.u32('one-time prekey id')
    if (seen.has(id)) throw new MalformedError('bundle repeats a one-time prekey id')
    seen.add(id)
    oneTimePrekeys.push({ id, publicKey: r.bytes(KEY, 'one-time prekey') })
  }
  r.end('prekey bundle')
  return { identity, staticKey, binding, signedPrekey, oneTimePrekeys }
}

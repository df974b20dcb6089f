/**
 * End-to-end sessions as the messenger uses them: X3DH to start (x3dh.ts),
 * the Double Ratchet with header encryption to continue (doubleRatchet.ts),
 * sealed sender throughout. Every function is pure: it returns new state and
 * never mutates its inputs, so the caller commits state (and prekey
 * consumption) only once a call succeeded (DESIGN.md §3).
 *
 * Associated data of every header and body AEAD:
 *   session AD (ID_A || IK_A || ID_B || IK_B, 128) || u32 len(ad) || ad || message prefix
 * The caller's `ad` binds what the envelope shows (version, id, destination);
 * the session AD binds sender and recipient, which a sealed-sender receiver
 * cannot know before it found the session.
 */
import { concat, equals } from '../bytes.ts'
import { generateX25519KeyPair } from '../crypto/keyPair.ts'
import type { Identity } from '../identity/identity.ts'
import { verifyBinding } from '../identity/identity.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import { DecryptError } from '../crypto/errors.ts'
import { HEADER_KEY_ORDER, initInitiator, initResponder, matchHeader, ratchetDecrypt, ratchetEncrypt } from './doubleRatchet.ts'
import type { HeaderMatch } from './doubleRatchet.ts'
import { InvalidBundleError, InvalidSenderError, NoSessionError, TooManySkippedError, UnknownOneTimePrekeyError, UnknownSignedPrekeyError } from './errors.ts'
import { ratchetSeeds } from './kdf.ts'
import type { PrekeySecrets } from './prekeySecrets.ts'
import { findOneTimePrekey, findSignedPrekey } from './prekeySecrets.ts'
import type { PrekeyBundle, PublicOneTimePrekey } from './prekeys.ts'
import { verifyPrekeyBundle } from './prekeys.ts'
import type { SessionState } from './ratchetState.ts'
import { openSender, sealSender } from './x3dh.ts'
import type { PeerIdentity } from './x3dh.ts'
import { decodeSessionMessage, encodePrekeyHead, encodeSessionMessage, sessionMessagePrefix } from './sessionMessage.ts'
import type { PrekeyHead, PrekeyPrefix, SessionMessage } from './sessionMessage.ts'
import { x3dhInitiator, x3dhResponder } from './x3dh.ts'

/**
 * The receiver's sessions, for messages that do not say whose they are
 * (sealed sender). An ordinary message is matched by trial: every
 * candidate's HKr, then every NHKr, then past chains' keys, one short AEAD
 * open each (~25-50 µs with noble), so a miss costs O(sessions). Pass the
 * sessions that may still receive (e.g. the few newest per contact), the
 * most recently active first.
 */
export interface SessionLookup {
  candidates(): Iterable<SessionState>
}

export interface EncryptResult {
  readonly state: SessionState
  readonly message: Uint8Array
}

export interface DecryptResult {
  /** Who sent it, authenticated by the session (check it against who the caller expects). */
  readonly sender: PeerIdentity
  readonly plaintext: Uint8Array
  /** Replaces the session whose `baseKey` it carries, or is stored anew when `isNewSession`. */
  readonly state: SessionState
  /** Delete this one-time prekey in the same commit as `state` (X3DH §3.4). */
  readonly consumedOneTimePrekey: number | null
  readonly isNewSession: boolean
}

/** X3DH §3.3 AD = IK_A || IK_B, preceded here by each side's Ed25519 identity. */
function sessionAd(initiator: PeerIdentity, responder: PeerIdentity): Uint8Array {
  return concat(initiator.identity, initiator.staticKey, responder.identity, responder.staticKey)
}

function peerOf(identity: Identity): PeerIdentity {
  return { identity: identity.signingKey.publicKey, staticKey: identity.staticKey.publicKey, binding: identity.binding }
}

/** u32 len(ad) || ad || prefix: the per-message tail after the session AD. */
function messageTail(ad: Uint8Array, prefix: Uint8Array): Uint8Array {
  const w = byteWriter(4 + ad.length + prefix.length)
  w.u32(ad.length, 'associated data length')
  w.bytes(ad, 'associated data')
  w.bytes(prefix, 'message prefix')
  return w.finish()
}

function sealedSenderAd(head: PrekeyHead, recipientStaticKey: Uint8Array): Uint8Array {
  return concat(encodePrekeyHead(head), recipientStaticKey)
}

function pickOneTimePrekey(random: Random, keys: readonly PublicOneTimePrekey[]): PublicOneTimePrekey | null {
  if (keys.length <= 1) return keys[0] ?? null
  // A random pick: a bundle seen by many initiators (announcements) makes collisions on one OPK rarer.
  const r = random.bytes(4)
  const value = ((r[0]! << 24) >>> 0) + ((r[1]! << 16) | (r[2]! << 8) | r[3]!)
  return keys[value % keys.length]!
}

/**
 * X3DH §3.3 from `bundle`: verify it (else `InvalidBundleError`), agree on SK,
 * seal our identity, and start the ratchet with SPK_B as the peer's key.
 */
export function createOutboundSession(crypto: Crypto, random: Random, identity: Identity, bundle: PrekeyBundle): SessionState {
  if (!verifyPrekeyBundle(crypto, bundle)) throw new InvalidBundleError()
  const oneTime = pickOneTimePrekey(random, bundle.oneTimePrekeys)
  const ephemeralKey = generateX25519KeyPair(crypto, random)
  const secrets = x3dhInitiator(crypto, {
    identityKey: identity.staticKey,
    ephemeralKey,
    peerIdentityKey: bundle.staticKey,
    peerSignedPrekey: bundle.signedPrekey.publicKey,
    peerOneTimePrekey: oneTime?.publicKey ?? null,
  })
  const head: PrekeyHead = { baseKey: ephemeralKey.publicKey, signedPrekeyId: bundle.signedPrekey.id, oneTimePrekeyId: oneTime?.id ?? null }
  const self = peerOf(identity)
  const sealedSender = sealSender(crypto, secrets.sealedSenderKey, self, sealedSenderAd(head, bundle.staticKey))
  const peer = { identity: bundle.identity, staticKey: bundle.staticKey, binding: bundle.binding }
  return initInitiator(crypto, random, {
    peer,
    associatedData: sessionAd(self, peer),
    baseKey: head.baseKey,
    seeds: ratchetSeeds(crypto, secrets.sharedSecret),
    peerRatchetKey: bundle.signedPrekey.publicKey,
    pendingPrekey: { signedPrekeyId: head.signedPrekeyId, oneTimePrekeyId: head.oneTimePrekeyId, sealedSender },
  })
}

/**
 * Encrypts for the session's peer. Until a reply arrived the message is a
 * 'prekey' message, so whichever of them arrives first can start the session.
 */
export function encryptMessage(crypto: Crypto, random: Random, state: SessionState, plaintext: Uint8Array, ad: Uint8Array): EncryptResult {
  const prekey: PrekeyPrefix | null = state.pendingPrekey === null ? null : { baseKey: state.baseKey, ...state.pendingPrekey }
  const fullAd = concat(state.associatedData, messageTail(ad, sessionMessagePrefix(prekey)))
  const out = ratchetEncrypt(crypto, random, state, plaintext, fullAd)
  const body = { header: out.encryptedHeader, body: out.ciphertext }
  const message = encodeSessionMessage(prekey === null ? { type: 'ratchet', ...body } : { type: 'prekey', ...prekey, ...body })
  return { state: out.state, message }
}

function decryptInSession(crypto: Crypto, random: Random, state: SessionState, message: SessionMessage, tail: Uint8Array): DecryptResult {
  const fullAd = concat(state.associatedData, tail)
  let match: HeaderMatch | null = null
  for (const keys of HEADER_KEY_ORDER) match ??= matchHeader(crypto, state, message.header, fullAd, keys)
  if (match === null) throw new DecryptError()
  const out = ratchetDecrypt(crypto, random, state, match, message.header, message.body, fullAd)
  return { sender: state.peer, plaintext: out.plaintext, state: out.state, consumedOneTimePrekey: null, isNewSession: false }
}

/** X3DH §3.4 for a prekey message that starts a session we do not have yet. */
function acceptPrekeyMessage(
  crypto: Crypto,
  random: Random,
  identity: Identity,
  prekeys: PrekeySecrets,
  message: Extract<SessionMessage, { type: 'prekey' }>,
  tail: Uint8Array,
): DecryptResult {
  const signed = findSignedPrekey(prekeys, message.signedPrekeyId)
  if (signed === null) throw new UnknownSignedPrekeyError()
  const oneTime = message.oneTimePrekeyId === null ? null : findOneTimePrekey(prekeys, message.oneTimePrekeyId)
  if (message.oneTimePrekeyId !== null && oneTime === null) throw new UnknownOneTimePrekeyError()
  const response = x3dhResponder(
    crypto,
    { identityKey: identity.staticKey, signedPrekey: signed.keyPair, oneTimePrekey: oneTime?.keyPair ?? null },
    message.baseKey,
  )
  const sender = openSender(crypto, response.sealedSenderKey, message.sealedSender, sealedSenderAd(message, identity.staticKey.publicKey))
  const fresh = initResponder({
    peer: sender,
    associatedData: sessionAd(sender, peerOf(identity)),
    baseKey: message.baseKey,
    seeds: ratchetSeeds(crypto, response.sharedSecret(sender.staticKey)),
    ratchetKey: signed.keyPair,
  })
  const opened = decryptInSession(crypto, random, fresh, message, tail)
  // After the AEAD: only a sender that holds IK_A's secret gets this far, so garbage never costs a verify.
  if (!verifyBinding(crypto, sender.identity, sender.staticKey, sender.binding)) throw new InvalidSenderError()
  return { ...opened, consumedOneTimePrekey: message.oneTimePrekeyId, isNewSession: true }
}

/**
 * Decrypts a session message addressed to `identity`. A prekey message goes
 * to the session with its baseKey, or starts one (X3DH §3.4); an ordinary
 * message goes to whichever candidate's header key opens it: every
 * candidate's current keys first, then their past chains' keys. Throws a
 * typed error (see errors.ts, plus `MalformedError`, `DecryptError`,
 * `WeakKeyError`) and changes nothing on failure.
 */
export function decryptMessage(
  crypto: Crypto,
  random: Random,
  identity: Identity,
  prekeySecrets: PrekeySecrets,
  sessions: SessionLookup,
  message: Uint8Array,
  ad: Uint8Array,
): DecryptResult {
  const decoded = decodeSessionMessage(message)
  const tail = messageTail(ad, sessionMessagePrefix(decoded.type === 'prekey' ? decoded : null))
  const candidates = [...sessions.candidates()]
  if (decoded.type === 'prekey') {
    const existing = candidates.find((s) => equals(s.baseKey, decoded.baseKey))
    if (existing !== undefined) return decryptInSession(crypto, random, existing, decoded, tail)
    return acceptPrekeyMessage(crypto, random, identity, prekeySecrets, decoded, tail)
  }
  const fullAds = candidates.map((state) => concat(state.associatedData, tail))
  for (const keys of HEADER_KEY_ORDER) {
    for (const [i, state] of candidates.entries()) {
      const fullAd = fullAds[i]!
      const match = matchHeader(crypto, state, decoded.header, fullAd, keys)
      if (match === null) continue
      let out: ReturnType<typeof ratchetDecrypt>
      try {
        out = ratchetDecrypt(crypto, random, state, match, decoded.header, decoded.body, fullAd)
      } catch (error) {
        // The header opened under this session's header key: say whose session fell behind.
        if (error instanceof TooManySkippedError) throw new TooManySkippedError(error.message, state.peer.identity)
        throw error
      }
      return { sender: state.peer, plaintext: out.plaintext, state: out.state, consumedOneTimePrekey: null, isNewSession: false }
    }
  }
  throw new NoSessionError()
}

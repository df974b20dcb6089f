/**
 * X3DH key agreement (Signal's X3DH specification, revision 1), with
 * Curve25519 / SHA-256 and info 'Sovereign_X3DH_v1' (§2.1). IK is the identity's
 * X25519 static key (`Identity.staticKey`), bound to the Ed25519 identity by
 * its binding signature; the prekey bundle's own signature covers SPK.
 *
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)  DH4 = DH(EK_A, OPK_B)
 *   SK  = HKDF(F || DH1 || DH2 || DH3 [|| DH4]), F = 32 × 0xFF, zero salt (§2.2, §3.3)
 *
 * Sealed sender: before the responder can compute DH1 it must learn IK_A, which
 * travels encrypted under HKDF(DH2 || DH3, zero salt, 'Sovereign_X3DH_v1_sealed_sender').
 * DH2 alone would already hide the sender from relays; adding DH3 means that
 * once SPK_B is rotated out and deleted, a later theft of IK_B no longer
 * reveals who started old sessions.
 */
import { concat, utf8Encode } from '../bytes.ts'
import type { KeyPair } from '../crypto/keyPair.ts'
import type { Crypto } from '../ports/crypto.ts'

export const X3DH_INFO = 'Sovereign_X3DH_v1'
const KEY = 32
// §2.2: F is 32 0xFF bytes for X25519, prepended for domain separation.
const F = new Uint8Array(KEY).fill(0xff)
const ZERO_SALT = new Uint8Array(KEY)
const SK_INFO = utf8Encode(X3DH_INFO)
const SEALED_SENDER_INFO = utf8Encode('Sovereign_X3DH_v1_sealed_sender')

export interface X3dhInitiatorInput {
  /** IK_A: the initiator's X25519 identity (static) key pair. */
  readonly identityKey: KeyPair
  /** EK_A: fresh for this session, its secret deleted after (§3.3). */
  readonly ephemeralKey: KeyPair
  /** IK_B, SPK_B and OPK_B (null when the bundle had none), from a verified bundle. */
  readonly peerIdentityKey: Uint8Array
  readonly peerSignedPrekey: Uint8Array
  readonly peerOneTimePrekey: Uint8Array | null
}

export interface X3dhSecrets {
  /** SK (§3.3). */
  readonly sharedSecret: Uint8Array
  /** Key for the initiator's encrypted sender info. */
  readonly sealedSenderKey: Uint8Array
}

function sharedSecret(crypto: Crypto, dh1: Uint8Array, dh2: Uint8Array, dh3: Uint8Array, dh4: Uint8Array | null): Uint8Array {
  const ikm = dh4 === null ? concat(F, dh1, dh2, dh3) : concat(F, dh1, dh2, dh3, dh4)
  return crypto.hkdfSha256(ikm, ZERO_SALT, SK_INFO, KEY)
}

function sealedSenderKey(crypto: Crypto, dh2: Uint8Array, dh3: Uint8Array): Uint8Array {
  return crypto.hkdfSha256(concat(dh2, dh3), ZERO_SALT, SEALED_SENDER_INFO, KEY)
}

/** §3.3, initiator side. Throws `WeakKeyError` when a bundle key has low order. */
export function x3dhInitiator(crypto: Crypto, input: X3dhInitiatorInput): X3dhSecrets {
  const ek = input.ephemeralKey.secretKey
  const dh1 = crypto.x25519(input.identityKey.secretKey, input.peerSignedPrekey)
  const dh2 = crypto.x25519(ek, input.peerIdentityKey)
  const dh3 = crypto.x25519(ek, input.peerSignedPrekey)
  const dh4 = input.peerOneTimePrekey === null ? null : crypto.x25519(ek, input.peerOneTimePrekey)
  return { sharedSecret: sharedSecret(crypto, dh1, dh2, dh3, dh4), sealedSenderKey: sealedSenderKey(crypto, dh2, dh3) }
}

export interface X3dhResponderKeys {
  /** IK_B. */
  readonly identityKey: KeyPair
  /** The SPK_B pair the prekey message names. */
  readonly signedPrekey: KeyPair
  /** The OPK_B pair it names, or null. */
  readonly oneTimePrekey: KeyPair | null
}

/**
 * §3.4 in two steps: the sealed-sender key needs only EK_A; SK also needs IK_A,
 * which that key reveals. `sharedSecret(IK_A)` may be called more than once.
 */
export interface X3dhResponse {
  readonly sealedSenderKey: Uint8Array
  sharedSecret(peerIdentityKey: Uint8Array): Uint8Array
}

/** §3.4, responder side. Throws `WeakKeyError` when EK_A (or later IK_A) has low order. */
export function x3dhResponder(crypto: Crypto, keys: X3dhResponderKeys, peerEphemeralKey: Uint8Array): X3dhResponse {
  const dh2 = crypto.x25519(keys.identityKey.secretKey, peerEphemeralKey)
  const dh3 = crypto.x25519(keys.signedPrekey.secretKey, peerEphemeralKey)
  const dh4 = keys.oneTimePrekey === null ? null : crypto.x25519(keys.oneTimePrekey.secretKey, peerEphemeralKey)
  return {
    sealedSenderKey: sealedSenderKey(crypto, dh2, dh3),
    sharedSecret(peerIdentityKey: Uint8Array): Uint8Array {
      const dh1 = crypto.x25519(keys.signedPrekey.secretKey, peerIdentityKey)
      return sharedSecret(crypto, dh1, dh2, dh3, dh4)
    },
  }
}

// Sealed sender (DESIGN.md §3). X3DH §3.3 sends IK_A in the clear in the
// initial message; here it travels encrypted, so relays see EK_A, prekey ids
// and ciphertext, never who sent it:
//
//   sealed sender = ChaCha20-Poly1305(sealedSenderKey, nonce 0, identity 32 || staticKey 32 || binding 64, ad)
//
// The key depends on the fresh EK_A, so it encrypts exactly one plaintext and
// a zero nonce is safe. The same bytes ride in every prekey message of the session.
const SIGNATURE = 64
const TAG = 16
const PLAINTEXT = 2 * KEY + SIGNATURE
export const SEALED_SENDER_BYTES = PLAINTEXT + TAG
const ZERO_NONCE = new Uint8Array(12)

/** Who a session is with: an Ed25519 identity, its X25519 static key and the binding signature. */
export interface PeerIdentity {
  readonly identity: Uint8Array
  readonly staticKey: Uint8Array
  readonly binding: Uint8Array
}

export function sealSender(crypto: Crypto, key: Uint8Array, sender: PeerIdentity, ad: Uint8Array): Uint8Array {
  const plain = new Uint8Array(PLAINTEXT)
  plain.set(sender.identity, 0)
  plain.set(sender.staticKey, KEY)
  plain.set(sender.binding, 2 * KEY)
  return crypto.aeadSeal(key, ZERO_NONCE, plain, ad)
}

/**
 * Inverse of `sealSender`; throws `DecryptError` on any alteration. The binding is not verified here:
 * the caller does that (one Ed25519 verify) only after the first ratchet
 * message authenticated, so garbage never costs a signature check.
 */
export function openSender(crypto: Crypto, key: Uint8Array, sealed: Uint8Array, ad: Uint8Array): PeerIdentity {
  const plain = crypto.aeadOpen(key, ZERO_NONCE, sealed, ad)
  return { identity: plain.slice(0, KEY), staticKey: plain.slice(KEY, 2 * KEY), binding: plain.slice(2 * KEY) }
}

/**
 * The initiator's identity inside a prekey message (DESIGN.md §3, sealed
 * sender): relays see EK_A, prekey ids and ciphertext, never who sent it.
 *
 *   sealed sender = ChaCha20-Poly1305(key, nonce 0, identity 32 || staticKey 32 || binding 64, ad)
 *
 * `key` comes from X3DH (`x3dhInitiator(...).sealedSenderKey`): it depends on
 * the fresh EK_A, so it encrypts exactly one plaintext and a zero nonce is
 * safe. The same bytes ride in every prekey message of the session.
 */
import type { Crypto } from '../ports/crypto.ts'

const KEY = 32
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
 * Throws `DecryptError` on any alteration. The binding is not verified here:
 * the caller does that (one Ed25519 verify) only after the first ratchet
 * message authenticated, so garbage never costs a signature check.
 */
export function openSender(crypto: Crypto, key: Uint8Array, sealed: Uint8Array, ad: Uint8Array): PeerIdentity {
  const plain = crypto.aeadOpen(key, ZERO_NONCE, sealed, ad)
  return { identity: plain.slice(0, KEY), staticKey: plain.slice(KEY, 2 * KEY), binding: plain.slice(2 * KEY) }
}

import type { KeyPair } from '../crypto/keyPair.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { NoiseStateError } from './errors.ts'
import { MAX_MESSAGE_LENGTH, createHandshake } from './handshakeState.ts'

/** e (32) + encrypted s (32 + 16) + payload tag (16): Noise_X message 1 around its payload. */
export const SEALED_OVERHEAD = 96
/** Largest payload one sealed message carries (Noise rev 34 §3: messages are at most 65535 bytes). */
export const SEALED_MAX_PAYLOAD: number = MAX_MESSAGE_LENGTH - SEALED_OVERHEAD

export interface SealMessageInit {
  readonly crypto: Crypto
  readonly random: Random
  readonly senderStatic: KeyPair
  readonly recipientStaticPublicKey: Uint8Array
  /** Bound as the Noise prologue: opening with any other bytes fails. */
  readonly associatedData: Uint8Array
  readonly payload: Uint8Array
}

export interface OpenSealedInit {
  readonly crypto: Crypto
  readonly recipientStatic: KeyPair
  readonly associatedData: Uint8Array
  readonly sealed: Uint8Array
}

export interface OpenedSealed {
  /** The sender's static key, authenticated by Noise_X's `ss`. */
  readonly senderStaticPublicKey: Uint8Array
  readonly payload: Uint8Array
}

/**
 * One-way sealed message: the single Noise_X handshake message (§7.4), whose
 * payload is encrypted to the recipient's static key and authenticated by the
 * sender's. Like every one-way pattern it has no replay protection and no
 * forward secrecy against compromise of the recipient's static key (§7.7):
 * callers de-duplicate by message id and bind what matters in `associatedData`.
 * Throws `MessageTooLargeError` past `SEALED_MAX_PAYLOAD`.
 */
export function sealMessage(init: SealMessageInit): Uint8Array {
  const hs = createHandshake({
    crypto: init.crypto,
    random: init.random,
    pattern: 'X',
    initiator: true,
    prologue: init.associatedData,
    staticKey: init.senderStatic,
    remoteStaticKey: init.recipientStaticPublicKey,
  })
  return hs.writeMessage(init.payload)
}

// The X responder only reads; it never draws an ephemeral.
const NO_RANDOM: Random = {
  bytes(): Uint8Array {
    throw new NoiseStateError('opening a sealed message needs no randomness')
  },
}

/**
 * Opens a `sealMessage` result. Throws `DecryptError` when anything was
 * altered or it was sealed to another key or with other `associatedData`,
 * `HandshakeError` when it is too short, `WeakKeyError` on a low-order `e`.
 */
export function openSealed(init: OpenSealedInit): OpenedSealed {
  const hs = createHandshake({
    crypto: init.crypto,
    random: NO_RANDOM,
    pattern: 'X',
    initiator: false,
    prologue: init.associatedData,
    staticKey: init.recipientStatic,
  })
  const payload = hs.readMessage(init.sealed)
  return { senderStaticPublicKey: hs.remoteStaticKey!, payload }
}

import { concat, utf8Encode } from '../bytes.ts'
import type { Identity } from '../identity/identity.ts'
import { verifyBinding } from '../identity/identity.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { HandshakeError, IdentityBindingError, MessageTooLargeError, NoiseStateError } from './errors.ts'
import { MAX_MESSAGE_LENGTH, createHandshake } from './handshakeState.ts'
import type { HandshakeState } from './handshakeState.ts'

/** Default prologue: binds the handshake to this protocol and version (Noise rev 34 §6). */
export const LINK_PROLOGUE: Uint8Array = utf8Encode('sovereign/v1/link')
/** Largest plaintext one `LinkSession.encrypt` takes: a 65535-byte Noise message less the tag (§3). */
export const LINK_MAX_PLAINTEXT: number = MAX_MESSAGE_LENGTH - 16

const IDENTITY_LENGTH = 32
const BINDING_LENGTH = 64
const EMPTY = new Uint8Array(0)

export interface LinkHandshakeInit {
  readonly crypto: Crypto
  readonly random: Random
  readonly identity: Identity
  readonly initiator: boolean
  /** Bytes both sides must agree on; defaults to `LINK_PROLOGUE`. */
  readonly prologue?: Uint8Array
}

/** An authenticated, encrypted link to a neighbour whose identity was proven during the handshake. */
export interface LinkSession {
  /** The peer's Ed25519 identity key, proven by its binding signature. */
  readonly remoteIdentity: Uint8Array
  readonly remoteStaticKey: Uint8Array
  /** Noise handshake hash: identical on both sides, usable as a channel binding. */
  readonly handshakeHash: Uint8Array
  /** Throws `MessageTooLargeError` past `LINK_MAX_PLAINTEXT`, `NonceExhaustedError` when the link must re-handshake. */
  encrypt(plaintext: Uint8Array): Uint8Array
  /** Throws `DecryptError` on any tampering, leaving the session as it was. */
  decrypt(ciphertext: Uint8Array): Uint8Array
}

export interface LinkHandshakeStep {
  /** Bytes to send to the peer, if any. */
  readonly reply: Uint8Array | null
  /** The session, on the step that completes the handshake. */
  readonly session: LinkSession | null
}

/**
 * Noise_XX over every transport (DESIGN.md §3). Message 1 carries no payload;
 * messages 2 (responder) and 3 (initiator) carry `identity(32) || binding(64)`,
 * the sender's Ed25519 signature over the static key XX just revealed, as
 * libp2p-noise does. The initiator completes on writing message 3, the
 * responder on reading it.
 */
export interface LinkHandshake {
  /** Initiator: message 1 to send. Responder: null (it speaks second). */
  start(): Uint8Array | null
  /**
   * Feeds one received handshake message. Any error (`DecryptError`,
   * `HandshakeError`, `IdentityBindingError`, `NoiseStateError` for a message
   * out of order) aborts the handshake; every later call throws
   * `NoiseStateError`, and the link starts over.
   */
  receive(message: Uint8Array): LinkHandshakeStep
}

function createSession(hs: HandshakeState, remoteIdentity: Uint8Array): LinkSession {
  const { send, receive } = hs.split()
  return {
    remoteIdentity,
    remoteStaticKey: hs.remoteStaticKey!,
    handshakeHash: hs.handshakeHash(),
    encrypt(plaintext: Uint8Array): Uint8Array {
      if (plaintext.length > LINK_MAX_PLAINTEXT) throw new MessageTooLargeError()
      return send.encryptWithAd(EMPTY, plaintext)
    },
    decrypt(ciphertext: Uint8Array): Uint8Array {
      if (ciphertext.length > MAX_MESSAGE_LENGTH) throw new MessageTooLargeError()
      return receive.decryptWithAd(EMPTY, ciphertext)
    },
  }
}

/** Checks the peer's `identity || binding` payload against the static key the handshake revealed. */
function verifiedIdentity(crypto: Crypto, hs: HandshakeState, payload: Uint8Array): Uint8Array {
  if (payload.length !== IDENTITY_LENGTH + BINDING_LENGTH) throw new IdentityBindingError('identity payload missing or malformed')
  const identity = payload.slice(0, IDENTITY_LENGTH)
  const binding = payload.subarray(IDENTITY_LENGTH)
  const remoteStatic = hs.remoteStaticKey
  if (remoteStatic === null || !verifyBinding(crypto, identity, remoteStatic, binding)) throw new IdentityBindingError()
  return identity
}

export function createLinkHandshake(init: LinkHandshakeInit): LinkHandshake {
  const { crypto, identity, initiator } = init
  const hs = createHandshake({
    crypto,
    random: init.random,
    pattern: 'XX',
    initiator,
    prologue: init.prologue ?? LINK_PROLOGUE,
    staticKey: identity.staticKey,
  })
  const ownPayload = concat(identity.signingKey.publicKey, identity.binding)
  // Messages seen so far, both directions: 0 before message 1, 3 when done.
  let step = 0
  let aborted = false

  const guarded = <T>(fn: () => T): T => {
    if (aborted) throw new NoiseStateError('link handshake was aborted')
    try {
      return fn()
    } catch (err) {
      aborted = true
      throw err
    }
  }

  return {
    start(): Uint8Array | null {
      if (!initiator) return null
      return guarded(() => {
        if (step !== 0) throw new NoiseStateError('link handshake already started')
        step = 1
        return hs.writeMessage(EMPTY)
      })
    },

    receive(message: Uint8Array): LinkHandshakeStep {
      return guarded(() => {
        if (initiator && step === 1) {
          const remoteIdentity = verifiedIdentity(crypto, hs, hs.readMessage(message))
          const reply = hs.writeMessage(ownPayload)
          step = 3
          return { reply, session: createSession(hs, remoteIdentity) }
        }
        if (!initiator && step === 0) {
          // XX message 1 carries only `e`; a payload would be unauthenticated, so none is accepted.
          if (hs.readMessage(message).length !== 0) throw new HandshakeError('first link handshake message has a payload')
          step = 2
          return { reply: hs.writeMessage(ownPayload), session: null }
        }
        if (!initiator && step === 2) {
          const remoteIdentity = verifiedIdentity(crypto, hs, hs.readMessage(message))
          step = 3
          return { reply: null, session: createSession(hs, remoteIdentity) }
        }
        throw new NoiseStateError(step === 3 ? 'link handshake already complete' : 'link handshake message out of order')
      })
    },
  }
}

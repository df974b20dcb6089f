import { concat, utf8Encode } from '../bytes.ts'
import { generateX25519KeyPair } from '../crypto/keyPair.ts'
import type { KeyPair } from '../crypto/keyPair.ts'
import { SovereignError } from '../errors.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { unusableCipherState } from './cipherState.ts'
import type { CipherState } from './cipherState.ts'
import { HandshakeError, MessageTooLargeError, NoiseStateError } from './errors.ts'
import { PATTERNS } from './patterns.ts'
import type { HandshakePattern, PatternName, Token } from './patterns.ts'
import { createSymmetricState } from './symmetricState.ts'

/** Noise rev 34 §3: every Noise message is at most 65535 bytes. */
export const MAX_MESSAGE_LENGTH = 65535
/** DHLEN for 25519 (§12.1). */
const DH_LENGTH = 32
const TAG_LENGTH = 16

export interface HandshakeInit {
  readonly crypto: Crypto
  readonly random: Random
  readonly pattern: PatternName
  readonly initiator: boolean
  readonly prologue: Uint8Array
  readonly staticKey: KeyPair
  /** The responder's static key, required by an X initiator (`<- s` pre-message). */
  readonly remoteStaticKey?: Uint8Array
  /** Tests only: fixes `e` so published vectors can be reproduced. */
  readonly ephemeralKey?: KeyPair
}

/** Transport ciphers already oriented for this side. */
export interface TransportCiphers {
  readonly send: CipherState
  readonly receive: CipherState
}

/** Noise rev 34 §5.3 HandshakeState, driven one message at a time. */
export interface HandshakeState {
  /** WriteMessage: the next handshake message carrying `payload`. */
  writeMessage(payload: Uint8Array): Uint8Array
  /**
   * ReadMessage: returns the payload. Any failure (typed: `DecryptError`,
   * `WeakKeyError`, `HandshakeError`) aborts the handshake: the object refuses
   * all further use and the caller starts over with a new one.
   */
  readMessage(message: Uint8Array): Uint8Array
  readonly complete: boolean
  /** The peer's static key once a message revealed it (or the X pre-message key). */
  readonly remoteStaticKey: Uint8Array | null
  /** GetHandshakeHash (§5.2): a channel binding, final once `complete`. */
  handshakeHash(): Uint8Array
  /** Split (§5.2), once, after completion. */
  split(): TransportCiphers
}

function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== DH_LENGTH) throw new NoiseStateError(`${what} must be ${DH_LENGTH} bytes`)
}

function checkInit(init: HandshakeInit, pattern: HandshakePattern): void {
  checkKey(init.staticKey.publicKey, 'static public key')
  checkKey(init.staticKey.secretKey, 'static secret key')
  if (init.ephemeralKey !== undefined) {
    checkKey(init.ephemeralKey.publicKey, 'ephemeral public key')
    checkKey(init.ephemeralKey.secretKey, 'ephemeral secret key')
  }
  const knowsRemoteStatic = init.initiator
    ? pattern.responderPreMessage.includes('s')
    : pattern.initiatorPreMessage.includes('s')
  if (knowsRemoteStatic && init.remoteStaticKey === undefined) {
    throw new NoiseStateError(`${pattern.name} ${init.initiator ? 'initiator' : 'responder'} needs remoteStaticKey`)
  }
  if (!knowsRemoteStatic && init.remoteStaticKey !== undefined) {
    throw new NoiseStateError(`${pattern.name} ${init.initiator ? 'initiator' : 'responder'} learns the remote static key from the handshake`)
  }
  if (init.remoteStaticKey !== undefined) checkKey(init.remoteStaticKey, 'remote static key')
}

/** Initialize (§5.3) for `init.pattern`, including its pre-messages. */
export function createHandshake(init: HandshakeInit): HandshakeState {
  const pattern = PATTERNS[init.pattern]
  checkInit(init, pattern)
  const { crypto, initiator } = init
  const symmetric = createSymmetricState(crypto, utf8Encode(pattern.protocolName))
  const s = init.staticKey
  let e: KeyPair | null = null
  let generatedE = false
  let rs: Uint8Array | null = init.remoteStaticKey?.slice() ?? null
  let re: Uint8Array | null = null
  let index = 0
  let aborted = false
  let ciphers: [CipherState, CipherState] | null = null
  let handedOut = false

  symmetric.mixHash(init.prologue)
  // §5.3: the initiator's pre-message keys are hashed first, then the responder's.
  for (const _ of pattern.initiatorPreMessage) symmetric.mixHash(initiator ? s.publicKey : rs!)
  for (const _ of pattern.responderPreMessage) symmetric.mixHash(initiator ? rs! : s.publicKey)

  const complete = (): boolean => index >= pattern.messages.length

  const nextPattern = (writing: boolean): readonly Token[] => {
    if (aborted) throw new NoiseStateError('handshake was aborted')
    if (complete()) throw new NoiseStateError('handshake already complete')
    if ((index % 2 === 0) !== (initiator === writing)) {
      throw new NoiseStateError(writing ? 'not our turn to write' : 'not our turn to read')
    }
    return pattern.messages[index]!
  }

  // §5.3 DH tokens, named from the initiator's side: `es` is DH(e, rs) for the
  // initiator and DH(s, re) for the responder; `se` is the mirror image.
  const dh = (token: Exclude<Token, 'e' | 's'>): Uint8Array => {
    const localIsEphemeral = token === 'ee' || (token === 'es' && initiator) || (token === 'se' && !initiator)
    const remoteIsEphemeral = token === 'ee' || (token === 'es' && !initiator) || (token === 'se' && initiator)
    const local = localIsEphemeral ? e : s
    const remote = remoteIsEphemeral ? re : rs
    if (local === null || remote === null) throw new NoiseStateError(`missing key for ${token}`)
    return crypto.x25519(local.secretKey, remote)
  }

  const finishIfDone = (): void => {
    index++
    if (!complete()) return
    ciphers = symmetric.split()
    if (generatedE && e !== null) e.secretKey.fill(0)
    e = null
  }

  /** Bytes the message for `tokens` adds around the payload, predicted so that an oversize payload fails before any state changes. */
  const overhead = (tokens: readonly Token[]): number => {
    let keyed = symmetric.hasKey()
    let bytes = 0
    for (const token of tokens) {
      if (token === 'e') bytes += DH_LENGTH
      else if (token === 's') bytes += DH_LENGTH + (keyed ? TAG_LENGTH : 0)
      else keyed = true
    }
    return bytes + (keyed ? TAG_LENGTH : 0)
  }

  return {
    writeMessage(payload: Uint8Array): Uint8Array {
      const tokens = nextPattern(true)
      if (payload.length + overhead(tokens) > MAX_MESSAGE_LENGTH) throw new MessageTooLargeError()
      const parts: Uint8Array[] = []
      try {
        for (const token of tokens) {
          if (token === 'e') {
            e = init.ephemeralKey ?? generateX25519KeyPair(crypto, init.random)
            generatedE = init.ephemeralKey === undefined
            parts.push(e.publicKey)
            symmetric.mixHash(e.publicKey)
          } else if (token === 's') {
            parts.push(symmetric.encryptAndHash(s.publicKey))
          } else {
            symmetric.mixKey(dh(token))
          }
        }
        parts.push(symmetric.encryptAndHash(payload))
      } catch (err) {
        aborted = true
        throw err
      }
      finishIfDone()
      return concat(...parts)
    },

    readMessage(message: Uint8Array): Uint8Array {
      const tokens = nextPattern(false)
      let payload: Uint8Array
      try {
        if (message.length > MAX_MESSAGE_LENGTH) throw new MessageTooLargeError()
        let offset = 0
        const take = (length: number): Uint8Array => {
          if (offset + length > message.length) throw new HandshakeError('handshake message too short')
          const out = message.slice(offset, offset + length)
          offset += length
          return out
        }
        for (const token of tokens) {
          if (token === 'e') {
            re = take(DH_LENGTH)
            symmetric.mixHash(re)
          } else if (token === 's') {
            rs = symmetric.decryptAndHash(take(DH_LENGTH + (symmetric.hasKey() ? TAG_LENGTH : 0)))
          } else {
            symmetric.mixKey(dh(token))
          }
        }
        payload = symmetric.decryptAndHash(message.subarray(offset))
      } catch (err) {
        aborted = true
        // Typed errors pass through; anything else is a bug below us, still never a raw throw.
        if (err instanceof SovereignError) throw err
        throw new HandshakeError('handshake message rejected')
      }
      finishIfDone()
      return payload
    },

    get complete(): boolean {
      return complete()
    },

    get remoteStaticKey(): Uint8Array | null {
      return rs === null ? null : rs.slice()
    },

    handshakeHash: () => symmetric.getHandshakeHash(),

    split(): TransportCiphers {
      if (ciphers === null) throw new NoiseStateError('handshake not complete')
      if (handedOut) throw new NoiseStateError('transport ciphers already handed out')
      handedOut = true
      const [c1, c2] = ciphers
      if (pattern.oneWay) {
        // §5.2 Split / §7.4: in a one-way pattern only the initiator sends.
        const unused = unusableCipherState(`${pattern.name} is one-way: the responder never sends`)
        return initiator ? { send: c1, receive: unused } : { send: unused, receive: c1 }
      }
      return initiator ? { send: c1, receive: c2 } : { send: c2, receive: c1 }
    },
  }
}

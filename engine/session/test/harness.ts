/** Shared set-up for the session tests: devices that commit state only when a call succeeds. */
import { concat, equals, toHex, utf8Encode } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { SovereignError } from '../../errors.ts'
import { WIRE_ERROR_NAMES } from '../../wire/errors.ts'
import { SESSION_ERROR_NAMES } from '../errors.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { generateIdentity } from '../../identity/identity.ts'
import type { Identity } from '../../identity/identity.ts'
import type { Random } from '../../ports/random.ts'
import { consumeOneTimePrekey, createPrekeySecrets, encodePrekeySecrets, prekeyBundleOf } from '../prekeySecrets.ts'
import type { PrekeySecrets } from '../prekeySecrets.ts'
import { generateOneTimePrekeys, generateSignedPrekey } from '../prekeys.ts'
import type { PrekeyBundle } from '../prekeys.ts'
import { encodeSessionState } from '../ratchetState.ts'
import type { SessionState } from '../ratchetState.ts'
import { createOutboundSession, decryptMessage, encryptMessage } from '../sessionCipher.ts'
import type { DecryptResult } from '../sessionCipher.ts'

export const crypto = nobleCrypto()
/** What the messenger would pass: envelope version, id and destination. */
export const AD = utf8Encode('envelope v1 | id | destination')

export function errorName(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

/** Every error a session call may throw on bad input: anything else is a bug. */
export const TYPED_ERRORS: ReadonlySet<string> = new Set([...SESSION_ERROR_NAMES, ...WIRE_ERROR_NAMES, 'DecryptError', 'WeakKeyError'])

/** The name of the typed error `fn` throws; fails the test when it returns or throws anything untyped. */
export function typedError(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof SovereignError) || !TYPED_ERRORS.has(err.name)) throw err
    return err.name
  }
  throw new Error('expected a typed error, but the call succeeded')
}

export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

export function text(n: number, tag = 'm'): Uint8Array {
  return utf8Encode(`${tag}${n}`)
}

/**
 * One person's device as the messenger will drive it: it stores sessions by
 * baseKey and its prekey secrets, and commits a decryption's new state and
 * one-time prekey consumption together, only when the call succeeded.
 */
export class Device {
  readonly identity: Identity
  readonly random: Random
  prekeys: PrekeySecrets
  /** Most recently used first. */
  sessions: SessionState[] = []

  /** `identity` replaces the generated one (tests of forged identities). */
  constructor(seed: string, oneTimePrekeys = 3, identity?: Identity) {
    this.random = seededRandom(seed)
    this.identity = identity ?? generateIdentity(crypto, this.random)
    const spk = generateSignedPrekey(crypto, this.random, this.identity, 1)
    this.prekeys = createPrekeySecrets(spk, generateOneTimePrekeys(crypto, this.random, 100, oneTimePrekeys))
  }

  bundle(): PrekeyBundle {
    return prekeyBundleOf(this.identity, this.prekeys)
  }

  startSession(bundle: PrekeyBundle): SessionState {
    const state = createOutboundSession(crypto, this.random, this.identity, bundle)
    this.sessions.unshift(state)
    return state
  }

  send(plaintext: Uint8Array, ad: Uint8Array = AD): Uint8Array {
    const current = this.sessions[0]
    if (current === undefined) throw new Error('no session to send on')
    const out = encryptMessage(crypto, this.random, current, plaintext, ad)
    this.sessions[0] = out.state
    return out.message
  }

  /** Decrypts without committing anything. */
  tryReceive(message: Uint8Array, ad: Uint8Array = AD): DecryptResult {
    return decryptMessage(crypto, this.random, this.identity, this.prekeys, { candidates: () => this.sessions }, message, ad)
  }

  receive(message: Uint8Array, ad: Uint8Array = AD): Uint8Array {
    const result = this.tryReceive(message, ad)
    this.commit(result)
    return result.plaintext
  }

  commit(result: DecryptResult): void {
    this.sessions = [result.state, ...this.sessions.filter((s) => !equals(s.baseKey, result.state.baseKey))]
    if (result.consumedOneTimePrekey !== null) this.prekeys = consumeOneTimePrekey(this.prekeys, result.consumedOneTimePrekey)
  }

  /** Every stored byte: what "state unchanged" compares. */
  snapshot(): string {
    return toHex(concat(encodePrekeySecrets(this.prekeys), ...this.sessions.map((s) => encodeSessionState(s))))
  }
}

/** Alice has started a session from Bob's bundle; Bob has none yet. */
export function pair(seed: string, oneTimePrekeys = 3): { alice: Device; bob: Device } {
  const alice = new Device(`${seed}/alice`)
  const bob = new Device(`${seed}/bob`, oneTimePrekeys)
  alice.startSession(bob.bundle())
  return { alice, bob }
}

/** Alice and Bob after one message each way: both past the prekey phase. */
export function establishedPair(seed: string): { alice: Device; bob: Device } {
  const p = pair(seed)
  p.bob.receive(p.alice.send(text(0, 'hello')))
  p.alice.receive(p.bob.send(text(0, 'reply')))
  return p
}

/** Fisher–Yates driven by a seeded Random, so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const r = random.bytes(4)
    const j = ((r[0]! << 16) | (r[1]! << 8) | r[2]!) % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

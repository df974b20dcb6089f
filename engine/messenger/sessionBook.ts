/**
 * The messenger's end-to-end sessions (X3DH + Double Ratchet, engine/session):
 * prekey secrets and every contact's sessions, cached in memory and written
 * through the store. Each operation returns the store ops of its new state and a
 * `commit` that updates the cache: the caller writes ops together with the
 * plaintext in one atomic batch, then commits, so a failure changes nothing.
 */
import { toHex } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import type { Crypto, Random, Store, StoreOp } from '../ports/index.ts'
import {
  consumeOneTimePrekey,
  createOutboundSession,
  createPrekeySecrets,
  decodePrekeySecrets,
  decodeSessionState,
  decryptMessage,
  encodePrekeySecrets,
  encodeSessionState,
  encryptMessage,
  generateSignedPrekey,
} from '../session/index.ts'
import type { DecryptResult, PrekeyBundle, PrekeySecrets, PublicSignedPrekey, SessionState } from '../session/index.ts'
import { NoProfileError } from './errors.ts'
import { keys } from './records.ts'

/** Sessions kept per contact: the newest, plus one from a simultaneous start. */
export const SESSIONS_PER_CONTACT = 2

export interface Staged<T> {
  readonly value: T
  readonly ops: StoreOp[]
  /** Call after `ops` are durable. */
  commit(): void
}

export interface SessionBook {
  /** Prekey secrets for a new identity, as store ops for the profile's batch. */
  create(identity: Identity): StoreOp[]
  load(): Promise<void>
  signedPrekey(): PublicSignedPrekey
  hasSession(contactId: string): boolean
  /** Encrypts on the contact's active session, starting one from `bundle` if there is none. */
  encrypt(contactId: string, bundle: () => PrekeyBundle, plaintext: Uint8Array, ad: Uint8Array): Staged<Uint8Array>
  /** Finds (or starts) the session of an incoming message; throws a typed error and stages nothing on failure. */
  decrypt(message: Uint8Array, ad: Uint8Array): Staged<DecryptResult>
  /** Forgets a contact's sessions (their identity key changed): the next message starts afresh. */
  reset(contactId: string): Staged<null>
}

export function createSessionBook(crypto: Crypto, random: Random, store: Store, me: () => Identity): SessionBook {
  let secrets: PrekeySecrets | null = null
  /** Per contact, most recently active first. */
  const sessions = new Map<string, SessionState[]>()

  const requireSecrets = (): PrekeySecrets => {
    if (!secrets) throw new NoProfileError()
    return secrets
  }
  const put = (contactId: string, state: SessionState): StoreOp => ({
    type: 'set',
    key: keys.session(contactId, toHex(state.baseKey)),
    value: encodeSessionState(state),
  })
  /** The contact's list with `state` first (replacing its older self), trimmed to the cap. */
  const promote = (contactId: string, state: SessionState): { list: SessionState[]; ops: StoreOp[] } => {
    const base = toHex(state.baseKey)
    const others = (sessions.get(contactId) ?? []).filter((s) => toHex(s.baseKey) !== base)
    const list = [state, ...others]
    const dropped = list.splice(SESSIONS_PER_CONTACT)
    const ops: StoreOp[] = [put(contactId, state)]
    for (const old of dropped) ops.push({ type: 'delete', key: keys.session(contactId, toHex(old.baseKey)) })
    return { list, ops }
  }

  return {
    create(identity) {
      secrets = createPrekeySecrets(generateSignedPrekey(crypto, random, identity, 1))
      return [{ type: 'set', key: keys.prekeys, value: encodePrekeySecrets(secrets) }]
    },
    async load() {
      const bytes = await store.get(keys.prekeys)
      if (bytes) secrets = decodePrekeySecrets(bytes)
      for (const key of await store.keys(keys.sessionPrefix)) {
        const value = await store.get(key)
        if (!value) continue
        const contactId = key.split('/')[1]!
        sessions.set(contactId, [...(sessions.get(contactId) ?? []), decodeSessionState(value)])
      }
    },
    signedPrekey() {
      const spk = requireSecrets().signedPrekey
      return { id: spk.id, publicKey: spk.keyPair.publicKey, signature: spk.signature }
    },
    hasSession: (contactId) => (sessions.get(contactId)?.length ?? 0) > 0,
    encrypt(contactId, bundle, plaintext, ad) {
      const current = sessions.get(contactId)?.[0] ?? createOutboundSession(crypto, random, me(), bundle())
      const { state, message } = encryptMessage(crypto, random, current, plaintext, ad)
      const { list, ops } = promote(contactId, state)
      return { value: message, ops, commit: () => void sessions.set(contactId, list) }
    },
    decrypt(message, ad) {
      const lookup = { candidates: () => [...sessions.values()].flat() }
      const result = decryptMessage(crypto, random, me(), requireSecrets(), lookup, message, ad)
      const contactId = toHex(result.sender.identity)
      const { list, ops } = promote(contactId, result.state)
      let nextSecrets = secrets
      if (result.consumedOneTimePrekey !== null) {
        nextSecrets = consumeOneTimePrekey(requireSecrets(), result.consumedOneTimePrekey)
        ops.push({ type: 'set', key: keys.prekeys, value: encodePrekeySecrets(nextSecrets) })
      }
      return {
        value: result,
        ops,
        commit: () => {
          sessions.set(contactId, list)
          secrets = nextSecrets
        },
      }
    },
    reset(contactId) {
      const ops: StoreOp[] = (sessions.get(contactId) ?? []).map((s) => ({
        type: 'delete',
        key: keys.session(contactId, toHex(s.baseKey)),
      }))
      return { value: null, ops, commit: () => void sessions.delete(contactId) }
    },
  }
}

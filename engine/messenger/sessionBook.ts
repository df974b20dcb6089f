/**
 * The messenger's end-to-end sessions (X3DH + Double Ratchet, engine/session):
 * prekey secrets and every contact's sessions, cached in memory and written
 * through the store. Each operation returns the store ops of its new state and a
 * `commit` that updates the cache: the caller writes ops together with the
 * plaintext in one atomic batch, then commits, so a failure changes nothing.
 *
 * Signed prekey rotation (`maintain`): the signed prekey that offers and route
 * announcements carry is replaced every SIGNED_PREKEY_ROTATE_MS; each replaced
 * one still opens prekey messages for SIGNED_PREKEY_GRACE_MS after its
 * retirement, then its secret is deleted. When each held signed prekey was made
 * or retired lives in its own small record (PREKEY_SCHEDULE_KEY) beside the
 * secrets, written in the same batch as them: the secrets record stays free of
 * time, and a build that does not know the schedule simply ignores it.
 */
import { toHex } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import type { Crypto, Random, Store, StoreOp } from '../ports/index.ts'
import {
  consumeOneTimePrekey,
  dropPreviousSignedPrekey,
  findSignedPrekey,
  rotateSignedPrekey,
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
import { decodeRecord, encodeRecord, keys } from './records.ts'

/** Sessions kept per contact: the newest, plus one from a simultaneous start. */
export const SESSIONS_PER_CONTACT = 2

const DAY_MS = 24 * 3600 * 1000
/** A signed prekey is replaced once it is this old (Signal's practice: on a schedule; a week here). */
export const SIGNED_PREKEY_ROTATE_MS = 7 * DAY_MS
/**
 * A replaced signed prekey still opens prekey messages this long, then its secret is deleted. It
 * must outlast the time between someone learning a signed prekey and their first message to it
 * arriving: an offer code (QR, link) is often accepted days or weeks after it was shared, the intro
 * then waits in custody up to MESSAGE_LIFETIME_MS (7 days), and until it is answered every message
 * of that session, retries too, names the same signed prekey. 30 days covers an offer accepted up
 * to a month after its key was replaced (up to 37 days after it was shared), while bounding how
 * long a secret that started sessions survives (at most 37 days in all).
 */
export const SIGNED_PREKEY_GRACE_MS = 30 * DAY_MS
/** Where the rotation schedule is stored: a 'prekeys' kind, so it lives beside the secrets. */
export const PREKEY_SCHEDULE_KEY = 'prekeys/schedule'

/** When each held signed prekey was made or retired (ms, the messenger's clock). JSON, like records.ts. */
export interface PrekeyScheduleRecord {
  readonly current: { readonly id: number; readonly madeAt: number }
  /** One entry per previous signed prekey held, newest first. */
  readonly retired: readonly { readonly id: number; readonly retiredAt: number }[]
}

/** What one `maintain` did. */
export interface PrekeyMaintenance {
  /** A new signed prekey is current (offers and announcements carry it from now on). */
  readonly rotated: boolean
  /** At least one previous signed prekey's grace period ended: its secret is deleted. */
  readonly dropped: boolean
}

const isTime = (t: unknown): t is number => typeof t === 'number' && Number.isFinite(t)
const isId = (id: unknown): id is number => Number.isInteger(id) && (id as number) >= 0 && (id as number) <= 0xffffffff

/** The stored schedule, or null when it is absent or unreadable (both mean: times unknown). */
function readSchedule(bytes: Uint8Array | undefined): PrekeyScheduleRecord | null {
  if (!bytes) return null
  try {
    const r = decodeRecord<PrekeyScheduleRecord>('prekey schedule', bytes)
    if (!isId(r?.current?.id) || !isTime(r.current.madeAt) || !Array.isArray(r.retired)) return null
    if (!r.retired.every((e) => isId(e?.id) && isTime(e.retiredAt))) return null
    return r
  } catch {
    return null
  }
}

/**
 * The schedule of the held secrets at `now`. A time that is unknown (a profile made before
 * rotation existed, a record that names other keys) counts from `now`: the current key rotates a
 * full period later and a previous key gets its full grace period, never less. A time in the
 * future (the clock was wrong, or moved back) is brought back to `now`, so it cannot stall rotation.
 */
function reconcile(secrets: PrekeySecrets, stored: PrekeyScheduleRecord | null, now: number): PrekeyScheduleRecord {
  const spk = secrets.signedPrekey
  const madeAt = stored?.current.id === spk.id ? Math.min(stored.current.madeAt, now) : now
  const retired = secrets.previousSignedPrekeys.map((k) => {
    const known = stored?.retired.find((e) => e.id === k.id)
    return { id: k.id, retiredAt: known ? Math.min(known.retiredAt, now) : now }
  })
  return { current: { id: spk.id, madeAt }, retired }
}

/** The next id after the current one that no held signed prekey uses. */
function freshSignedPrekeyId(secrets: PrekeySecrets): number {
  let id = (secrets.signedPrekey.id + 1) >>> 0
  while (findSignedPrekey(secrets, id) !== null) id = (id + 1) >>> 0
  return id
}

export interface Staged<T> {
  readonly value: T
  readonly ops: StoreOp[]
  /** Call after `ops` are durable. */
  commit(): void
}

export interface SessionBook {
  /** Prekey secrets for a new identity (its signed prekey made `now`), as store ops for the profile's batch. */
  create(identity: Identity, now: number): StoreOp[]
  load(): Promise<void>
  signedPrekey(): PublicSignedPrekey
  /**
   * Rotates the signed prekey when it is SIGNED_PREKEY_ROTATE_MS old and deletes previous ones
   * SIGNED_PREKEY_GRACE_MS after their retirement; stages the secrets and the schedule together
   * (no ops when nothing is due and the stored schedule is current). The caller holds the
   * session lock: `decrypt` stages the secrets record too.
   */
  maintain(now: number): Staged<PrekeyMaintenance>
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
  /** The schedule as stored (null: none, or unreadable). */
  let schedule: PrekeyScheduleRecord | null = null
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
    create(identity, now) {
      secrets = createPrekeySecrets(generateSignedPrekey(crypto, random, identity, 1))
      schedule = reconcile(secrets, null, now)
      return [
        { type: 'set', key: keys.prekeys, value: encodePrekeySecrets(secrets) },
        { type: 'set', key: PREKEY_SCHEDULE_KEY, value: encodeRecord(schedule) },
      ]
    },
    async load() {
      const [bytes, scheduleBytes] = await Promise.all([store.get(keys.prekeys), store.get(PREKEY_SCHEDULE_KEY)])
      if (bytes) secrets = decodePrekeySecrets(bytes)
      schedule = readSchedule(scheduleBytes)
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
    maintain(now) {
      const held = requireSecrets()
      let next = held
      const retiredAt = new Map<number, number>()
      const known = reconcile(held, schedule, now)
      for (const e of known.retired) {
        if (now - e.retiredAt >= SIGNED_PREKEY_GRACE_MS) next = dropPreviousSignedPrekey(next, e.id)
        else retiredAt.set(e.id, e.retiredAt)
      }
      let current = known.current
      const rotated = now - current.madeAt >= SIGNED_PREKEY_ROTATE_MS
      if (rotated) {
        retiredAt.set(next.signedPrekey.id, now)
        next = rotateSignedPrekey(next, generateSignedPrekey(crypto, random, me(), freshSignedPrekeyId(next)))
        current = { id: next.signedPrekey.id, madeAt: now }
      }
      // A rotation past MAX_PREVIOUS_SIGNED_PREKEYS drops the oldest too: the schedule follows the secrets.
      const nextSchedule: PrekeyScheduleRecord = {
        current,
        retired: next.previousSignedPrekeys.map((k) => ({ id: k.id, retiredAt: retiredAt.get(k.id)! })),
      }
      const dropped = known.retired.some((e) => !next.previousSignedPrekeys.some((k) => k.id === e.id))
      const ops: StoreOp[] = []
      if (next !== held) ops.push({ type: 'set', key: keys.prekeys, value: encodePrekeySecrets(next) })
      // Written also when only adopted (no stored times yet): the schedule then survives a restart.
      if (JSON.stringify(nextSchedule) !== JSON.stringify(schedule)) {
        ops.push({ type: 'set', key: PREKEY_SCHEDULE_KEY, value: encodeRecord(nextSchedule) })
      }
      return {
        value: { rotated, dropped },
        ops,
        commit: () => {
          secrets = next
          schedule = nextSchedule
        },
      }
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

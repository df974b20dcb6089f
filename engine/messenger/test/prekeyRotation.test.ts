/** Issue 11: the signed prekey is rotated on a schedule, the old one kept for a grace period. */
import { beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { decodeOffer } from '../../offer/index.ts'
import type { Store, StoreOp } from '../../ports/index.ts'
import { decodePrekeySecrets, MAX_PREVIOUS_SIGNED_PREKEYS } from '../../session/prekeySecrets.ts'
import type { PrekeySecrets } from '../../session/prekeySecrets.ts'
import { createMemoryStore } from '../../store/memoryStore.ts'
import { decodeEnvelope } from '../../wire/index.ts'
import { createMessenger, MESSAGE_LIFETIME_MS, SIGNED_PREKEY_GRACE_MS, SIGNED_PREKEY_ROTATE_MS } from '../messenger.ts'
import type { Messenger } from '../messenger.ts'
import { decodeRecord } from '../records.ts'
import { PREKEY_SCHEDULE_KEY } from '../sessionBook.ts'
import type { PrekeyScheduleRecord } from '../sessionBook.ts'
import type { FakeClock, Person } from './harness.ts'
import { crypto, deliver, dump, errorName, fakeClock, pair, person } from './harness.ts'

const DAY = 24 * 3600 * 1000
let clock: FakeClock
let t0: number
beforeEach(() => {
  clock = fakeClock()
  t0 = clock.t
})

const stored = async (store: Store): Promise<PrekeySecrets> => decodePrekeySecrets((await store.get('prekeys'))!)
const schedule = async (store: Store): Promise<PrekeyScheduleRecord | null> => {
  const bytes = await store.get(PREKEY_SCHEDULE_KEY)
  return bytes ? decodeRecord<PrekeyScheduleRecord>('prekey schedule', bytes) : null
}
const spkId = (m: Messenger): number => m.signedPrekey()!.id
/** The same person on the same store after a restart: a new messenger, loaded. */
const reopen = async (p: Person, seed: string): Promise<Person> => {
  const m = createMessenger({ crypto, random: seededRandom(seed), clock, store: p.store })
  await m.load()
  return { ...p, m }
}
const maintainAt = (m: Messenger, t: number) => {
  clock.t = t
  return m.maintainPrekeys()
}

describe('signed prekey rotation policy', () => {
  it('the grace period outlasts both the rotation period and an envelope’s lifetime, within the stored bound', () => {
    expect(SIGNED_PREKEY_ROTATE_MS).toBe(7 * DAY)
    expect(SIGNED_PREKEY_GRACE_MS).toBeGreaterThan(SIGNED_PREKEY_ROTATE_MS + MESSAGE_LIFETIME_MS)
    // Previous keys held at once under the policy: one per rotation within the grace period.
    expect(Math.ceil(SIGNED_PREKEY_GRACE_MS / SIGNED_PREKEY_ROTATE_MS)).toBeLessThanOrEqual(MAX_PREVIOUS_SIGNED_PREKEYS)
  })
})

describe('maintainPrekeys', () => {
  it('does nothing before a week, then rotates: a fresh, signed key that offers and signedPrekey() carry', async () => {
    const bob = await person('Bob', clock)
    const first = bob.m.signedPrekey()!
    expect(await schedule(bob.store)).toEqual({ current: { id: first.id, madeAt: t0 }, retired: [] })
    const before = await dump(bob.store)
    expect(await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS - 1)).toEqual({ rotated: false, dropped: false })
    expect(await dump(bob.store)).toEqual(before)
    expect(decodeOffer(bob.m.createOffer([])).signedPrekey.id).toBe(first.id)

    expect(await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS)).toEqual({ rotated: true, dropped: false })
    const next = bob.m.signedPrekey()!
    expect(next.id).not.toBe(first.id)
    expect(toHex(next.publicKey)).not.toBe(toHex(first.publicKey))
    expect(decodeOffer(bob.m.createOffer([])).signedPrekey).toEqual(next)
    const secrets = await stored(bob.store)
    expect(secrets.signedPrekey.id).toBe(next.id)
    expect(secrets.previousSignedPrekeys.map((k) => k.id)).toEqual([first.id])
    expect(await schedule(bob.store)).toEqual({
      current: { id: next.id, madeAt: t0 + SIGNED_PREKEY_ROTATE_MS },
      retired: [{ id: first.id, retiredAt: t0 + SIGNED_PREKEY_ROTATE_MS }],
    })

    // Idempotent: called again (every minute, say) it writes nothing until the next week.
    const rotated = await dump(bob.store)
    expect(await bob.m.maintainPrekeys()).toEqual({ rotated: false, dropped: false })
    expect(await maintainAt(bob.m, t0 + 2 * SIGNED_PREKEY_ROTATE_MS - 1)).toEqual({ rotated: false, dropped: false })
    expect(await dump(bob.store)).toEqual(rotated)

    // The new key's signature verifies: a session started from the new offer opens at Bob.
    const carol = await person('Carol', clock)
    const events = await deliver((await carol.m.acceptOffer(bob.m.createOffer([]))).outgoing, bob)
    expect(events).toEqual([expect.objectContaining({ type: 'contact', contact: expect.objectContaining({ id: carol.id }) })])
  })

  it('a session started against the previous key opens during the grace period; after it, the key is gone and a start is UnknownSignedPrekeyError', async () => {
    const bob = await person('Bob', clock)
    const oldOffer = bob.m.createOffer([])
    const oldId = spkId(bob.m)
    const oldSecret = toHex((await stored(bob.store)).signedPrekey.keyPair.secretKey)
    // In flight across the rotation: sealed the day before, delivered after.
    clock.t = t0 + SIGNED_PREKEY_ROTATE_MS - DAY
    const carol = await person('Carol', clock)
    const inFlight = (await carol.m.acceptOffer(oldOffer)).outgoing
    expect(await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS)).toEqual({ rotated: true, dropped: false })
    expect(await deliver(inFlight, bob)).toHaveLength(1)
    // The old offer accepted after the rotation, near the end of the grace period.
    const retiredAt = t0 + SIGNED_PREKEY_ROTATE_MS
    const rotations: boolean[] = []
    for (let t = retiredAt + SIGNED_PREKEY_ROTATE_MS; t < retiredAt + SIGNED_PREKEY_GRACE_MS; t += SIGNED_PREKEY_ROTATE_MS) {
      const done = await maintainAt(bob.m, t)
      rotations.push(done.rotated)
      expect(done.dropped).toBe(false)
    }
    expect(rotations).toEqual([true, true, true, true])
    expect((await stored(bob.store)).previousSignedPrekeys).toHaveLength(5)
    clock.t = retiredAt + SIGNED_PREKEY_GRACE_MS - 1
    const alice = await person('Alice', clock)
    const late = (await alice.m.acceptOffer(oldOffer)).outgoing
    expect(await maintainAt(bob.m, retiredAt + SIGNED_PREKEY_GRACE_MS - 1)).toEqual({ rotated: false, dropped: false })
    expect(await deliver(late, bob)).toHaveLength(1)
    expect(toHex((await bob.store.get('prekeys'))!)).toContain(oldSecret)

    // Grace over: the secret leaves the stored record (the newer previous keys stay).
    expect(await maintainAt(bob.m, retiredAt + SIGNED_PREKEY_GRACE_MS)).toEqual({ rotated: false, dropped: true })
    const after = await stored(bob.store)
    expect(after.previousSignedPrekeys.map((k) => k.id)).not.toContain(oldId)
    expect(after.previousSignedPrekeys).toHaveLength(4)
    expect(toHex((await bob.store.get('prekeys'))!)).not.toContain(oldSecret)
    expect((await schedule(bob.store))!.retired.map((e) => e.id)).toEqual(after.previousSignedPrekeys.map((k) => k.id))

    // A new start against it fails at the receiver with a typed error and stores nothing.
    const dave = await person('Dave', clock)
    const tooLate = (await dave.m.acceptOffer(oldOffer)).outgoing
    const before = await dump(bob.store)
    expect(await errorName(() => bob.m.receive(decodeEnvelope(tooLate.bytes)))).toBe('UnknownSignedPrekeyError')
    expect(await dump(bob.store)).toEqual(before)

    // Sessions it started before are not affected: they no longer need the key.
    const { outgoing } = await alice.m.compose(bob.id, 'still here')
    expect(await deliver(outgoing, bob)).toEqual([expect.objectContaining({ type: 'message' })])
    const { outgoing: fromCarol } = await carol.m.compose(bob.id, 'me too')
    expect(await deliver(fromCarol, bob)).toEqual([expect.objectContaining({ type: 'message' })])
  })

  it('keeps its schedule across restarts', async () => {
    let bob = await person('Bob', clock)
    const firstId = spkId(bob.m)
    clock.t = t0 + 3 * DAY
    bob = await reopen(bob, 'Bob/1')
    expect(await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS - 1)).toEqual({ rotated: false, dropped: false })
    bob = await reopen(bob, 'Bob/2')
    expect(await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS)).toEqual({ rotated: true, dropped: false })
    const secondId = spkId(bob.m)
    const retiredAt = t0 + SIGNED_PREKEY_ROTATE_MS

    // Offline for almost the whole grace period: one rotation (the key is overdue), the old key still held.
    clock.t = retiredAt + SIGNED_PREKEY_GRACE_MS - 1
    bob = await reopen(bob, 'Bob/3')
    expect(spkId(bob.m)).toBe(secondId)
    expect(await bob.m.maintainPrekeys()).toEqual({ rotated: true, dropped: false })
    expect((await stored(bob.store)).previousSignedPrekeys.map((k) => k.id)).toEqual([secondId, firstId])
    bob = await reopen(bob, 'Bob/4')
    expect(await maintainAt(bob.m, retiredAt + SIGNED_PREKEY_GRACE_MS)).toEqual({ rotated: false, dropped: true })
    expect((await stored(bob.store)).previousSignedPrekeys.map((k) => k.id)).toEqual([secondId])
    // New ids never repeat a held one.
    expect(new Set([firstId, secondId, spkId(bob.m)]).size).toBe(3)
  })

  it('a profile stored without rotation times counts from the first call after load: it rotates a week later, not at once', async () => {
    let bob = await person('Bob', clock)
    const firstId = spkId(bob.m)
    // As a build before rotation left it: no schedule record.
    await bob.store.delete(PREKEY_SCHEDULE_KEY)
    const start = t0 + 100 * DAY
    clock.t = start
    bob = await reopen(bob, 'Bob/1')
    expect(await bob.m.maintainPrekeys()).toEqual({ rotated: false, dropped: false })
    expect(await schedule(bob.store)).toEqual({ current: { id: firstId, madeAt: start }, retired: [] })
    bob = await reopen(bob, 'Bob/2')
    expect(await maintainAt(bob.m, start + SIGNED_PREKEY_ROTATE_MS - 1)).toEqual({ rotated: false, dropped: false })
    expect(spkId(bob.m)).toBe(firstId)
    expect(await maintainAt(bob.m, start + SIGNED_PREKEY_ROTATE_MS)).toEqual({ rotated: true, dropped: false })
    expect(spkId(bob.m)).not.toBe(firstId)

    // A previous key whose retirement time is unknown gets a full grace period from the first call.
    await bob.store.delete(PREKEY_SCHEDULE_KEY)
    const later = start + SIGNED_PREKEY_ROTATE_MS + 20 * DAY
    clock.t = later
    bob = await reopen(bob, 'Bob/3')
    expect(await bob.m.maintainPrekeys()).toEqual({ rotated: false, dropped: false })
    expect(await maintainAt(bob.m, later + SIGNED_PREKEY_GRACE_MS - 1)).toEqual({ rotated: true, dropped: false })
    expect((await stored(bob.store)).previousSignedPrekeys.map((k) => k.id)).toContain(firstId)
    expect(await maintainAt(bob.m, later + SIGNED_PREKEY_GRACE_MS)).toEqual({ rotated: false, dropped: true })
    expect((await stored(bob.store)).previousSignedPrekeys.map((k) => k.id)).not.toContain(firstId)
  })

  it('a time in the future (the clock was wrong) is brought back to now instead of stalling rotation', async () => {
    clock.t = t0 + 365 * DAY
    const bob = await person('Bob', clock)
    clock.t = t0
    expect(await bob.m.maintainPrekeys()).toEqual({ rotated: false, dropped: false })
    expect((await schedule(bob.store))!.current.madeAt).toBe(t0)
    expect(await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS)).toEqual({ rotated: true, dropped: false })
  })

  it('writes secrets and schedule in one batch; a failed write changes nothing and the next call does it', async () => {
    const inner = createMemoryStore()
    const batches: StoreOp[][] = []
    let failNext = false
    const store: Store = {
      get: (key) => inner.get(key),
      set: (key, value) => inner.set(key, value),
      delete: (key) => inner.delete(key),
      keys: (prefix) => inner.keys(prefix),
      async batch(ops) {
        if (failNext) {
          failNext = false
          throw new Error('disk full')
        }
        batches.push([...ops])
        await inner.batch(ops)
      },
    }
    const bob = await person('Bob', clock, store)
    const firstId = spkId(bob.m)
    await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS)
    // Both due at once: the first key's grace ends as the second is replaced.
    clock.t = t0 + SIGNED_PREKEY_ROTATE_MS + SIGNED_PREKEY_GRACE_MS
    const before = await dump(inner)
    const secondId = spkId(bob.m)
    failNext = true
    batches.length = 0
    expect(await errorName(() => bob.m.maintainPrekeys())).toBe('Error')
    expect(await dump(inner)).toEqual(before)
    expect(spkId(bob.m)).toBe(secondId)
    expect(await bob.m.maintainPrekeys()).toEqual({ rotated: true, dropped: true })
    expect(batches.map((ops) => ops.map((op) => op.key).sort())).toEqual([['prekeys', PREKEY_SCHEDULE_KEY]])
    expect((await stored(inner)).previousSignedPrekeys.map((k) => k.id)).toEqual([secondId])
    expect((await stored(inner)).signedPrekey.id).not.toBe(firstId)
  })

  it('is a no-op before onboarding, and keeps working for an established pair', async () => {
    const m = createMessenger({ crypto, random: seededRandom('none'), clock, store: createMemoryStore() })
    expect(await m.maintainPrekeys()).toEqual({ rotated: false, dropped: false })
    const { alice, bob } = await pair(clock)
    await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS)
    await maintainAt(bob.m, t0 + SIGNED_PREKEY_ROTATE_MS + SIGNED_PREKEY_GRACE_MS)
    expect((await stored(bob.store)).previousSignedPrekeys).toHaveLength(1)
    const { outgoing } = await alice.m.compose(bob.id, 'hello')
    expect(await deliver(outgoing, bob)).toEqual([expect.objectContaining({ type: 'message' })])
  })
})

/** Shared set-up for the messenger tests: a fake clock, memory stores, hand-wired delivery. */
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import type { Clock, Store } from '../../ports/index.ts'
import { createMemoryStore } from '../../store/memoryStore.ts'
import { decodeEnvelope } from '../../wire/index.ts'
import { createMessenger } from '../messenger.ts'
import type { Effects, Messenger, Outgoing } from '../messenger.ts'
import type { EngineEvent } from '../views.ts'

export const crypto = nobleCrypto()

export interface FakeClock extends Clock {
  t: number
}

/** Time moves only when a test sets `t`; timers are never needed by the messenger. */
export function fakeClock(start = 1_700_000_000_000): FakeClock {
  const clock: FakeClock = {
    t: start,
    now: () => clock.t,
    setTimeout: () => 0,
    clearTimeout: () => undefined,
  }
  return clock
}

export interface Person {
  readonly m: Messenger
  readonly store: Store
  readonly id: string
}

export async function person(name: string, clock: Clock, store: Store = createMemoryStore()): Promise<Person> {
  const m = createMessenger({ crypto, random: seededRandom(name), clock, store })
  const profile = await m.createProfile(name)
  return { m, store, id: profile.id }
}

/** What the mesh does: carry the bytes, decode them at the recipient's edge. */
export async function deliver(outgoing: Outgoing | Uint8Array, to: Person): Promise<EngineEvent[]> {
  return (await deliverWithEffects(outgoing, to)).events
}

/** As deliver, with the replies and signals too; due delivered receipts are sealed into replies, as the engine does. */
export async function deliverWithEffects(outgoing: Outgoing | Uint8Array, to: Person): Promise<Effects> {
  const effects = await to.m.receive(decodeEnvelope(outgoing instanceof Uint8Array ? outgoing : outgoing.bytes))
  for (const r of effects.receipts) effects.replies.push(await to.m.acknowledge(r.contactId, r.ids))
  return effects
}

/** Alice accepts Bob's offer; her intro reaches Bob, and his receipt empties Alice's outbox. */
export async function pair(clock: Clock): Promise<{ alice: Person; bob: Person }> {
  const alice = await person('Alice', clock)
  const bob = await person('Bob', clock)
  const { outgoing } = await alice.m.acceptOffer(bob.m.createOffer([]))
  const atBob = await deliverWithEffects(outgoing, bob)
  for (const reply of atBob.replies) await deliver(reply, alice)
  return { alice, bob }
}

/** Every key and value in a store, to prove that an operation changed nothing. */
export async function dump(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const key of await store.keys('')) out[key] = toHex((await store.get(key))!)
  return out
}

/** The error's name, or null when `run` settled without throwing. */
export async function errorName(run: () => Promise<unknown> | unknown): Promise<string | null> {
  try {
    await run()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

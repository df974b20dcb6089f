/**
 * A user's reach record reaches their contacts end to end (issue 11): Bob keeps the
 * newest record Alice sends, only if it is genuinely Alice's and valid now, and keeps
 * it across a restart. Dropped records are reported (the engine counts them), never shown.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { generateIdentity } from '../../identity/index.ts'
import type { Identity } from '../../identity/index.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { generateX25519KeyPair } from '../../crypto/keyPair.ts'
import { bindStaticKey } from '../../identity/index.ts'
import { signReachRecord } from '../../reach/index.ts'
import { createMemoryStore } from '../../store/memoryStore.ts'
import { createContactBook } from '../contactBook.ts'
import { createMessenger } from '../messenger.ts'
import type { FakeClock, Person } from './harness.ts'
import { crypto, deliver, deliverWithEffects, errorName, fakeClock, pair, person } from './harness.ts'

const DAY = 24 * 60 * 60_000
const relay = (n: number): { identity: Uint8Array; address: string } => ({
  identity: new Uint8Array(32).fill(n),
  address: `wss://relay${n}.example.org/mesh`,
})

let clock: FakeClock
let alice: Person
let bob: Person
beforeEach(async () => {
  clock = fakeClock()
  ;({ alice, bob } = await pair(clock))
})

function recordOf(who: Identity, seqno: number, relays = [relay(1)]): Uint8Array {
  return signReachRecord(crypto, who, { seqno, issuedAt: clock.t, expiresAt: clock.t + 30 * DAY, relays })
}

describe('reach records between contacts', () => {
  it('Bob keeps the record Alice sends; it is no message, needs no receipt, and goes once per seqno', async () => {
    const record = recordOf(alice.m.identity(), clock.t, [relay(1), relay(2)])
    expect(await bob.m.contactReach(alice.id)).toBeNull()
    const outgoing = await alice.m.composeReach(bob.id, record)
    expect(outgoing).not.toBeNull()
    const effects = await deliverWithEffects(outgoing!, bob)
    expect(await bob.m.contactReach(alice.id)).toEqual(record)
    expect(effects.reachDropped).toEqual([])
    expect(effects.receipts).toEqual([])
    expect(effects.events).toEqual([])
    expect(await bob.m.history(alice.id)).toEqual([])
    expect(await alice.m.outbox()).toEqual([])
    // Already sent: not sealed again (a change or a new intro would otherwise send it twice).
    expect(await alice.m.composeReach(bob.id, record)).toBeNull()
    expect(await alice.m.composeReach(bob.id, recordOf(alice.m.identity(), clock.t + 1))).not.toBeNull()
  })

  it('an older record arriving late does not replace a newer one', async () => {
    const older = recordOf(alice.m.identity(), 100)
    const newer = recordOf(alice.m.identity(), 200, [relay(3)])
    const first = await alice.m.composeReach(bob.id, older)
    const second = await alice.m.composeReach(bob.id, newer)
    // Reordered on the way: the newer one lands first.
    await deliver(second!, bob)
    expect(await bob.m.contactReach(alice.id)).toEqual(newer)
    const effects = await deliverWithEffects(first!, bob)
    expect(await bob.m.contactReach(alice.id)).toEqual(newer)
    // Stale is not hostile: nothing is reported.
    expect(effects.reachDropped).toEqual([])
  })

  it("drops and reports someone else's record, however genuine, sent by a contact", async () => {
    const own = recordOf(alice.m.identity(), 100)
    await deliver((await alice.m.composeReach(bob.id, own))!, bob)
    const mallory = generateIdentity(crypto, seededRandom('Mallory'))
    const theirs = recordOf(mallory, 500, [relay(9)])
    const effects = await deliverWithEffects((await alice.m.composeReach(bob.id, theirs))!, bob)
    expect(effects.reachDropped).toEqual([{ contactId: alice.id, reason: 'not-theirs' }])
    expect(await bob.m.contactReach(alice.id)).toEqual(own)
  })

  it('drops and reports a forged or expired record', async () => {
    const genuine = recordOf(alice.m.identity(), 100)
    const forged = genuine.slice()
    forged[forged.length - 1]! ^= 0x01 // the signature's last byte
    let effects = await deliverWithEffects((await alice.m.composeReach(bob.id, forged))!, bob)
    expect(effects.reachDropped).toEqual([{ contactId: alice.id, reason: 'invalid' }])
    expect(await bob.m.contactReach(alice.id)).toBeNull()

    // Genuine but already void when it arrives (expiresAt is the first void ms).
    const short = signReachRecord(crypto, alice.m.identity(), { seqno: 200, issuedAt: clock.t, expiresAt: clock.t + 1_000, relays: [relay(1)] })
    const late = await alice.m.composeReach(bob.id, short)
    clock.t += 1_000
    effects = await deliverWithEffects(late!, bob)
    expect(effects.reachDropped).toEqual([{ contactId: alice.id, reason: 'invalid' }])
    expect(await bob.m.contactReach(alice.id)).toBeNull()
  })

  it('a dropped record does not cost the rest of the envelope: the session step and the contact stay', async () => {
    const mallory = generateIdentity(crypto, seededRandom('Mallory'))
    await deliver((await alice.m.composeReach(bob.id, recordOf(mallory, 1)))!, bob)
    // Bob can still read what Alice sends next on the same session.
    const { outgoing } = await alice.m.compose(bob.id, 'still here')
    const events = await deliver(outgoing, bob)
    expect(events.some((e) => e.type === 'message' && e.message.text === 'still here')).toBe(true)
  })

  it('both what Bob holds and what Alice sent survive a restart (stored in the contact records)', async () => {
    const record = recordOf(alice.m.identity(), 100, [relay(4)])
    await deliver((await alice.m.composeReach(bob.id, record))!, bob)
    const bobAgain = createMessenger({ crypto, random: seededRandom('Bob again'), clock, store: bob.store })
    await bobAgain.load()
    expect(await bobAgain.contactReach(alice.id)).toEqual(record)
    const aliceAgain = createMessenger({ crypto, random: seededRandom('Alice again'), clock, store: alice.store })
    await aliceAgain.load()
    expect(await aliceAgain.composeReach(bob.id, record)).toBeNull()
    expect(await aliceAgain.composeReach(bob.id, recordOf(alice.m.identity(), 101))).not.toBeNull()
  })

  it('asks for our record to go to a contact whose intro just arrived, not on every message', async () => {
    const carol = await person('Carol', clock)
    const { outgoing } = await carol.m.acceptOffer(bob.m.createOffer([]))
    const atBob = await deliverWithEffects(outgoing, bob)
    expect(atBob.shareReach).toEqual([carol.id])
    const { outgoing: text } = await alice.m.compose(bob.id, 'hi')
    expect((await deliverWithEffects(text, bob)).shareReach).toEqual([])
  })

  it('refuses an unknown contact, and reads null for one', async () => {
    const record = recordOf(alice.m.identity(), 1)
    expect(await errorName(() => alice.m.composeReach('00'.repeat(32), record))).toBe('UnknownContactError')
    expect(await bob.m.contactReach('00'.repeat(32))).toBeNull()
  })

  it("a contact's key change (a new device) forgets what we sent them, not what they sent us", async () => {
    const store = createMemoryStore()
    const book = createContactBook(crypto, store, () => bob.m.identity().signingKey.publicKey, () => clock.t)
    const real = alice.m.identity()
    const proof = { identity: real.signingKey.publicKey, staticKey: real.staticKey.publicKey, binding: real.binding }
    const met = await book.learn(proof, 'Alice', [])
    const record = recordOf(real, 100)
    await store.batch([book.put({ ...met.record, reach: toHex(record), reachSent: 42 })])
    // The same key changes neither field.
    expect((await book.learn(proof, null, [])).record).toMatchObject({ reachSent: 42 })
    const rotated = generateX25519KeyPair(crypto, seededRandom('new phone'))
    const rekeyed = { ...proof, staticKey: rotated.publicKey, binding: bindStaticKey(crypto, real.signingKey.secretKey, rotated.publicKey) }
    const learned = await book.learn(rekeyed, null, [])
    expect(learned.keyChanged).toBe(true)
    expect(learned.record.reachSent).toBeUndefined()
    expect(learned.record.reach).toBe(toHex(record))
  })
})

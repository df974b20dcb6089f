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
import type { StoreOp } from '../../ports/index.ts'
import { createMemoryStore } from '../../store/memoryStore.ts'
import { createContactBook } from '../contactBook.ts'
import { createMessenger } from '../messenger.ts'
import { decodeRecord } from '../records.ts'
import type { ContactRecord } from '../records.ts'
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

describe('reach records in offers', () => {
  let carol: Person
  let dave: Person
  beforeEach(async () => {
    carol = await person('Carol', clock)
    dave = await person('Dave', clock)
  })

  it("accepting an offer keeps the maker's valid record, stored with the contact", async () => {
    const record = recordOf(carol.m.identity(), 100, [relay(5), relay(6)])
    const accepted = await dave.m.acceptOffer(carol.m.createOffer(['wss://carol.example'], record))
    expect(accepted.reachDropped).toBeUndefined()
    expect('reachDropped' in accepted).toBe(false)
    expect(accepted.contact.id).toBe(carol.id)
    expect(await dave.m.contactReach(carol.id)).toEqual(record)
    // In the stored contact record itself, so a restart keeps it.
    const daveAgain = createMessenger({ crypto, random: seededRandom('Dave again'), clock, store: dave.store })
    await daveAgain.load()
    expect(await daveAgain.contactReach(carol.id)).toEqual(record)
  })

  it("the accepter's own record rides in the intro's envelope: the maker knows it before answering", async () => {
    const mine = recordOf(dave.m.identity(), 200, [relay(7)])
    const { outgoing } = await dave.m.acceptOffer(carol.m.createOffer([]), mine)
    const atCarol = await deliverWithEffects(outgoing, carol)
    expect(atCarol.reachKept).toEqual([{ contactId: dave.id, record: mine }])
    expect(await carol.m.contactReach(dave.id)).toEqual(mine)
    // Sent once: the engine's share after the intro finds this seqno already sent.
    expect(await dave.m.composeReach(carol.id, mine)).toBeNull()
  })

  it('an offer without a record (none yet, or null) adds the contact with none', async () => {
    for (const reach of [undefined, null]) {
      const erin = await person('Erin', clock)
      const accepted = await erin.m.acceptOffer(carol.m.createOffer([], reach))
      expect(accepted.reachDropped).toBeUndefined()
      expect(await erin.m.contactReach(carol.id)).toBeNull()
    }
  })

  it("drops someone else's record, however genuine, as 'not-theirs'; the contact is still added", async () => {
    const mallory = generateIdentity(crypto, seededRandom('Mallory'))
    const accepted = await dave.m.acceptOffer(carol.m.createOffer([], recordOf(mallory, 100, [relay(9)])))
    expect(accepted.reachDropped).toBe('not-theirs')
    expect(accepted.contact).toMatchObject({ id: carol.id, displayName: 'Carol' })
    expect((await dave.m.contacts()).map((c) => c.id)).toEqual([carol.id])
    expect(await dave.m.contactReach(carol.id)).toBeNull()
    // The intro still went out and reaches Carol.
    const { outgoing } = accepted
    expect(await deliver(outgoing, carol)).toMatchObject([{ type: 'contact', contact: { id: dave.id } }])
  })

  it("drops an expired or forged record as 'invalid'; the contact is still added", async () => {
    const short = signReachRecord(crypto, carol.m.identity(), { seqno: 1, issuedAt: clock.t, expiresAt: clock.t + 1_000, relays: [relay(1)] })
    const code = carol.m.createOffer([], short)
    clock.t += 1_000 // expiresAt is the first void ms
    const expired = await dave.m.acceptOffer(code)
    expect(expired.reachDropped).toBe('invalid')
    expect(expired.contact.id).toBe(carol.id)
    expect(await dave.m.contactReach(carol.id)).toBeNull()

    const forged = recordOf(carol.m.identity(), 2)
    forged[forged.length - 1]! ^= 0x01 // the signature's last byte
    const erin = await person('Erin', clock)
    const accepted = await erin.m.acceptOffer(carol.m.createOffer([], forged))
    expect(accepted.reachDropped).toBe('invalid')
    expect((await erin.m.contacts()).map((c) => c.id)).toEqual([carol.id])
    expect(await erin.m.contactReach(carol.id)).toBeNull()
  })

  it('an older record in an offer leaves the newer one held, and is not reported', async () => {
    const newer = recordOf(carol.m.identity(), 200, [relay(2)])
    await dave.m.acceptOffer(carol.m.createOffer([], newer))
    const older = await dave.m.acceptOffer(carol.m.createOffer([], recordOf(carol.m.identity(), 100)))
    expect(older.reachDropped).toBeUndefined()
    expect(await dave.m.contactReach(carol.id)).toEqual(newer)
    const newest = recordOf(carol.m.identity(), 300, [relay(3)])
    await dave.m.acceptOffer(carol.m.createOffer([], newest))
    expect(await dave.m.contactReach(carol.id)).toEqual(newest)
  })

  it('writes the record in the same store batch as the contact, the intro and its outbox entry', async () => {
    const record = recordOf(carol.m.identity(), 100)
    const code = carol.m.createOffer([], record)
    const batches: StoreOp[][] = []
    const batch = dave.store.batch.bind(dave.store)
    dave.store.batch = (ops) => {
      batches.push([...ops])
      return batch(ops)
    }
    await dave.m.acceptOffer(code)
    expect(batches).toHaveLength(1)
    const contactOps = batches[0]!.filter((op) => op.key === `contact/${carol.id}`)
    expect(contactOps).toHaveLength(1)
    const written = contactOps[0]!
    if (written.type !== 'set') throw new Error('the contact was not written')
    expect(decodeRecord<ContactRecord>('contact', written.value).reach).toBe(toHex(record))
    expect(batches[0]!.some((op) => op.key.startsWith('outbox/'))).toBe(true)
  })
})

import { beforeEach, describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../bytes.ts'
import { generateX25519KeyPair } from '../../crypto/keyPair.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { safetyNumber } from '../../identity/index.ts'
import { decodeOffer, encodeOffer } from '../../offer/index.ts'
import { createMemoryStore } from '../../store/memoryStore.ts'
import { createMessenger, MAX_TEXT_BYTES } from '../messenger.ts'
import type { FakeClock, Person } from './harness.ts'
import { crypto, deliver, dump, errorName, fakeClock, pair, person } from './harness.ts'

let clock: FakeClock
beforeEach(() => {
  clock = fakeClock()
})

describe('createProfile', () => {
  it('refuses empty, too long and control-character names with InvalidDisplayNameError', async () => {
    const store = createMemoryStore()
    const m = createMessenger({ crypto, random: seededRandom('names'), clock, store })
    for (const bad of ['', '   ', 'a'.repeat(65), 'a\u0000b', 'tab\there', 'x\u202Ey', 'line\u2028break']) {
      expect(await errorName(() => m.createProfile(bad)), JSON.stringify(bad)).toBe('InvalidDisplayNameError')
    }
    expect(await dump(store)).toEqual({})
    expect(m.profile()).toBeNull()
  })

  it('trims, accepts 64 characters (not bytes), and stores a profile that load() reads back', async () => {
    const store = createMemoryStore()
    const m = createMessenger({ crypto, random: seededRandom('trim'), clock, store })
    expect((await m.createProfile('  Zoë  ')).displayName).toBe('Zoë')
    const again = createMessenger({ crypto, random: seededRandom('other'), clock, store })
    expect(await again.load()).toEqual(m.profile())
    expect((await person('😀'.repeat(64), clock)).m.profile()?.displayName).toBe('😀'.repeat(64))
  })

  it('a second profile is ProfileExistsError, also from a new messenger on the same store', async () => {
    const alice = await person('Alice', clock)
    expect(await errorName(() => alice.m.createProfile('Eve'))).toBe('ProfileExistsError')
    // Regression: the check looked only at memory, so createProfile without load()
    // replaced the identity key in the store, losing the user's identity.
    const before = await dump(alice.store)
    const fresh = createMessenger({ crypto, random: seededRandom('fresh'), clock, store: alice.store })
    expect(await errorName(() => fresh.createProfile('Eve'))).toBe('ProfileExistsError')
    expect(await dump(alice.store)).toEqual(before)
  })

  it('everything that needs an identity is NoProfileError before onboarding', async () => {
    const bob = await person('Bob', clock)
    const m = createMessenger({ crypto, random: seededRandom('none'), clock, store: createMemoryStore() })
    expect(await m.load()).toBeNull()
    expect(m.profile()).toBeNull()
    expect(await errorName(() => m.identity())).toBe('NoProfileError')
    expect(await errorName(() => m.createOffer([]))).toBe('NoProfileError')
    expect(await errorName(() => m.acceptOffer(bob.m.createOffer([])))).toBe('NoProfileError')
    expect(await errorName(() => m.compose(bob.id, 'hi'))).toBe('NoProfileError')
    const { outgoing } = await (await person('Carol', clock)).m.acceptOffer(bob.m.createOffer([]))
    expect(await errorName(() => deliver(outgoing, { m, store: createMemoryStore(), id: '' }))).toBe('NoProfileError')
  })
})

describe('offers', () => {
  it('accepting an offer adds the contact; both sides compute the same safety number', async () => {
    const alice = await person('Alice', clock)
    const bob = await person('Bob', clock)
    const { contact, outgoing } = await alice.m.acceptOffer(bob.m.createOffer(['wss://relay.example']))
    expect(contact).toMatchObject({ id: bob.id, displayName: 'Bob', addedAt: clock.t })
    expect(contact.safetyNumber).toBe(safetyNumber(crypto, fromHex(bob.id), fromHex(alice.id)))
    expect(contact.safetyNumber).toMatch(/^(\d{5} ){11}\d{5}$/)
    expect(outgoing.destination).toBe(bob.id)
    expect(await alice.m.contactRelays()).toEqual(['wss://relay.example'])

    const events = await deliver(outgoing, bob)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'contact', contact: { id: alice.id, displayName: 'Alice' } })
    const [seenByBob] = await bob.m.contacts()
    expect(seenByBob?.safetyNumber).toBe(contact.safetyNumber)
    expect(await bob.m.history(alice.id)).toEqual([]) // the intro is not a message
  })

  it('accepting your own code is InvalidMessageError and stores nothing', async () => {
    const alice = await person('Alice', clock)
    const before = await dump(alice.store)
    expect(await errorName(() => alice.m.acceptOffer(alice.m.createOffer([])))).toBe('InvalidMessageError')
    expect(await dump(alice.store)).toEqual(before)
  })

  it('a code whose binding does not sign its static key is SenderProofError and stores nothing', async () => {
    const alice = await person('Alice', clock)
    const bob = await person('Bob', clock)
    const mallory = generateX25519KeyPair(crypto, seededRandom('mallory'))
    const me = bob.m.identity()
    const forged = encodeOffer({
      identity: me.signingKey.publicKey,
      staticKey: mallory.publicKey,
      binding: me.binding,
      signedPrekey: decodeOffer(bob.m.createOffer([])).signedPrekey,
      displayName: 'Bob',
      relays: [],
    })
    const before = await dump(alice.store)
    expect(await errorName(() => alice.m.acceptOffer(forged))).toBe('SenderProofError')
    expect(await dump(alice.store)).toEqual(before)
  })

  it('a damaged code is InvalidOfferError and stores nothing', async () => {
    const alice = await person('Alice', clock)
    const code = (await person('Bob', clock)).m.createOffer([])
    const before = await dump(alice.store)
    const swapped = code.slice(0, 20) + (code[20] === 'A' ? 'B' : 'A') + code.slice(21)
    for (const bad of ['', 'hello', code.slice(0, -3), swapped, code + '!']) {
      expect(await errorName(() => alice.m.acceptOffer(bad))).toBe('InvalidOfferError')
    }
    expect(await dump(alice.store)).toEqual(before)
    expect(await alice.m.contacts()).toEqual([])
  })

  it('accepting the offer of someone who already introduced themselves keeps their relays', async () => {
    const { alice, bob } = await pair(clock)
    // Bob knows Alice from her intro, which names no relays; her offer does.
    await bob.m.acceptOffer(alice.m.createOffer(['wss://alice.example']))
    expect(await bob.m.contactRelays()).toEqual(['wss://alice.example'])
    expect((await bob.m.contacts()).map((c) => c.id)).toEqual([alice.id])
  })
})

describe('compose, outbox, markSent', () => {
  it('stores the message as queued with its envelope before anything is sent', async () => {
    const { alice, bob } = await pair(clock)
    const { message, outgoing } = await alice.m.compose(bob.id, 'hello Bob')
    expect(message).toMatchObject({ contactId: bob.id, direction: 'out', text: 'hello Bob', status: 'queued', timestamp: clock.t })
    // The envelope has an id of its own; the message keeps its id inside it.
    expect(outgoing).toMatchObject({ destination: bob.id })
    expect(outgoing.messageId).not.toBe(message.id)
    expect(await alice.m.history(bob.id)).toEqual([message])
    const outbox = await alice.m.outbox()
    expect(outbox.map((o) => [o.envelopeId, o.destination, o.envelope, o.messageIds, o.attempts])).toEqual([
      [outgoing.messageId, bob.id, toHex(outgoing.bytes), [message.id], 0],
    ])

    expect(await alice.m.markSent(bob.id, outgoing.messageId)).toEqual([{ ...message, status: 'sent' }])
    expect(await alice.m.history(bob.id)).toEqual([{ ...message, status: 'sent' }])
    // Sent is not done: the entry stays until the end-to-end receipt.
    expect((await alice.m.outbox()).map((o) => o.envelopeId)).toEqual([outgoing.messageId])
    expect(await alice.m.markSent(bob.id, outgoing.messageId)).toEqual([])
    expect(await alice.m.markSent(bob.id, '00'.repeat(16))).toEqual([])
    await alice.m.recordAttempt(bob.id, outgoing.messageId, 3)
    expect((await alice.m.outbox())[0]?.attempts).toBe(3)
  })

  it('an unsent envelope survives a restart, same bytes, same id', async () => {
    const { alice, bob } = await pair(clock)
    const { message, outgoing } = await alice.m.compose(bob.id, 'still here?')
    const restarted = createMessenger({ crypto, random: seededRandom('restart'), clock, store: alice.store })
    expect((await restarted.load())?.id).toBe(alice.id)
    const [entry, ...rest] = await restarted.outbox()
    expect(rest).toEqual([])
    expect(entry?.envelopeId).toBe(outgoing.messageId)
    expect(entry?.envelope).toBe(toHex(outgoing.bytes))
    expect((await restarted.history(bob.id))[0]?.status).toBe('queued')
    expect((await deliver(fromHex(entry!.envelope), bob))[0]).toMatchObject({ type: 'message', message: { id: message.id } })
  })

  it('outbox() is oldest first, as documented (not in random-id order)', async () => {
    const { alice, bob } = await pair(clock)
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      clock.t += 1000
      ids.push((await alice.m.compose(bob.id, `m${i}`)).outgoing.messageId)
    }
    expect((await alice.m.outbox()).map((o) => o.envelopeId)).toEqual(ids)
  })

  it('composeBatch seals a burst into as few envelopes as fit, each message keeping its own id, in order', async () => {
    const { alice, bob } = await pair(clock)
    const texts = Array.from({ length: 10 }, (_, i) => `burst ${i}`)
    const { messages, outgoing } = await alice.m.composeBatch(bob.id, texts)
    expect(outgoing).toHaveLength(1)
    expect(messages.map((m) => m.text)).toEqual(texts)
    expect(new Set(messages.map((m) => m.id)).size).toBe(10)
    const events = await deliver(outgoing[0]!, bob)
    expect(events.map((e) => (e.type === 'message' ? [e.message.id, e.message.text] : null))).toEqual(
      messages.map((m) => [m.id, m.text]),
    )
    // Three 16 KiB messages do not fit one envelope's budget: they split, in order.
    const big = ['a', 'b', 'c', 'd'].map((c) => c.repeat(MAX_TEXT_BYTES))
    const split = await alice.m.composeBatch(bob.id, big)
    expect(split.outgoing.length).toBe(2)
    const received = []
    for (const o of split.outgoing) received.push(...(await deliver(o, bob)))
    expect(received.map((e) => (e.type === 'message' ? e.message.text[0] : ''))).toEqual(['a', 'b', 'c', 'd'])
    expect((await alice.m.markSent(bob.id, split.outgoing[0]!.messageId)).map((m) => m.status)).toEqual(['sent', 'sent', 'sent'])
  })

  it('refuses empty, too long and ill-formed text with InvalidMessageError; storing nothing', async () => {
    const { alice, bob } = await pair(clock)
    const before = await dump(alice.store)
    for (const bad of ['', '  \n', 'a'.repeat(MAX_TEXT_BYTES + 1), 'é'.repeat(MAX_TEXT_BYTES / 2 + 1), 'lone \uD800']) {
      expect(await errorName(() => alice.m.compose(bob.id, bad)), bad.slice(0, 10)).toBe('InvalidMessageError')
    }
    expect(await dump(alice.store)).toEqual(before)
    const { outgoing } = await alice.m.compose(bob.id, 'a'.repeat(MAX_TEXT_BYTES))
    const [event] = await deliver(outgoing, bob)
    expect(event?.type === 'message' && event.message.text.length).toBe(MAX_TEXT_BYTES)
  })

  it('compose to an unknown contact is UnknownContactError', async () => {
    const alice = await person('Alice', clock)
    expect(await errorName(() => alice.m.compose('ab'.repeat(32), 'hi'))).toBe('UnknownContactError')
    expect(await alice.m.outbox()).toEqual([])
  })
})

describe('history', () => {
  async function conversation(): Promise<{ alice: Person; bob: Person; times: number[] }> {
    const { alice, bob } = await pair(clock)
    const times: number[] = []
    for (let i = 0; i < 10; i++) {
      clock.t += 1000
      times.push(clock.t)
      if (i % 3 === 0) await deliver((await bob.m.compose(alice.id, `b${i}`)).outgoing, alice)
      else await alice.m.compose(bob.id, `a${i}`)
    }
    return { alice, bob, times }
  }

  it('pages backwards by position, each page oldest first', async () => {
    const { alice, bob, times } = await conversation()
    const all = await alice.m.history(bob.id)
    expect(all.map((m) => m.timestamp)).toEqual(times)
    expect(all.map((m) => m.seq)).toEqual(times.map((_, i) => i))
    expect(all.map((m) => m.direction)).toEqual(times.map((_, i) => (i % 3 === 0 ? 'in' : 'out')))
    expect((await alice.m.history(bob.id, { limit: 3 })).map((m) => m.text)).toEqual(['a7', 'a8', 'b9'])
    const page = await alice.m.history(bob.id, { before: 5, limit: 3 })
    expect(page.map((m) => m.timestamp)).toEqual(times.slice(2, 5))
    expect(await alice.m.history(bob.id, { before: 0 })).toEqual([])
    expect(await alice.m.history('cd'.repeat(32))).toEqual([])
  })
})

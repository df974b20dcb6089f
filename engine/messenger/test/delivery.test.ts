/** Honest delivery states: queued → sent → relayed → delivered → read, or failed; only a receipt delivers. */
import { beforeEach, describe, expect, it } from 'vitest'
import { MESSAGE_LIFETIME_MS } from '../messenger.ts'
import type { FakeClock, Person } from './harness.ts'
import { deliverWithEffects, fakeClock, pair } from './harness.ts'

let clock: FakeClock
let alice: Person
let bob: Person
beforeEach(async () => {
  clock = fakeClock()
  ;({ alice, bob } = await pair(clock))
})

const statusOf = async (who: Person, contactId: string, id: string): Promise<string | undefined> =>
  (await who.m.history(contactId)).find((m) => m.id === id)?.status

describe('delivery states', () => {
  it('moves queued → sent → relayed → delivered, and only the receipt delivers', async () => {
    const { message, outgoing } = await alice.m.compose(bob.id, 'are you there?')
    expect(await statusOf(alice, bob.id, message.id)).toBe('queued')
    expect((await alice.m.markSent(outgoing.messageId)).map((m) => m.status)).toEqual(['sent'])
    expect((await alice.m.markRelayed(outgoing.messageId)).map((m) => m.status)).toEqual(['relayed'])
    expect(await statusOf(alice, bob.id, message.id)).toBe('relayed')

    const atBob = await deliverWithEffects(outgoing, bob)
    expect(atBob.replies).toHaveLength(1)
    const atAlice = await deliverWithEffects(atBob.replies[0]!, alice)
    expect(atAlice.events).toEqual([{ type: 'messageStatus', id: message.id, contactId: bob.id, status: 'delivered' }])
    // A receipt carries no receipt of its own.
    expect(atAlice.replies).toEqual([])
    expect(await statusOf(alice, bob.id, message.id)).toBe('delivered')
    // Never backwards: a late custody ack changes nothing.
    expect(await alice.m.markRelayed(outgoing.messageId)).toEqual([])
    expect(await statusOf(alice, bob.id, message.id)).toBe('delivered')
  })

  it('receipts cover every message of a batch', async () => {
    const { messages, outgoing } = await alice.m.composeBatch(bob.id, ['one', 'two', 'three'])
    const atBob = await deliverWithEffects(outgoing[0]!, bob)
    const atAlice = await deliverWithEffects(atBob.replies[0]!, alice)
    expect(atAlice.events.map((e) => (e.type === 'messageStatus' ? e.id : null))).toEqual(messages.map((m) => m.id))
  })

  it('read receipts are opt-in: off, reading is local; on, the sender sees read', async () => {
    const first = await alice.m.compose(bob.id, 'first')
    const receipt = (await deliverWithEffects(first.outgoing, bob)).replies[0]!
    await deliverWithEffects(receipt, alice)
    expect(await bob.m.readReceipts()).toBe(false)
    const quiet = await bob.m.markRead(alice.id)
    expect(quiet.events).toEqual([{ type: 'messageStatus', id: first.message.id, contactId: alice.id, status: 'read' }])
    expect(quiet.replies).toEqual([])
    expect(await statusOf(alice, bob.id, first.message.id)).toBe('delivered')

    await bob.m.setReadReceipts(true)
    const second = await alice.m.compose(bob.id, 'second')
    await deliverWithEffects((await deliverWithEffects(second.outgoing, bob)).replies[0]!, alice)
    const loud = await bob.m.markRead(alice.id)
    expect(loud.replies).toHaveLength(1)
    const atAlice = await deliverWithEffects(loud.replies[0]!, alice)
    expect(atAlice.events).toEqual([{ type: 'messageStatus', id: second.message.id, contactId: bob.id, status: 'read' }])
    // Already-read messages are not read again.
    expect((await bob.m.markRead(alice.id)).replies).toEqual([])
  })

  it('fails undelivered mail at its expiry with a reason, and leaves delivered mail alone', async () => {
    const lost = await alice.m.compose(bob.id, 'into the void')
    const fine = await alice.m.compose(bob.id, 'this one arrives')
    await deliverWithEffects((await deliverWithEffects(fine.outgoing, bob)).replies[0]!, alice)
    expect(await alice.m.expire()).toEqual([])
    clock.t += MESSAGE_LIFETIME_MS + 1
    const failed = await alice.m.expire()
    expect(failed).toEqual([{ ...lost.message, status: 'failed', failure: 'expired' }])
    expect(await statusOf(alice, bob.id, fine.message.id)).toBe('delivered')
    expect(await alice.m.outbox()).toEqual([])
    expect(await alice.m.expire()).toEqual([])
  })
})

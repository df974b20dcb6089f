/** Honest delivery states: queued → sent → relayed → delivered → read, or failed; only a receipt delivers. */
import { beforeEach, describe, expect, it } from 'vitest'
import { fromHex } from '../../bytes.ts'
import type { FakeClock, Person } from './harness.ts'
import { deliverWithEffects, fakeClock, pair, person } from './harness.ts'

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
    expect((await alice.m.markSent(bob.id, outgoing.messageId)).map((m) => m.status)).toEqual(['sent'])
    expect((await alice.m.markRelayed(bob.id, outgoing.messageId)).map((m) => m.status)).toEqual(['relayed'])
    expect(await statusOf(alice, bob.id, message.id)).toBe('relayed')

    const atBob = await deliverWithEffects(outgoing, bob)
    expect(atBob.replies).toHaveLength(1)
    const atAlice = await deliverWithEffects(atBob.replies[0]!, alice)
    expect(atAlice.events).toEqual([{ type: 'messageStatus', id: message.id, contactId: bob.id, status: 'delivered' }])
    // The receipt completes the outbox entry: it is never sent again.
    expect(atAlice.delivered).toEqual([{ contactId: bob.id, envelopeId: outgoing.messageId }])
    expect(await alice.m.outbox()).toEqual([])
    // A receipt carries no receipt of its own.
    expect(atAlice.replies).toEqual([])
    expect(await statusOf(alice, bob.id, message.id)).toBe('delivered')
    // Never backwards: a late custody ack changes nothing.
    expect(await alice.m.markRelayed(bob.id, outgoing.messageId)).toEqual([])
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

  it('fails an envelope the outbox gave up on, with its reason; the user retries it with the same ids', async () => {
    const lost = await alice.m.composeBatch(bob.id, ['into', 'the void'])
    const fine = await alice.m.compose(bob.id, 'this one arrives')
    await deliverWithEffects((await deliverWithEffects(fine.outgoing, bob)).replies[0]!, alice)
    const envelopeId = lost.outgoing[0]!.messageId
    const failed = await alice.m.fail(bob.id, envelopeId, 'expired')
    expect(failed).toEqual(lost.messages.map((m) => ({ ...m, status: 'failed', failure: 'expired' })))
    expect(await statusOf(alice, bob.id, fine.message.id)).toBe('delivered')
    expect(await alice.m.outbox()).toEqual([])
    // Failing twice, or a finished envelope, changes nothing.
    expect(await alice.m.fail(bob.id, envelopeId, 'expired')).toEqual([])
    expect(await alice.m.fail(bob.id, fine.outgoing.messageId, 'expired')).toEqual([])

    await expect(alice.m.retry(bob.id, [fine.message.id])).rejects.toMatchObject({ name: 'NotRetriableError' })
    const again = await alice.m.retry(bob.id, lost.messages.map((m) => m.id))
    expect(again.messages).toEqual(lost.messages)
    expect(again.outgoing).toHaveLength(1)
    expect(again.outgoing[0]!.messageId).not.toBe(envelopeId)
    expect((await alice.m.outbox()).map((o) => o.envelopeId)).toEqual([again.outgoing[0]!.messageId])
    const atBob = await deliverWithEffects(again.outgoing[0]!, bob)
    expect(atBob.events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.message.id : ''))).toEqual(lost.messages.map((m) => m.id))
    await deliverWithEffects(atBob.replies[0]!, alice)
    expect((await alice.m.history(bob.id)).map((m) => m.status)).toEqual(['delivered', 'delivered', 'delivered'])
  })

  it('a receipt from another contact cannot deliver a message', async () => {
    const { message, outgoing } = await alice.m.compose(bob.id, 'for Bob only')
    const carol = await person('Carol', clock)
    await deliverWithEffects((await alice.m.acceptOffer(carol.m.createOffer([]))).outgoing, carol)
    // Carol learned the id somehow (it is sealed; say Bob told her) and acknowledges it herself.
    const forged = await carol.m.acknowledge(alice.id, [fromHex(message.id)])
    const atAlice = await deliverWithEffects(forged, alice)
    expect(atAlice.events).toEqual([])
    expect(atAlice.delivered).toEqual([])
    expect(await statusOf(alice, bob.id, message.id)).toBe('queued')
    expect((await alice.m.outbox()).map((o) => o.envelopeId)).toContain(outgoing.messageId)
  })
})

/**
 * A session that fell behind for good: more than MAX_SKIP of the contact's
 * messages (receipts, say) were lost while this device was away, so their next
 * one cannot be followed. The messenger starts a new session and reseals what
 * waits for them, keeping the message ids; their answer comes on the new
 * session and the messages are delivered, shown once.
 */
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../bytes.ts'
import { MAX_SKIP } from '../../session/ratchetState.ts'
import { decodeEnvelope } from '../../wire/index.ts'
import { deliverWithEffects, fakeClock, pair } from './harness.ts'

describe('resync after too many lost messages', () => {
  it('reseals waiting messages on a new session and is delivered once', async () => {
    const clock = fakeClock()
    const { alice, bob } = await pair(clock)
    const { message, outgoing } = await alice.m.compose(bob.id, 'are you getting these?')
    const atBob = await deliverWithEffects(outgoing, bob)
    expect(atBob.events).toHaveLength(1)
    // Bob's receipts to Alice are lost, MAX_SKIP + 1 of them; then one arrives.
    for (let i = 0; i <= MAX_SKIP; i++) await bob.m.acknowledge(alice.id, [fromHex(message.id)])
    const late = await bob.m.acknowledge(alice.id, [fromHex(message.id)])
    const atAlice = await alice.m.receive(decodeEnvelope(late.bytes))
    expect(atAlice.resync).toEqual([bob.id])
    expect(atAlice.events).toEqual([])

    const { replaced, composed } = await alice.m.resync(bob.id)
    expect(replaced).toEqual([outgoing.messageId])
    const [again] = composed.flatMap((c) => c.outgoing)
    expect(composed.flatMap((c) => c.messages.map((m) => m.id))).toEqual([message.id])
    expect((await alice.m.outbox()).map((o) => o.envelopeId)).toEqual([again!.messageId])
    expect(await alice.store.keys('resend/')).toEqual([])

    // Bob opens the new session, shows nothing twice, and answers on it: Alice can read that.
    const bobSide = await deliverWithEffects(again!, bob)
    expect(bobSide.events.filter((e) => e.type === 'message')).toEqual([])
    const final = await deliverWithEffects(bobSide.replies[0]!, alice)
    expect(final.resync).toEqual([])
    expect(final.delivered).toEqual([{ contactId: bob.id, envelopeId: again!.messageId }])
    expect((await alice.m.history(bob.id)).map((m) => m.status)).toEqual(['delivered'])
    expect((await bob.m.history(alice.id)).map((m) => m.text)).toEqual(['are you getting these?'])
  })
})

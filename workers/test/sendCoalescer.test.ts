import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../engine/store/memoryStore.ts'
import { createMessenger } from '../../engine/messenger/index.ts'
import type { Messenger, MessageView, Outgoing } from '../../engine/messenger/index.ts'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { seededRandom } from '../../engine/crypto/test/seededRandom.ts'
import { decodeEnvelope } from '../../engine/wire/index.ts'
import { systemClock } from '../systemPorts.ts'
import { createSendCoalescer } from '../sendCoalescer.ts'

async function pair(): Promise<{ alice: Messenger; bob: Messenger; bobId: string }> {
  const make = async (name: string): Promise<Messenger> => {
    const m = createMessenger({ crypto: nobleCrypto(), random: seededRandom(name), clock: systemClock(), store: createMemoryStore() })
    await m.createProfile(name)
    return m
  }
  const alice = await make('Alice')
  const bob = await make('Bob')
  const { outgoing } = await alice.acceptOffer(bob.createOffer([]))
  await bob.receive(decodeEnvelope(outgoing.bytes))
  return { alice, bob, bobId: bob.profile()!.id }
}

describe('sendCoalescer', () => {
  it('sends one tick of messages to a contact as one envelope, each caller getting its own message', async () => {
    const { alice, bob, bobId } = await pair()
    const sealed: { messages: readonly MessageView[]; outgoing: readonly Outgoing[] }[] = []
    const send = createSendCoalescer(alice, (messages, outgoing) => sealed.push({ messages, outgoing }))
    const results = await Promise.all(['one', 'two', 'three'].map((t) => send(bobId, t)))
    expect(results.map((m) => m.text)).toEqual(['one', 'two', 'three'])
    expect(sealed).toHaveLength(1)
    expect(sealed[0]!.outgoing).toHaveLength(1)
    const events = await bob.receive(decodeEnvelope(sealed[0]!.outgoing[0]!.bytes))
    expect(events.events.filter((e) => e.type === 'message')).toHaveLength(3)
  })

  it('rejects only the bad message of a burst; its neighbours are still sent', async () => {
    const { alice, bobId } = await pair()
    const sealed: MessageView[] = []
    const send = createSendCoalescer(alice, (messages) => sealed.push(...messages))
    const outcomes = await Promise.allSettled([send(bobId, 'fine'), send(bobId, '   '), send(bobId, 'also fine')])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((outcomes[1] as PromiseRejectedResult).reason.name).toBe('InvalidMessageError')
    expect(sealed.map((m) => m.text)).toEqual(['fine', 'also fine'])
  })
})

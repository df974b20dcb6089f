import { describe, expect, it } from 'vitest'
import { SimulatedClock, createActor, fromPromise, setup, spawnChild } from 'xstate'
import type { AnyActorRef } from 'xstate'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import { seededRandom } from '../../engine/crypto/test/seededRandom.ts'
import type { Link } from '../../engine/ports/index.ts'
import { createMemoryNetwork } from '../../engine/transport/index.ts'
import { waitFor } from '../../test/support/waitFor.ts'
import { createLinkChannel } from '../linkChannel.ts'
import type { LinkChannel } from '../linkChannel.ts'
import { BACKOFF_CAP_MS, HANDSHAKE_TIMEOUT_MS, backoffDelay, peerLinkMachine } from '../peerLink.ts'
import type { PeerLinkInput, PeerLinkParentEvent } from '../peerLink.ts'

const crypto = nobleCrypto()
const random = seededRandom('peerLink')
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

/** A parent that records what its peerLink child tells it. */
function harness(input: PeerLinkInput, logic = peerLinkMachine) {
  const heard: PeerLinkParentEvent['type'][] = []
  const parent = setup({
    types: { events: {} as PeerLinkParentEvent, input: {} as PeerLinkInput, context: {} as { input: PeerLinkInput } },
    actors: { peerLink: logic },
  }).createMachine({
    context: ({ input }) => ({ input }),
    entry: spawnChild('peerLink', { id: 'link', input: ({ context }) => context.input }),
    on: {
      LINK_OPEN: { actions: () => heard.push('LINK_OPEN') },
      LINK_DOWN: { actions: () => heard.push('LINK_DOWN') },
      LINK_STATE: {},
    },
  })
  const clock = new SimulatedClock()
  const actor = createActor(parent, { clock, input }).start()
  const child = (): AnyActorRef => actor.getSnapshot().children.link as AnyActorRef
  const state = (): string => String(child().getSnapshot().value)
  return { actor, clock, child, state, heard }
}

const deps = (network = createMemoryNetwork()) => ({
  transport: network.transport(),
  crypto,
  random,
  identity: generateIdentity(crypto, random),
  onEnvelopes: () => {},
})

describe('backoffDelay', () => {
  it('doubles per attempt up to the cap, with jitter between half and the full step', () => {
    expect(backoffDelay(1, 0)).toBe(500)
    expect(backoffDelay(1, 1)).toBe(1_000)
    expect(backoffDelay(2, 0)).toBe(1_000)
    expect(backoffDelay(3, 0.5)).toBe(3_000)
    expect(backoffDelay(50, 1)).toBe(BACKOFF_CAP_MS)
    expect(backoffDelay(50, 0)).toBe(BACKOFF_CAP_MS / 2)
  })
})

describe('peerLink', () => {
  it('retries a failed dial after the backoff, on the simulated clock', async () => {
    let dials = 0
    const failing = peerLinkMachine.provide({
      actors: {
        dial: fromPromise(async (): Promise<LinkChannel> => {
          dials++
          throw new Error('refused')
        }),
      },
    })
    const h = harness({ deps: deps(), address: 'mem://nowhere', jitter: () => 0 }, failing)
    await tick()
    expect(h.state()).toBe('waiting')
    expect(dials).toBe(1)
    h.clock.increment(backoffDelay(1, 0) - 1)
    await tick()
    expect(dials).toBe(1)
    h.clock.increment(1)
    await tick()
    expect(dials).toBe(2)
    expect(h.state()).toBe('waiting')
    // Second failure: the step doubled.
    h.clock.increment(backoffDelay(2, 0) - 1)
    await tick()
    expect(dials).toBe(2)
    h.clock.increment(1)
    await tick()
    expect(dials).toBe(3)
    h.actor.stop()
  })

  it('opens over a real memory transport, tells its parent, and resets the attempt count', async () => {
    const network = createMemoryNetwork()
    const server = deps(network)
    const accepted: Link[] = []
    await network.transport().listen!('mem://relay', (link) => accepted.push(link))
    const client = harness({ deps: deps(network), address: 'mem://relay', jitter: () => 0 })
    await tick()
    const inbound = harness({ deps: server, address: null, link: accepted[0]!, jitter: () => 0 })
    await waitFor('both ends open', () => client.state() === 'open' && inbound.state() === 'open')
    expect(client.state()).toBe('open')
    expect(inbound.state()).toBe('open')
    expect(client.heard).toContain('LINK_OPEN')
    expect(client.child().getSnapshot().context.attempt).toBe(0)
    expect(client.child().getSnapshot().context.opened.peerId).toHaveLength(64)
    // The relay side closing drops the client back to waiting, and the parent hears it.
    inbound.child().send({ type: 'CLOSE' })
    await waitFor('client notices', () => client.state() !== 'open')
    expect(client.state()).toBe('waiting')
    expect(client.heard).toContain('LINK_DOWN')
    expect(inbound.child().getSnapshot().status).toBe('done')
    client.actor.stop()
  })

  it('gives up a handshake that does not finish in time', async () => {
    const network = createMemoryNetwork()
    await network.transport().listen!('mem://silent', () => {})
    const h = harness({ deps: deps(network), address: 'mem://silent', jitter: () => 0 })
    await tick()
    expect(h.state()).toBe('handshaking')
    h.clock.increment(HANDSHAKE_TIMEOUT_MS)
    await tick()
    expect(h.state()).toBe('waiting')
    expect(h.child().getSnapshot().context.lastError).toBe('HandshakeTimeout')
    h.actor.stop()
  })

  it('closes an inbound link that sends garbage instead of a handshake, without retrying', async () => {
    const network = createMemoryNetwork()
    const accepted: Link[] = []
    await network.transport().listen!('mem://r', (link) => accepted.push(link))
    const attacker = await network.transport().dial('mem://r')
    await tick()
    const h = harness({ deps: deps(network), address: null, link: accepted[0]!, jitter: () => 0 })
    attacker.send(new Uint8Array([1, 2, 3]))
    await waitFor('inbound link done', () => h.child().getSnapshot().status === 'done')
    expect(h.state()).toBe('closed')
    expect(h.child().getSnapshot().context.lastError).not.toBeNull()
    h.actor.stop()
  })
})

describe('linkChannel', () => {
  it('keeps bytes that arrive between two consumers', async () => {
    const network = createMemoryNetwork()
    const accepted: Link[] = []
    await network.transport().listen!('mem://c', (link) => accepted.push(link))
    const a = await network.transport().dial('mem://c')
    await tick()
    const channel = createLinkChannel(accepted[0]!)
    a.send(Uint8Array.of(1))
    a.send(Uint8Array.of(2))
    await tick()
    const got: number[] = []
    channel.setReceiver((b) => got.push(b[0]!))
    expect(got).toEqual([1, 2])
  })
})

/**
 * Pings and connection quality on open peer links, all on one SimulatedClock:
 * links are memory-transport links that deliver after a set one-way delay on
 * that clock, or hold everything (a peer that went silent without closing).
 */
import { describe, expect, it, vi } from 'vitest'
import { SimulatedClock, createActor, setup, spawnChild } from 'xstate'
import type { AnyActorRef } from 'xstate'
import { toHex } from '../../engine/bytes.ts'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { seededRandom } from '../../engine/crypto/test/seededRandom.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import type { Link, Transport } from '../../engine/ports/index.ts'
import { createDataPlane } from '../../engine/routing/index.ts'
import type { QualityView } from '../../engine/routing/linkQuality.ts'
import { createMemoryNetwork } from '../../engine/transport/index.ts'
import { IDLE_CLOSE_INTERVALS } from '../linkActors.ts'
import type { LinkDeps, LinkHop } from '../linkActors.ts'
import { linkActorsOf, linkViews, meshNodeMachine } from '../meshNode.ts'
import { PING_INTERVAL_MS, peerLinkMachine } from '../peerLink.ts'
import type { PeerLinkInput, PeerLinkParentEvent } from '../peerLink.ts'

const crypto = nobleCrypto()
const random = seededRandom('peerLinkQuality')
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0))
const INTERVAL = 1_000

/** One direction of a link: bytes leave after `delayMs` on the clock, in order, or wait while `held`. */
interface Pipe {
  delayMs: number
  held: boolean
}

/** A Link whose sends go through `pipe`; `release()` sends what waited once `held` is cleared. */
type PipedLink = Link & { release(): void }

function delayed(link: Link, clock: SimulatedClock, pipe: Pipe): PipedLink {
  const queue: { due: number; bytes: Uint8Array }[] = []
  let timer: number | null = null
  const pump = (): void => {
    timer = null
    while (!pipe.held && queue.length > 0 && queue[0]!.due <= clock.now()) link.send(queue.shift()!.bytes)
    if (!pipe.held && queue.length > 0) timer = clock.setTimeout(pump, queue[0]!.due - clock.now())
  }
  return {
    label: link.label,
    get bufferedAmount() {
      return link.bufferedAmount
    },
    send(bytes) {
      queue.push({ due: clock.now() + pipe.delayMs, bytes })
      if (timer === null) pump()
    },
    onMessage: (handler) => link.onMessage(handler),
    onClose: (handler) => link.onClose(handler),
    close: (reason) => link.close(reason),
    release: pump,
  }
}

function deps(transport: Transport): LinkDeps {
  return { transport, crypto, random, identity: generateIdentity(crypto, random), onEnvelopes: () => {} }
}

/** A parent actor on `clock` that spawns one peerLink and counts what it hears. */
function harness(clock: SimulatedClock, input: PeerLinkInput) {
  const heard: PeerLinkParentEvent['type'][] = []
  const parent = setup({
    types: { events: {} as PeerLinkParentEvent, input: {} as PeerLinkInput, context: {} as { input: PeerLinkInput } },
    actors: { peerLink: peerLinkMachine },
  }).createMachine({
    context: ({ input }) => ({ input }),
    entry: spawnChild('peerLink', { id: 'link', input: ({ context }) => context.input }),
    on: {
      LINK_OPEN: { actions: () => heard.push('LINK_OPEN') },
      LINK_DOWN: { actions: () => heard.push('LINK_DOWN') },
      LINK_STATE: { actions: () => heard.push('LINK_STATE') },
    },
  })
  const actor = createActor(parent, { clock, input }).start()
  const child = (): AnyActorRef => actor.getSnapshot().children.link as AnyActorRef
  const state = (): string => String(child().getSnapshot().value)
  const hop = (): LinkHop | null => child().getSnapshot().context.hop
  const quality = (): QualityView => hop()!.quality()
  return { actor, child, state, hop, quality, heard }
}

/** Advances the clock in `stepMs` steps, letting the microtask-delivered bytes land after each. */
async function advance(clock: SimulatedClock, ms: number, stepMs = 10): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.increment(Math.min(stepMs, ms - done))
    await tick()
  }
}

async function until(clock: SimulatedClock, what: string, probe: () => boolean, maxMs = 10_000): Promise<void> {
  for (let t = 0; t <= maxMs; t += 10) {
    await tick()
    if (probe()) return
    clock.increment(10)
  }
  throw new Error(`Timed out (simulated) waiting for ${what}`)
}

/** Alice dials Bob; each direction has its own pipe. Both peer links run on one clock. */
async function linkedPair(oneWayMs: number, pingIntervalMs = INTERVAL) {
  const clock = new SimulatedClock()
  const network = createMemoryNetwork()
  const aliceToBob: Pipe = { delayMs: oneWayMs, held: false }
  const bobToAlice: Pipe = { delayMs: oneWayMs, held: false }
  const inner = network.transport()
  const accepted: PipedLink[] = []
  await inner.listen!('mem://bob', (link) => accepted.push(delayed(link, clock, bobToAlice)))
  const aliceTransport: Transport = { dial: async (address) => delayed(await inner.dial(address), clock, aliceToBob) }
  const alice = harness(clock, { deps: deps(aliceTransport), address: 'mem://bob', jitter: () => 0, pingIntervalMs })
  await until(clock, 'bob accepts', () => accepted.length === 1)
  const bob = harness(clock, { deps: deps(inner), address: null, link: accepted[0]!, jitter: () => 0, pingIntervalMs })
  await until(clock, 'both open', () => alice.state() === 'open' && bob.state() === 'open')
  return { clock, alice, bob, aliceToBob, bobToAlice, bobLink: accepted[0]! }
}

describe('peerLink pings', () => {
  it('pings on the simulated clock and measures the round trip on both ends', async () => {
    const { clock, alice, bob } = await linkedPair(20)
    // The first ping goes as the link opens, so a round trip later there is an RTT.
    expect(alice.quality().rttMs).toBeNull()
    await advance(clock, 40)
    expect(alice.quality().rttMs).toBe(40)
    expect(bob.quality().rttMs).toBe(40)
    await advance(clock, 5 * INTERVAL)
    for (const side of [alice, bob]) {
      const q = side.quality()
      expect(q.rttMs).toBe(40)
      expect(q.jitterMs).toBe(0)
      expect(q.loss).toBe(0)
      expect(q.grade).toBe('excellent')
      expect(q.throughputBps.up).toBeGreaterThan(0)
      expect(q.throughputBps.down).toBeGreaterThan(0)
    }
    alice.actor.stop()
    bob.actor.stop()
  })

  it('pings once per interval, at the configured interval', async () => {
    const { clock, alice, bob } = await linkedPair(0)
    // With no delay both ends open at once, and the first pings went then.
    const opened = clock.now()
    const pingSent = vi.spyOn(alice.hop()!.meter, 'pingSent')
    await advance(clock, 3 * INTERVAL + 990)
    expect(pingSent.mock.calls.map(([, at]) => at - opened)).toEqual([INTERVAL, 2 * INTERVAL, 3 * INTERVAL])
    // Nonces are distinct, so each pong matches its own ping.
    expect(new Set(pingSent.mock.calls.map(([nonce]) => nonce)).size).toBe(3)
    alice.actor.stop()
    bob.actor.stop()
  })

  it('grades a slow link by its RTT', async () => {
    const { clock, alice, bob } = await linkedPair(120)
    await advance(clock, 4 * INTERVAL, 20)
    expect(alice.quality().rttMs).toBe(240)
    expect(alice.quality().grade).toBe('fair')
    alice.actor.stop()
    bob.actor.stop()
  })

  it('degrades to poor, then offline, when the peer stops answering, and recovers when it answers again', async () => {
    const { clock, alice, bob, bobToAlice, bobLink } = await linkedPair(20)
    await advance(clock, 2 * INTERVAL)
    expect(alice.quality().grade).toBe('excellent')
    const statesHeard = alice.heard.filter((e) => e === 'LINK_STATE').length

    bobToAlice.held = true
    const grades: string[] = []
    for (let i = 0; i < 4; i++) {
      await advance(clock, INTERVAL)
      grades.push(alice.quality().grade)
    }
    // One lost ping in three is poor; three silent intervals are offline.
    expect(grades).toEqual(['poor', 'poor', 'offline', 'offline'])
    expect(alice.quality().loss).toBeGreaterThan(0.3)
    // Still open: quality is reported, not acted on.
    expect(alice.state()).toBe('open')
    // Each change of grade reached the parent as a LINK_STATE.
    expect(alice.heard.filter((e) => e === 'LINK_STATE').length).toBe(statesHeard + 2)

    bobToAlice.held = false
    bobLink.release()
    await advance(clock, 2 * INTERVAL)
    const q = alice.quality()
    expect(q.grade).toBe('poor') // answering again, but the losses are still in the window
    expect(q.rttMs).toBe(40) // late pongs gave no samples
    alice.actor.stop()
    bob.actor.stop()
  })

  it('closes a link that has heard nothing for IDLE_CLOSE_INTERVALS pings (a zombie socket)', async () => {
    const { clock, alice, bob, bobToAlice } = await linkedPair(20)
    await advance(clock, 2 * INTERVAL)
    bobToAlice.held = true
    for (let i = 0; i < IDLE_CLOSE_INTERVALS - 2; i++) await advance(clock, INTERVAL)
    expect(alice.state()).toBe('open')
    await advance(clock, 3 * INTERVAL)
    // Outbound: it closes, backs off and dials again.
    expect(['waiting', 'connecting', 'handshaking']).toContain(alice.state())
    expect(alice.child().getSnapshot().context.lastError).toBe('idle')
    alice.actor.stop()
    bob.actor.stop()
  })

  it('reports offline and stops pinging once the link goes down', async () => {
    const { clock, alice, bob } = await linkedPair(0)
    await advance(clock, INTERVAL)
    const hop = alice.hop()!
    const pingSent = vi.spyOn(hop.meter, 'pingSent')
    bob.child().send({ type: 'CLOSE' })
    await until(clock, 'alice notices', () => alice.state() !== 'open')
    expect(hop.quality().grade).toBe('offline')
    expect(alice.hop()).toBeNull()
    await advance(clock, 3 * INTERVAL, 100)
    expect(pingSent).not.toHaveBeenCalled()
    alice.actor.stop()
    bob.actor.stop()
  })

  it('hands announce and ack frames to the mesh node callbacks', async () => {
    const clock = new SimulatedClock()
    const network = createMemoryNetwork()
    const inner = network.transport()
    const accepted: Link[] = []
    await inner.listen!('mem://bob', (link) => accepted.push(link))
    const got: unknown[] = []
    const aliceDeps: LinkDeps = {
      ...deps(inner),
      onAnnouncement: (peerId, announcement, metric) => void got.push(['announce', peerId, [...announcement], metric]),
      onAck: (peerId, ids) => void got.push(['ack', peerId, ids.map((id) => [...id])]),
    }
    const alice = harness(clock, { deps: aliceDeps, address: 'mem://bob', jitter: () => 0 })
    await until(clock, 'bob accepts', () => accepted.length === 1)
    const bobDeps = deps(inner)
    const bob = harness(clock, { deps: bobDeps, address: null, link: accepted[0]!, jitter: () => 0 })
    await until(clock, 'both open', () => alice.state() === 'open' && bob.state() === 'open')
    const bobId = toHex(bobDeps.identity.signingKey.publicKey)
    bob.hop()!.frame({ type: 'announce', announcement: Uint8Array.of(7, 8), metric: 3 })
    bob.hop()!.frame({ type: 'ack', ids: [new Uint8Array(16).fill(1), new Uint8Array(16).fill(2)] })
    await tick()
    expect(got).toEqual([
      ['announce', bobId, [7, 8], 3],
      ['ack', bobId, [[...new Uint8Array(16).fill(1)], [...new Uint8Array(16).fill(2)]]],
    ])
    alice.actor.stop()
    bob.actor.stop()
  })
})

describe('meshNode link views', () => {
  it('carry the quality of open links, measured on the clock the node runs on', async () => {
    const clock = new SimulatedClock()
    const network = createMemoryNetwork()
    const node = (changed: { count: number }) => {
      const identity = generateIdentity(crypto, random)
      const plane = createDataPlane({ identity, crypto, clock: { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h as never) }, deliverLocal: () => {} })
      return createActor(meshNodeMachine, {
        clock,
        input: {
          deps: { transport: network.transport(), crypto, random, identity },
          plane,
          jitter: () => 0,
          onLinksChanged: () => void changed.count++,
        },
      }).start()
    }
    const relayChanged = { count: 0 }
    const aliceChanged = { count: 0 }
    const relay = node(relayChanged)
    await network.transport().listen!('mem://relay', (link) => relay.send({ type: 'INBOUND', link }))
    const alice = node(aliceChanged)
    expect(linkViews(alice.getSnapshot())).toEqual([])
    alice.send({ type: 'CONNECT', address: 'mem://relay' })
    await until(clock, 'alice open', () => linkViews(alice.getSnapshot())[0]?.state === 'open')
    await advance(clock, PING_INTERVAL_MS, 100)

    const [view] = linkViews(alice.getSnapshot())
    expect(view!.state).toBe('open')
    expect(view!.quality).toMatchObject({ rttMs: 0, jitterMs: 0, loss: 0, grade: 'excellent' })
    expect(view!.quality!.throughputBps.up).toBeGreaterThan(0)
    expect(linkViews(relay.getSnapshot())[0]!.quality!.grade).toBe('excellent')
    // Structured-clone-able, as it crosses the worker boundary.
    expect(structuredClone(view)).toEqual(view)

    // The relay goes away: Alice's link is no longer open and has no quality.
    for (const child of linkActorsOf(relay.getSnapshot())) child.send({ type: 'CLOSE' })
    await until(clock, 'alice notices', () => linkViews(alice.getSnapshot())[0]?.state !== 'open')
    expect(linkViews(alice.getSnapshot())[0]!.quality).toBeNull()
    expect(aliceChanged.count).toBeGreaterThan(0)
    alice.stop()
    relay.stop()
  })
})

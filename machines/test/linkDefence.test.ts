/**
 * Budgets and scores on real links (issue 10): mesh nodes over the memory transport,
 * a relay whose budgets are small enough that one client can break them. A flooder
 * is shed, graylisted, disconnected and refused on its way back; an honest client on
 * the same relay keeps being served; a frame that does not decode costs the sender
 * its link; an address serving a backoff is refused before a handshake.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../engine/bytes.ts'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { seededRandom } from '../../engine/crypto/test/seededRandom.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import type { Identity } from '../../engine/identity/index.ts'
import { createLinkHandshake } from '../../engine/noise/index.ts'
import type { Link } from '../../engine/ports/index.ts'
import { createLinkQuality } from '../../engine/routing/linkQuality.ts'
import { DEFAULT_LINK_BUDGETS, scaleBudgets } from '../../engine/routing/tokenBucket.ts'
import { createMemoryNetwork } from '../../engine/transport/index.ts'
import { encodeEnvelope } from '../../engine/wire/index.ts'
import type { Envelope } from '../../engine/wire/index.ts'
import { waitFor } from '../../test/support/waitFor.ts'
import { startMesh } from '../../workers/startMesh.ts'
import type { Mesh, MeshInit } from '../../workers/startMesh.ts'
import { systemClock } from '../../workers/systemPorts.ts'
import { WRITE_HIGH_WATER_BYTES, createHop } from '../linkActors.ts'
import { linkActorsOf } from '../meshNode.ts'

const crypto = nobleCrypto()
const random = seededRandom('linkDefence')
const meshes: Mesh[] = []

/** A tenth of the defaults: a stranger may send a burst of 6 envelopes, then 2 a second. */
const SMALL = scaleBudgets(DEFAULT_LINK_BUDGETS, 0.1)

function node(network: ReturnType<typeof createMemoryNetwork>, extra: Partial<MeshInit> = {}) {
  const identity = generateIdentity(crypto, random)
  const inbox: Envelope[] = []
  const mesh = startMesh(
    { crypto, random, clock: systemClock(), transport: network.transport() },
    { identity, deliverLocal: (e) => void inbox.push(e), ...extra },
  )
  meshes.push(mesh)
  return { identity, inbox, mesh, hex: toHex(identity.signingKey.publicKey) }
}

let nextId = 0
function envelopeTo(to: Identity): Uint8Array {
  const id = new Uint8Array(16)
  id.set([++nextId >> 8, nextId & 0xff])
  return encodeEnvelope({
    header: { version: 2, id, destination: to.signingKey.publicKey, ttl: 8, attempt: 0, expiresAt: Date.now() + 60_000 },
    body: Uint8Array.of(1, 2, 3),
  })
}

const openLinks = (mesh: Mesh): number => mesh.links().filter((l) => l.state === 'open').length

async function relayWith(network: ReturnType<typeof createMemoryNetwork>, address: string, budgets = SMALL) {
  const relay = node(network, { custodian: true, defence: { budgets } })
  await network.transport().listen!(address, (link) => relay.mesh.accept(link))
  return relay
}

afterEach(() => {
  for (const mesh of meshes.splice(0)) mesh.stop()
})

describe('link defence', () => {
  it('sheds a flood, graylists and disconnects the flooder, refuses it back, and keeps serving the honest', async () => {
    const network = createMemoryNetwork()
    const relay = await relayWith(network, 'mem://relay')
    const flooder = node(network)
    const alice = node(network)
    const bob = node(network)
    for (const n of [flooder, alice, bob]) n.mesh.connect('mem://relay')
    await waitFor('links open', () => openLinks(relay.mesh) === 3)

    for (let i = 0; i < 2_000; i++) flooder.mesh.send(envelopeTo(bob.identity))
    const book = relay.mesh.defence!
    await waitFor('the flooder is disconnected for its score', () => (book.stats().closes['score'] ?? 0) >= 1)
    const stats = book.stats()
    expect(stats.shed.envelopes).toBeGreaterThan(1_000)
    expect(bob.inbox.length).toBeLessThanOrEqual(2_000 - stats.shed.envelopes)
    expect(book.book.scores.decide({ identity: flooder.hex }, Date.now())).toBe('disconnect')

    // It dials back at once (its link backs off and retries): refused, after the handshake proves who it is.
    await waitFor('the flooder is refused on its way back', () => (book.stats().closes['refused'] ?? 0) >= 1)
    expect(relay.mesh.links().filter((l) => l.state === 'open' && l.peerId === flooder.hex)).toHaveLength(0)

    // Alice and Bob, on the same relay and within their budgets, are still served.
    const before = bob.inbox.length
    alice.mesh.send(envelopeTo(bob.identity))
    await waitFor('bob gets alice’s message', () => bob.inbox.length === before + 1)
    expect(book.book.scores.decide({ identity: alice.hex }, Date.now())).toBe('ok')
  })

  it('keeps costing a graylisted flooder its score until it is disconnected (a frame at a time)', async () => {
    const network = createMemoryNetwork()
    // Frames and bytes unlimited: only the envelope budget is broken, frame by frame.
    const unlimited = { capacity: 1e9, refillPerSecond: 1e9 }
    const budgets = { ...SMALL, stranger: { ...SMALL.stranger, frames: unlimited, bytes: unlimited } }
    const relay = await relayWith(network, 'mem://relay', budgets)
    const flooder = node(network)
    const bob = node(network)
    for (const n of [flooder, bob]) n.mesh.connect('mem://relay')
    await waitFor('links open', () => openLinks(relay.mesh) === 2)
    const book = relay.mesh.defence!
    let sawGraylist = false
    // 20 envelopes a frame, one frame per macrotask: the graylist comes first, the disconnect later.
    for (let i = 0; i < 500 && (book.stats().closes['score'] ?? 0) === 0; i++) {
      for (let j = 0; j < 20; j++) flooder.mesh.send(envelopeTo(bob.identity))
      await new Promise((resolve) => setTimeout(resolve, 0))
      sawGraylist ||= book.stats().graylisted === 1
    }
    expect(sawGraylist).toBe(true)
    expect(book.stats().closes['score']).toBe(1)
  })

  it('closes a link whose frame does not decode, and counts it against the sender', async () => {
    const network = createMemoryNetwork()
    const relay = await relayWith(network, 'mem://relay')
    const identity = generateIdentity(crypto, random)
    const link = await network.transport().dial('mem://relay')
    const session = await handshake(link, identity)
    const closed = new Promise<string>((resolve) => link.onClose(resolve))
    // Sealed correctly (the relay decrypts it), but not a link frame: type 0xff.
    link.send(session.encrypt(Uint8Array.of(0xff, 1, 2, 3)))
    await closed
    await waitFor('counted', () => (relay.mesh.defence!.stats().closes['protocol'] ?? 0) === 1)
    expect(relay.mesh.defence!.book.scores.score({ identity: toHex(identity.signingKey.publicKey) }, Date.now())).toBeLessThan(0)
  })

  it('refuses an address that serves a backoff before any handshake', async () => {
    const network = createMemoryNetwork()
    const relay = await relayWith(network, 'mem://relay')
    const scores = relay.mesh.defence!.book.scores
    for (let i = 0; i < 20; i++) scores.penalize({ address: '203.0.113.9' }, 'invalidFrame', Date.now())
    expect(accept(relay.mesh, '203.0.113.9')).toBe('refused')
    expect(relay.mesh.defence!.stats().closes['refused']).toBe(1)
    expect(relay.mesh.links()).toHaveLength(0)
    // Another address is let in (and handshakes as usual).
    expect(accept(relay.mesh, '203.0.113.10')).toBe(null)
    expect(relay.mesh.links()).toHaveLength(1)
  })

  it('drops a closed inbound link’s actor', async () => {
    const network = createMemoryNetwork()
    const relay = await relayWith(network, 'mem://relay')
    const alice = node(network)
    alice.mesh.connect('mem://relay')
    await waitFor('open', () => openLinks(relay.mesh) === 1)
    alice.mesh.stop()
    await waitFor('the relay forgets the link', () => relay.mesh.links().length === 0)
    expect(linkActorsOf(relay.mesh.actor.getSnapshot())).toHaveLength(0)
  })
})

describe('link writer backpressure', () => {
  it('drops envelopes instead of queuing them while the neighbour does not read', async () => {
    let buffered = 0
    const sent: Uint8Array[] = []
    const link: Link = {
      label: 'test',
      get bufferedAmount() {
        return buffered
      },
      send: (bytes) => void sent.push(bytes),
      onMessage: () => {},
      onClose: () => {},
      close: () => {},
    }
    const session = { encrypt: (b: Uint8Array) => b, decrypt: (b: Uint8Array) => b } as never
    let dropped = 0
    const hop = createHop('peer', link, session, createLinkQuality({}), () => 0, (n) => void (dropped += n))
    hop.send([Uint8Array.of(1), Uint8Array.of(2)])
    await Promise.resolve()
    expect(sent).toHaveLength(1)
    buffered = WRITE_HIGH_WATER_BYTES + 1
    hop.send([Uint8Array.of(3), Uint8Array.of(4), Uint8Array.of(5)])
    await Promise.resolve()
    expect(sent).toHaveLength(1)
    expect(dropped).toBe(3)
    // Control frames are small and still go out: the neighbour must hear pongs and acks.
    hop.frame({ type: 'ping', nonce: 1, sentAt: 0 })
    expect(sent).toHaveLength(2)
  })
})

/** Runs the initiator side of the link handshake on a raw link. */
function handshake(link: Link, identity: Identity) {
  const hs = createLinkHandshake({ crypto, random, identity, initiator: true })
  return new Promise<ReturnType<typeof hs.receive>['session'] & object>((resolve, reject) => {
    link.onMessage((bytes) => {
      try {
        const { reply, session } = hs.receive(bytes)
        if (reply) link.send(reply)
        if (session) resolve(session)
      } catch (error) {
        reject(error)
      }
    })
    const first = hs.start()
    if (first) link.send(first)
  })
}

/** Hands the relay a link from `address` (as a ws link carries it); answers how the relay closed it, null if it did not. */
function accept(mesh: Mesh, address: string): string | null {
  let closedReason: string | null = null
  const link: Link = {
    label: 'test',
    remoteAddress: address,
    bufferedAmount: 0,
    send: () => {},
    onMessage: () => {},
    onClose: () => {},
    close: (reason) => void (closedReason = reason ?? ''),
  }
  mesh.accept(link)
  return closedReason
}

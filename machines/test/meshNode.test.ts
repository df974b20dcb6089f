/**
 * Three mesh nodes in one process over the memory transport: a relay and two
 * clients. Envelopes reach a direct neighbour directly, anyone else through the
 * relay, and mail for a node that is not connected yet waits for it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../engine/bytes.ts'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { seededRandom } from '../../engine/crypto/test/seededRandom.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import type { Identity } from '../../engine/identity/index.ts'
import { createMemoryNetwork } from '../../engine/transport/index.ts'
import { signReachRecord } from '../../engine/reach/index.ts'
import { encodeEnvelope } from '../../engine/wire/index.ts'
import type { Envelope } from '../../engine/wire/index.ts'
import { linkActorsOf } from '../meshNode.ts'
import { startMesh } from '../../workers/startMesh.ts'
import type { Mesh, MeshInit } from '../../workers/startMesh.ts'
import { systemClock } from '../../workers/systemPorts.ts'
import { waitFor } from '../../test/support/waitFor.ts'

const crypto = nobleCrypto()
const random = seededRandom('meshNode')
const meshes: Mesh[] = []

function node(network: ReturnType<typeof createMemoryNetwork>, name: string, extra: Partial<MeshInit> = {}) {
  const identity = generateIdentity(crypto, random)
  const inbox: Envelope[] = []
  const relayed: string[] = []
  const refused: Array<[string, string]> = []
  const mesh = startMesh(
    { crypto, random, clock: systemClock(), transport: network.transport() },
    {
      identity,
      deliverLocal: (e) => void inbox.push(e),
      onRelayed: (id) => void relayed.push(id),
      onRefused: (id, reason) => void refused.push([id, reason]),
      ...extra,
    },
  )
  meshes.push(mesh)
  return { name, identity, inbox, mesh, relayed, refused }
}

let nextId = 0
function envelopeTo(to: Identity): Uint8Array {
  const id = new Uint8Array(16)
  id[0] = ++nextId
  return encodeEnvelope({
    header: { version: 2, id, destination: to.signingKey.publicKey, ttl: 8, attempt: 0, expiresAt: Date.now() + 60_000 },
    body: Uint8Array.of(1, 2, 3),
  })
}

const openLinks = (mesh: Mesh): number => mesh.links().filter((l) => l.state === 'open').length

afterEach(() => {
  for (const mesh of meshes.splice(0)) mesh.stop()
})

describe('meshNode', () => {
  it('delivers through the relay, and directly when the destination is a neighbour', async () => {
    const network = createMemoryNetwork()
    const relay = node(network, 'relay')
    await network.transport().listen!('mem://relay', (link) => relay.mesh.accept(link))
    const alice = node(network, 'alice')
    const bob = node(network, 'bob')
    alice.mesh.connect('mem://relay')
    bob.mesh.connect('mem://relay')
    await waitFor('links open', () => openLinks(relay.mesh) === 2 && openLinks(alice.mesh) === 1 && openLinks(bob.mesh) === 1)
    expect(relay.mesh.links().map((l) => l.peerId).sort()).toEqual(
      [toHex(alice.identity.signingKey.publicKey), toHex(bob.identity.signingKey.publicKey)].sort(),
    )

    alice.mesh.send(envelopeTo(bob.identity))
    await waitFor('bob receives via the relay', () => bob.inbox.length === 1)
    expect(relay.mesh.forwarder.stats().forwarded).toBe(1)
    expect(bob.inbox[0]!.header.ttl).toBe(7)

    // Bob listens too; once Alice links to him directly, the relay is bypassed.
    await network.transport().listen!('mem://bob', (link) => bob.mesh.accept(link))
    alice.mesh.connect('mem://bob')
    await waitFor('direct link', () => openLinks(alice.mesh) === 2)
    alice.mesh.send(envelopeTo(bob.identity))
    await waitFor('bob receives directly', () => bob.inbox.length === 2)
    expect(relay.mesh.forwarder.stats().forwarded).toBe(1)
    expect(bob.inbox[1]!.header.ttl).toBe(8)
  })

  it('holds mail for a node that is not connected and hands it over when it links', async () => {
    const network = createMemoryNetwork()
    const relay = node(network, 'relay')
    await network.transport().listen!('mem://relay', (link) => relay.mesh.accept(link))
    const alice = node(network, 'alice')
    const carol = node(network, 'carol')
    alice.mesh.connect('mem://relay')
    await waitFor('alice linked', () => openLinks(alice.mesh) === 1)
    alice.mesh.send(envelopeTo(carol.identity))
    alice.mesh.send(envelopeTo(carol.identity))
    await waitFor('relay holds it', () => relay.mesh.forwarder.stats().held === 2)
    carol.mesh.connect('mem://relay')
    await waitFor('carol receives both', () => carol.inbox.length === 2)
    expect(carol.inbox.map((e) => e.header.id[0])).toEqual([nextId - 1, nextId])
    expect(relay.mesh.forwarder.stats().held).toBe(0)
  })

  it('tells the sender, the way its mail came, when a custodian is full (a typed refusal, issue 10)', async () => {
    const network = createMemoryNetwork()
    // Alice → near → far; far is Carol's home relay and holds at most one envelope per destination.
    const far = node(network, 'far', { custodian: true, custodyLimits: { perDestinationCount: 1 } })
    await network.transport().listen!('mem://far', (link) => far.mesh.accept(link))
    const near = node(network, 'near', { custodian: true })
    await network.transport().listen!('mem://near', (link) => near.mesh.accept(link))
    near.mesh.connect('mem://far')
    // Carol registers far as her home relay, then leaves: her mail waits there (issue 11).
    let carolRecord: Uint8Array | null = null
    const carol = node(network, 'carol', { ownReach: () => carolRecord })
    const carolHex = toHex(carol.identity.signingKey.publicKey)
    const now = Date.now()
    carolRecord = signReachRecord(crypto, carol.identity, {
      seqno: now,
      issuedAt: now,
      expiresAt: now + 60_000,
      relays: [{ identity: far.identity.signingKey.publicKey, address: 'ws://far.test/link' }],
    })
    carol.mesh.connect('mem://far')
    await waitFor('Carol registered at far', () => far.mesh.homes!.isHome(carolHex, Date.now()))
    carol.mesh.stop()
    await waitFor('far saw Carol go', () => openLinks(far.mesh) === 1)
    // Alice knows Carol's record (end to end, in the product); near learns it from Alice's link.
    const receipts: string[] = []
    const alice = node(network, 'alice', {
      reachOf: (d) => (d === carolHex ? carolRecord : null),
      onCustodyReceipt: (id) => void receipts.push(id),
    })
    alice.mesh.connect('mem://near')
    await waitFor('linked', () => openLinks(alice.mesh) === 1)
    const first = envelopeTo(carol.identity)
    const second = envelopeTo(carol.identity)
    const idOf = (bytes: Uint8Array): string => toHex(bytes.subarray(1, 17))
    alice.mesh.send(first)
    alice.mesh.send(second)
    // Near passes both to far (Carol's home, by her record); far holds the first and signs for
    // it, refuses the second, and near hands the receipt and the refusal back to Alice.
    await waitFor('a receipt and a refusal reach Alice', () => receipts.length === 1 && alice.refused.length === 1)
    expect(receipts).toEqual([idOf(first)])
    expect(alice.refused).toEqual([[idOf(second), 'destination-full']])
    expect(far.mesh.forwarder.stats().refused['destination-full']).toBe(1)
    expect(near.mesh.forwarder.stats()).toMatchObject({ held: 0, noCustody: 0 })
  })

  it('a relay holds nothing for someone who did not name it: refused, typed, back to the sender', async () => {
    const network = createMemoryNetwork()
    const relay = node(network, 'relay', { custodian: true })
    await network.transport().listen!('mem://relay', (link) => relay.mesh.accept(link))
    const alice = node(network, 'alice')
    const stranger = node(network, 'stranger')
    alice.mesh.connect('mem://relay')
    await waitFor('linked', () => openLinks(alice.mesh) === 1)
    const mail = envelopeTo(stranger.identity)
    alice.mesh.send(mail)
    await waitFor('the refusal reaches Alice', () => alice.refused.length === 1)
    expect(alice.refused).toEqual([[toHex(mail.subarray(1, 17)), 'no-custody']])
    expect(relay.mesh.forwarder.stats()).toMatchObject({ held: 0, noCustody: 1 })
  })

  it('gives the same event types to the relay however many inbound links came and went', async () => {
    // XState memoizes a state node's transitions per event type for the life of the process, and a
    // link actor's done event is `xstate.done.actor.<its id>`: an id per link was a cache entry per
    // link ever accepted (bench relay-churn, issue 10).
    const network = createMemoryNetwork()
    const seen: Array<[unknown, string]> = []
    const relay = node(network, 'relay', {
      inspect: (e) => {
        if (e.type === '@xstate.event') seen.push([e.actorRef, e.event.type])
      },
    })
    await network.transport().listen!('mem://relay', (link) => relay.mesh.accept(link))
    for (const name of ['a', 'b', 'c']) {
      const peer = node(network, name)
      peer.mesh.connect('mem://relay')
      await waitFor(`${name} linked`, () => openLinks(relay.mesh) === 1)
      peer.mesh.stop()
      await waitFor(`relay forgot ${name}`, () => relay.mesh.links().length === 0)
    }
    const types = new Set(seen.filter(([actor]) => actor === relay.mesh.actor).map(([, type]) => type))
    expect([...types].filter((t) => t.startsWith('xstate.done.actor.'))).toEqual(['xstate.done.actor.in'])
  })

  it('reconnects to its relay after the relay drops the link', async () => {
    const network = createMemoryNetwork()
    const relay = node(network, 'relay')
    await network.transport().listen!('mem://relay', (link) => relay.mesh.accept(link))
    const alice = node(network, 'alice')
    alice.mesh.connect('mem://relay')
    await waitFor('linked', () => openLinks(alice.mesh) === 1)
    for (const child of linkActorsOf(relay.mesh.actor.getSnapshot())) child.send({ type: 'CLOSE' })
    await waitFor('alice notices', () => openLinks(alice.mesh) === 0)
    // The first retry comes after 0.5–1 s of backoff on the real clock.
    await waitFor('alice back', () => openLinks(alice.mesh) === 1)
    await waitFor('relay dropped the dead link actor', () => relay.mesh.links().length === 1)
  })
})

/**
 * A chain A–B–C–D over the memory transport: A and D are messengers that never
 * share a link; B and C are plain mesh nodes (not custodians: a relay passes no
 * route on, issue 11). Routes come from signed announcements; messages and
 * receipts flow both ways, and A's message is delivered only once D's receipt
 * came back along the chain.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { toHex } from '../../engine/bytes.ts'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import { createMemoryStore } from '../../engine/store/index.ts'
import { createMemoryNetwork } from '../../engine/transport/index.ts'
import { createEngine } from '../../workers/createEngine.ts'
import type { Engine } from '../../workers/createEngine.ts'
import { startMesh } from '../../workers/startMesh.ts'
import type { Mesh } from '../../workers/startMesh.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { waitFor } from '../support/waitFor.ts'

const crypto = nobleCrypto()
const random = systemRandom()
const clock = systemClock()
const network = createMemoryNetwork()
const engines: Engine[] = []
const meshes: Mesh[] = []

afterAll(async () => {
  for (const e of engines) await e.shutdown()
  for (const m of meshes) m.stop()
})

async function meshNode(name: string): Promise<Mesh> {
  const identity = generateIdentity(crypto, random)
  const mesh = startMesh({ crypto, random, clock, transport: network.transport() }, {
    identity,
    // A plain mesh node, not a relay: a custodian announces itself but passes no other
    // origin on (its users are found through their reach records), so a chain of relays
    // would leave A and D without routes to each other.
    custodian: false,
    deliverLocal: () => {},
  })
  meshes.push(mesh)
  meshIds.set(mesh, toHex(identity.signingKey.publicKey))
  await network.transport().listen!(`mem://${name}`, (link) => mesh.accept(link))
  return mesh
}

/** Each bare mesh node's id, as its neighbours see it. */
const meshIds = new Map<Mesh, string>()

async function engine(name: string): Promise<Engine> {
  const e = await createEngine({ crypto, random, clock, store: createMemoryStore(), transport: network.transport() })
  engines.push(e)
  await e.createProfile(name)
  return e
}

describe('a chain A–B–C–D', () => {
  it('routes messages and receipts both ways between ends that never share a link', async () => {
    const b = await meshNode('b')
    const c = await meshNode('c')
    b.connect('mem://c')
    const a = await engine('A')
    const d = await engine('D')
    await a.connect('mem://b')
    await d.connect('mem://c')
    const aId = (await a.profile())!.id
    const dId = (await d.profile())!.id
    // D's route to A runs D → C → B → A, learned from A's announcement, and back.
    await waitFor('routes converge', () =>
      b.plane.router.nextHop(dId) !== null && c.plane.router.nextHop(aId) !== null)
    expect(b.links().some((l) => l.peerId === dId)).toBe(false)

    await d.acceptOffer(await a.createOffer())
    await waitFor('A learns D from the intro', async () => (await a.contacts()).some((x) => x.id === dId))
    const sent = await a.send(dId, 'over three hops')
    await waitFor('D has it', async () => (await d.history(aId)).some((m) => m.text === 'over three hops'))
    const delivered = await waitFor('A sees delivered', async () =>
      (await a.history(dId)).find((m) => m.id === sent.id && m.status === 'delivered'),
    )
    expect(delivered.text).toBe('over three hops')
    const reply = await d.send(aId, 'and back')
    await waitFor('A has the reply', async () => (await a.history(dId)).some((m) => m.text === 'and back'))
    await waitFor('D sees delivered', async () => (await d.history(aId)).some((m) => m.id === reply.id && m.status === 'delivered'))
    // Per contact, the API says how traffic goes: through B, A's only neighbour, with B's link quality.
    const path = await a.path(dId)
    expect(path.via).toBe('relay')
    expect(path.neighbour).toBe(meshIds.get(b))
    expect(path.quality).not.toBeNull()
    // The middle forwarded it all without holding anything.
    expect(b.forwarder.stats().forwarded).toBeGreaterThanOrEqual(4)
    expect(c.forwarder.stats().forwarded).toBeGreaterThanOrEqual(4)
  })
})

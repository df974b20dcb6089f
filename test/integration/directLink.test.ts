/**
 * Two engines meet through a relay, upgrade to a direct WebRTC link
 * (node-datachannel on 127.0.0.1, signalling end to end through the mesh), keep
 * chatting when the relay goes away, and fall back to a relay when the direct
 * link drops — nothing lost.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { createMemoryStore } from '../../engine/store/index.ts'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { createNodeRtcTransport } from '../../native/node/rtcTransport.ts'
import { createWsTransport } from '../../native/node/wsTransport.ts'
import { createEngine } from '../../workers/createEngine.ts'
import type { Engine } from '../../workers/createEngine.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { waitFor } from '../support/waitFor.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-direct-'))
  dirs.push(dir)
  return dir
}

async function engine(name: string): Promise<Engine> {
  const e = await createEngine({
    crypto: nobleCrypto(),
    random: systemRandom(),
    clock: systemClock(),
    store: createMemoryStore(),
    transport: createWsTransport(),
    rtc: (signaller, selfId) => createNodeRtcTransport({ signaller, selfId }),
  })
  await e.createProfile(name)
  return e
}

describe('direct links', () => {
  const engines: Engine[] = []
  const relays: RelayHandle[] = []
  afterAll(async () => {
    for (const e of engines) await e.shutdown()
    for (const r of relays) await r.close().catch(() => undefined)
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('upgrade to WebRTC through the mesh, survive the relay stopping, and fall back when the link drops', async () => {
    const relay = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(relay)
    const alice = await engine('Alice')
    const bob = await engine('Bob')
    engines.push(alice, bob)
    const aliceId = (await alice.profile())!.id
    const bobId = (await bob.profile())!.id
    await alice.connect(relay.linkUrl)
    await bob.connect(relay.linkUrl)
    await bob.acceptOffer(await alice.createOffer())
    await waitFor('Alice knows Bob', async () => (await alice.contacts()).some((c) => c.id === bobId))
    await alice.send(bobId, 'first, through the relay')
    await bob.send(aliceId, 'reply, through the relay')
    await waitFor('both have both', async () => (await alice.history(bobId)).length === 2 && (await bob.history(aliceId)).length === 2)

    const direct = (e: Engine, peer: string) => async () => (await e.links()).some((l) => l.peerId === peer && l.state === 'open')
    await waitFor('direct link open', async () => (await direct(alice, bobId)()) && (await direct(bob, aliceId)()))
    expect((await alice.path(bobId)).via).toBe('direct')

    await relay.close()
    await alice.send(bobId, 'relay is gone, still here')
    await waitFor('Bob gets it directly', async () => (await bob.history(aliceId)).some((m) => m.text === 'relay is gone, still here'))

    // A new relay; then the direct link drops: traffic falls back to the relay.
    const relay2 = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(relay2)
    await alice.connect(relay2.linkUrl)
    await bob.connect(relay2.linkUrl)
    await waitFor('both on relay 2', async () =>
      (await alice.links()).some((l) => l.address === relay2.linkUrl && l.state === 'open') &&
      (await bob.links()).some((l) => l.address === relay2.linkUrl && l.state === 'open'),
    )
    await alice.dropDirectLinks()
    await waitFor('direct link gone', async () => !(await direct(alice, bobId)()))
    await alice.send(bobId, 'back through a relay')
    await waitFor('Bob gets the fallback message', async () => (await bob.history(aliceId)).some((m) => m.text === 'back through a relay'))
    // History is in arrival order on each device; by the senders' clocks it reads as the chat went.
    expect((await bob.history(aliceId)).sort((a, b) => a.timestamp - b.timestamp).map((m) => m.text)).toEqual([
      'first, through the relay',
      'reply, through the relay',
      'relay is gone, still here',
      'back through a relay',
    ])
  })
})

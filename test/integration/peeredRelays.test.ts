/**
 * Two relays peered (relay 1 dials relay 2); Alice is attached to relay 1 only,
 * Bob to relay 2 only. They chat: routes cross the relay-to-relay link both ways.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { waitFor } from '../support/waitFor.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-peered-'))
  dirs.push(dir)
  return dir
}

describe('two peered relays', () => {
  const relays: RelayHandle[] = []
  const workers: EngineWorker[] = []
  afterAll(async () => {
    for (const w of workers) await w.terminate()
    for (const r of relays) await r.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('carries a conversation between people on different relays', async () => {
    const relay1 = await startRelay({ port: 0, dataDir: tempDir() })
    const relay2 = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(relay1, relay2)
    relay1.connect(relay2.linkUrl)
    const alice = spawnEngine({ dataDir: tempDir() })
    const bob = spawnEngine({ dataDir: tempDir() })
    workers.push(alice, bob)
    const aliceId = (await alice.api.createProfile('Alice')).id
    const bobId = (await bob.api.createProfile('Bob')).id
    await alice.api.connect(relay1.linkUrl)
    await bob.api.connect(relay2.linkUrl)
    await waitFor('both attached', async () =>
      (await alice.api.links()).some((l) => l.state === 'open') && (await bob.api.links()).some((l) => l.state === 'open'),
    )
    // Bob adds Alice from her code; his intro goes relay 2 → relay 1 → Alice.
    await bob.api.acceptOffer(await alice.api.createOffer())
    await waitFor('Alice learns Bob', async () => (await alice.api.contacts()).some((c) => c.id === bobId))
    await alice.api.send(bobId, 'hello from relay 1')
    await waitFor('Bob has it', async () => (await bob.api.history(aliceId)).some((m) => m.text === 'hello from relay 1'))
    await bob.api.send(aliceId, 'hello from relay 2')
    await waitFor('Alice has it', async () => (await alice.api.history(bobId)).some((m) => m.text === 'hello from relay 2'))
    await waitFor('both delivered', async () =>
      (await alice.api.history(bobId)).filter((m) => m.direction === 'out').every((m) => m.status === 'delivered') &&
      (await bob.api.history(aliceId)).filter((m) => m.direction === 'out').every((m) => m.status === 'delivered'),
    )
    // Each person kept to their own relay.
    expect((await alice.api.links()).map((l) => l.address)).toEqual([relay1.linkUrl])
    expect((await bob.api.links()).map((l) => l.address)).toEqual([relay2.linkUrl])
  })
})

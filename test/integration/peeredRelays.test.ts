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
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { contactsApart } from '../support/contactsApart.ts'
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
    const { alice, bob, aliceId, bobId } = await contactsApart(relay1.linkUrl, relay2.linkUrl, tempDir, (w) => void workers.push(w))
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

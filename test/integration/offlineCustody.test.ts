/**
 * An offline recipient: mail sent while Bob's engine is down waits at the relay
 * and reaches him once, when he comes back; only then does Alice see delivered.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { contactPair } from '../support/contactPair.ts'
import { waitFor } from '../support/waitFor.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-custody-'))
  dirs.push(dir)
  return dir
}

describe('custody for an offline recipient', () => {
  let relay: RelayHandle
  const workers: EngineWorker[] = []
  afterAll(async () => {
    for (const w of workers) await w.terminate()
    await relay?.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('delivers mail sent while the recipient was offline, once, when it returns', async () => {
    relay = await startRelay({ port: 0, dataDir: tempDir() })
    const pair = await contactPair(relay.linkUrl, tempDir, (w) => void workers.push(w))
    const { alice, bobDir } = pair
    let { bob } = pair
    const aliceProfile = { id: pair.aliceId }
    const bobProfile = { id: pair.bobId }

    await bob.terminate()
    const texts = ['while you were out 1', 'while you were out 2', 'while you were out 3']
    for (const text of texts) await alice.api.send(bobProfile.id, text)
    // The relay holds them in custody and says so: relayed, not delivered.
    await waitFor('the relay acknowledges custody', async () =>
      (await alice.api.history(bobProfile.id)).every((m) => m.status === 'relayed'),
    )

    // Bob comes back with the same data: his contact's relay is reconnected on start.
    bob = spawnEngine({ dataDir: bobDir })
    workers.push(bob)
    const received = await waitFor('Bob receives the held mail', async () => {
      const h = await bob.api.history(aliceProfile.id)
      return h.length >= texts.length ? h : null
    })
    expect(received.map((m) => m.text)).toEqual(texts)
    await waitFor('Alice sees delivered', async () =>
      (await alice.api.history(bobProfile.id)).every((m) => m.status === 'delivered'),
    )
    // Exactly once: a message sent now reaches Bob after anything still under way to him
    // on the same links (the relay's custody and Alice's retries went first).
    await alice.api.send(bobProfile.id, 'after')
    const all = await waitFor('Bob receives the later message', async () => {
      const h = await bob.api.history(aliceProfile.id)
      return h.some((m) => m.text === 'after') ? h : null
    })
    expect(all.map((m) => m.text)).toEqual([...texts, 'after'])
  })
})

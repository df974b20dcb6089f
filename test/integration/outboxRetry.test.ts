/**
 * The outbox, end to end: a relay that restarts loses the mail it held (custody
 * is in memory), so only the sender's retries get it through; a sender that
 * restarts resumes its outbox from the store. Either way the recipient shows
 * each message once and the sender sees delivered.
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
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-outbox-'))
  dirs.push(dir)
  return dir
}
/** Short retries, so the test waits seconds, not minutes. */
const outboxPolicy = { baseMs: 200, capMs: 1_000, maxAttempts: 1_000 }

describe('outbox retries across restarts', () => {
  const relays: RelayHandle[] = []
  const workers: EngineWorker[] = []
  afterAll(async () => {
    for (const w of workers) await w.terminate()
    for (const r of relays) await r.close().catch(() => undefined)
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const engine = (dataDir: string): EngineWorker => {
    const w = spawnEngine({ dataDir, outboxPolicy })
    workers.push(w)
    return w
  }

  it('delivers once after the relay forgot its custody and the sender restarted', async () => {
    const relayDir = tempDir()
    let relay = await startRelay({ port: 0, dataDir: relayDir })
    relays.push(relay)
    const port = Number(new URL(relay.linkUrl).port)
    const aliceDir = tempDir()
    const bobDir = tempDir()
    let alice = engine(aliceDir)
    let bob = engine(bobDir)
    const aliceId = (await alice.api.createProfile('Alice')).id
    const bobId = (await bob.api.createProfile('Bob')).id
    await alice.api.connect(relay.linkUrl)
    await bob.api.connect(relay.linkUrl)
    await bob.api.acceptOffer(await alice.api.createOffer())
    await waitFor('Alice knows Bob', async () => (await alice.api.contacts()).some((c) => c.id === bobId))

    await bob.terminate()
    const texts = Array.from({ length: 12 }, (_, i) => `held then lost ${i}`)
    await Promise.all(texts.map((t) => alice.api.send(bobId, t)))
    await waitFor('the relay holds them', async () => (await alice.api.history(bobId)).every((m) => m.status === 'relayed'))

    // The relay restarts on the same port: what it held is gone. Alice restarts too.
    await relay.close()
    await alice.terminate()
    relay = await startRelay({ port, dataDir: relayDir })
    relays.push(relay)
    // Alice dials the relay she was given again on her own (it is remembered), and resumes her outbox.
    alice = engine(aliceDir)
    expect((await alice.api.history(bobId)).map((m) => m.status)).toEqual(texts.map(() => 'relayed'))
    bob = engine(bobDir)

    const received = await waitFor('Bob has all of them', async () => {
      const h = await bob.api.history(aliceId)
      return h.length >= texts.length ? h : null
    })
    expect(received.map((m) => m.text).sort()).toEqual([...texts].sort())
    await waitFor('Alice sees delivered', async () => (await alice.api.history(bobId)).every((m) => m.status === 'delivered'))
    // Retries that were already in flight arrive too, and are shown once.
    await new Promise((r) => setTimeout(r, 1_500))
    const after = await bob.api.history(aliceId)
    expect(after.length).toBe(texts.length)
    expect(new Set(after.map((m) => m.id)).size).toBe(texts.length)
  })
})

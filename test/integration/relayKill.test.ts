/**
 * Kill -9 of a relay holding mail for an offline user (issue 10): the relay's
 * ack ("relayed") promises the mail is on disk, so after SIGKILL and a restart
 * on the same DATA_DIR and port the mail is delivered, once. The sender is
 * offline from the ack until the recipient has it all, so it can only have
 * come from the relay's disk.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { contactPair } from '../support/contactPair.ts'
import { startRelayProcess } from '../support/relayProcess.ts'
import type { RelayProcess } from '../support/relayProcess.ts'
import { waitFor } from '../support/waitFor.ts'

const dirs: string[] = []
const relays: RelayProcess[] = []
const workers: EngineWorker[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-relay-kill-'))
  dirs.push(dir)
  return dir
}

afterAll(async () => {
  for (const w of workers) await w.terminate()
  for (const relay of relays) relay.child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('relay killed while holding mail', () => {
  it('delivers what it acknowledged, once, after kill -9 and a restart', async () => {
    const relayDir = tempDir()
    const first = await startRelayProcess(relayDir, '0')
    relays.push(first)
    const pair = await contactPair(first.linkUrl, tempDir, (w) => void workers.push(w))
    let { alice, bob } = pair
    const { aliceDir, bobDir } = pair
    const aliceProfile = { id: pair.aliceId }
    const bobProfile = { id: pair.bobId }

    await bob.terminate()
    const texts = ['held 1', 'held 2', 'held 3', 'held 4', 'held 5']
    for (const text of texts) await alice.api.send(bobProfile.id, text)
    // The relay's custody ack: from here on the relay has promised to keep them.
    await waitFor('the relay acknowledges custody', async () => {
      const h = await alice.api.history(bobProfile.id)
      return h.length === texts.length && h.every((m) => m.status === 'relayed')
    })
    // Alice goes too: her outbox would send the mail again to the new relay
    // process, so what Bob gets next can only come from the relay's disk.
    await alice.terminate()

    first.child.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')
    const second = await startRelayProcess(relayDir, first.port)
    relays.push(second)
    expect(second.linkUrl).toBe(first.linkUrl)

    // Bob comes back with the same data: his contact's relay is reconnected on start.
    bob = spawnEngine({ dataDir: bobDir })
    workers.push(bob)
    const received = await waitFor('Bob receives the held mail', async () => {
      const h = await bob.api.history(aliceProfile.id)
      return h.length >= texts.length ? h : null
    })
    expect(received.map((m) => m.text)).toEqual(texts)

    // Alice comes back: her outbox sends again whatever has no receipt yet, and
    // Bob's receipts make it delivered.
    alice = spawnEngine({ dataDir: aliceDir })
    workers.push(alice)
    await waitFor('Alice sees delivered', async () => {
      const h = await alice.api.history(bobProfile.id)
      return h.length === texts.length && h.every((m) => m.status === 'delivered')
    })
    // Once: a message sent now reaches Bob after anything still under way to him
    // on the same links (the relay's custody and Alice's retries went first).
    await alice.api.send(bobProfile.id, 'after')
    const all = await waitFor('Bob receives the later message', async () => {
      const h = await bob.api.history(aliceProfile.id)
      return h.some((m) => m.text === 'after') ? h : null
    })
    expect(all.map((m) => m.text)).toEqual([...texts, 'after'])
  })
})

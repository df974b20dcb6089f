/**
 * Home relays, end to end (issue 11): a user's signed reach record reaches their
 * contacts inside the encrypted session, when they become contacts and again
 * whenever it changes, and each contact keeps the newest. Real relays on
 * 127.0.0.1, two engines in workers.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { contactPair } from '../support/contactPair.ts'
import { waitFor } from '../support/waitFor.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-contact-reach-'))
  dirs.push(dir)
  return dir
}

/** The identity (hex) the relay at `address` proved to `engine` in its link handshake. */
async function relayIdentity(engine: EngineWorker, address: string): Promise<string> {
  return waitFor(`a link open to ${address}`, async () => {
    const link = (await engine.api.links()).find((l) => l.state === 'open' && l.address === address)
    return link?.peerId ?? null
  })
}

describe("a contact's reach record, end to end", () => {
  const relays: RelayHandle[] = []
  const workers: EngineWorker[] = []
  afterAll(async () => {
    for (const w of workers) await w.terminate()
    for (const relay of relays) await relay.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('Bob holds Alice\'s current record once they are contacts, and the newer one when her relays change', async () => {
    const one = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(one)
    const two = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(two)
    const { alice, bob, aliceId, bobId } = await contactPair(one.linkUrl, tempDir, (w) => void workers.push(w))
    const oneId = await relayIdentity(alice, one.linkUrl)

    // Alice's record went to Bob when his intro made them contacts: it names her relay.
    const first = await waitFor("Bob holds Alice's record", () => bob.api.contactReach(aliceId))
    expect(first.relays).toEqual([{ address: one.linkUrl, identity: oneId }])
    expect(first.expiresAt).toBeGreaterThan(Date.now())
    // And Bob's went to Alice when he accepted her offer.
    const bobs = await waitFor("Alice holds Bob's record", () => alice.api.contactReach(bobId))
    expect(bobs.relays).toEqual([{ address: one.linkUrl, identity: await relayIdentity(bob, one.linkUrl) }])

    // A second home relay: Alice signs a newer record naming both, and Bob takes it.
    await alice.api.connect(two.linkUrl)
    const twoId = await relayIdentity(alice, two.linkUrl)
    const second = await waitFor("Bob holds Alice's newer record", async () => {
      const held = await bob.api.contactReach(aliceId)
      return held !== null && held.seqno > first.seqno ? held : null
    })
    expect(second.relays).toEqual([
      { address: one.linkUrl, identity: oneId },
      { address: two.linkUrl, identity: twoId },
    ])
    // Nothing of it shows in the conversation.
    expect(await bob.api.history(aliceId)).toEqual([])
  })
})

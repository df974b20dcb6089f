/**
 * Two engines in two worker_threads workers, each with its own file store, chat
 * through a real relay on 127.0.0.1. Every envelope the relay handles is tapped:
 * none may contain the plaintext, a display name or the sender's identity.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Comlink from 'comlink'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromHex, utf8Encode } from '../../engine/bytes.ts'
import type { EngineEvent } from '../../workers/api.ts'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { waitFor } from '../support/waitFor.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-it-'))
  dirs.push(dir)
  return dir
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

describe('two engines chat through a relay', () => {
  let relay: RelayHandle
  const relayed: Uint8Array[] = []
  let alice: EngineWorker
  let bob: EngineWorker
  const aliceDir = tempDir()

  beforeAll(async () => {
    relay = await startRelay({ port: 0, dataDir: tempDir(), tap: (bytes) => relayed.push(bytes.slice()) })
    alice = spawnEngine({ dataDir: aliceDir })
    bob = spawnEngine({ dataDir: tempDir() })
  })

  afterAll(async () => {
    await alice?.terminate()
    await bob?.terminate()
    await relay?.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('exchanges messages both ways, and the relay never sees plaintext', async () => {
    const aliceProfile = await alice.api.createProfile('Alice Liddell')
    const bobProfile = await bob.api.createProfile('Bob Marley')
    await alice.api.connect(relay.linkUrl)
    await bob.api.connect(relay.linkUrl)
    await waitFor('both links open', async () =>
      (await alice.api.links()).some((l) => l.state === 'open') && (await bob.api.links()).some((l) => l.state === 'open'),
    )

    const aliceEvents: EngineEvent[] = []
    await alice.api.subscribe(Comlink.proxy((batch: EngineEvent[]) => void aliceEvents.push(...batch)))

    // Bob pastes Alice's code; his intro tells Alice who he is.
    const bobsContact = await bob.api.acceptOffer(await alice.api.createOffer())
    expect(bobsContact.displayName).toBe('Alice Liddell')
    expect(bobsContact.id).toBe(aliceProfile.id)
    const alicesContact = await waitFor('Alice learns Bob', async () =>
      (await alice.api.contacts()).find((c) => c.id === bobProfile.id),
    )
    expect(alicesContact.displayName).toBe('Bob Marley')
    expect(alicesContact.safetyNumber).toBe(bobsContact.safetyNumber)

    const texts = ['Hello Alice, the secret is tangerine-42', 'Second message: ümlauts & emoji 🛰️']
    for (const text of texts) await bob.api.send(aliceProfile.id, text)
    await waitFor('Alice has both messages', async () => (await alice.api.history(bobProfile.id)).length === 2)
    await alice.api.send(bobProfile.id, 'Hi Bob — reply marmalade-7')
    const bobHistory = await waitFor('Bob has the reply', async () => {
      const h = await bob.api.history(aliceProfile.id)
      return h.length === 3 ? h : null
    })

    expect(bobHistory.map((m) => [m.direction, m.text])).toEqual([
      ['out', texts[0]],
      ['out', texts[1]],
      ['in', 'Hi Bob — reply marmalade-7'],
    ])
    const aliceHistory = await alice.api.history(bobProfile.id)
    expect(aliceHistory.map((m) => m.text)).toEqual([...texts, 'Hi Bob — reply marmalade-7'])
    expect(aliceHistory.slice(0, 2).every((m) => m.direction === 'in' && m.status === 'received')).toBe(true)
    expect(aliceEvents.some((e) => e.type === 'message' && e.message.text === texts[0])).toBe(true)
    // Only Alice's end-to-end receipts move Bob's messages to delivered.
    await waitFor('Bob sees his messages delivered', async () =>
      (await bob.api.history(aliceProfile.id)).filter((m) => m.direction === 'out').every((m) => m.status === 'delivered'),
    )

    // The relay handled every envelope (intro + 3 texts) and could read none of them.
    expect(relayed.length).toBeGreaterThanOrEqual(4)
    const secrets = [...texts, 'tangerine-42', 'marmalade-7', 'Alice Liddell', 'Bob Marley'].map(utf8Encode)
    const senderIds = [fromHex(aliceProfile.id), fromHex(bobProfile.id)]
    for (const bytes of relayed) {
      for (const secret of secrets) expect(contains(bytes, secret)).toBe(false)
    }
    // Sealed sender: an envelope names its destination, never its sender.
    const bobToAlice = relayed.filter((b) => contains(b, senderIds[0]!))
    expect(bobToAlice.length).toBeGreaterThanOrEqual(3)
    for (const bytes of bobToAlice) expect(contains(bytes, senderIds[1]!)).toBe(false)
  })

  it('keeps identity, contacts and history across a restart of the worker', async () => {
    const before = await alice.api.profile()
    const contactsBefore = await alice.api.contacts()
    await alice.terminate()
    alice = spawnEngine({ dataDir: aliceDir })
    expect(await alice.api.profile()).toEqual(before)
    expect(await alice.api.contacts()).toEqual(contactsBefore)
    expect((await alice.api.history(contactsBefore[0]!.id)).length).toBe(3)
  })

  it('rejects a bad offer code with a typed, readable error and adds nothing', async () => {
    const count = (await bob.api.contacts()).length
    const error = await bob.api.acceptOffer('SOV1-not-a-real-code').catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).name).toBe('InvalidOfferError')
    expect((error as Error).message).not.toMatch(/at .*\.ts/)
    expect((await bob.api.contacts()).length).toBe(count)
  })
})

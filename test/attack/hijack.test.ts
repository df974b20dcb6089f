/**
 * Attack suite, hijack (issue 11): peer M keeps Bob's own signed announcement and, once Bob
 * is offline, replays it to Bob's relay with metric 0, then
 * answers every envelope it is handed with a custody ack. (Relays no longer pass announcements
 * on, so M gets Bob's from a relay of its own that Bob tried once and left.) Before issue 11 the relay gave
 * M all of Bob's mail, M's acks reached Alice as "relayed", and Bob got nothing when he
 * came back. Now the relay is Bob's home relay (he registered his reach record there), so
 * it keeps his mail even while a copy goes to M, and signs for it; Alice knows Bob's home
 * relays (his record, end to end) and counts custody only on a receipt one of them
 * signed: M's acks are ignored (counted), and Bob gets every message once when he returns.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { toHex } from '../../engine/bytes.ts'
import { parseAnnouncement } from '../../engine/routing/announcement.ts'
import { decodeEnvelope, decodeLinkFrame, encodeLinkFrame } from '../../engine/wire/index.ts'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { contactPair } from '../support/contactPair.ts'
import { waitFor } from '../support/waitFor.ts'
import { rawListener, rawPeer } from './rawPeer.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-hijack-'))
  dirs.push(dir)
  return dir
}

describe('a peer replays an offline user\'s announcement and forges custody acks', () => {
  let relay: RelayHandle | undefined
  const workers: EngineWorker[] = []
  afterAll(async () => {
    for (const w of workers) await w.terminate()
    await relay?.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('diverts nothing that counts: relayed only on the home relay\'s receipts, and the victim gets every message once', async () => {
    relay = await startRelay({ port: 0, dataDir: tempDir() })
    const pair = await contactPair(relay.linkUrl, tempDir, (w) => void workers.push(w))
    const { alice, aliceId, bobId, bobDir } = pair
    await waitFor('Alice holds Bob\'s reach record', async () => (await alice.api.contactReach(bobId)) !== null)

    // M runs a relay that Bob tries and leaves: it keeps the announcement Bob sent it.
    let bobsAnnouncement: Uint8Array | null = null
    const trap = await rawListener()
    trap.onFrame((plain) => {
      const frame = decodeLinkFrame(plain)
      if (frame.type === 'announce' && toHex(parseAnnouncement(frame.announcement).announcement.origin) === bobId) {
        bobsAnnouncement = frame.announcement
      }
    })
    await pair.bob.api.connect(trap.url)
    await waitFor("M has Bob's announcement", () => bobsAnnouncement)
    await pair.bob.api.leaveRelay(trap.url)
    await trap.close()
    await waitFor("Alice holds Bob's record without M's relay", async () => {
      const reach = await alice.api.contactReach(bobId)
      return reach !== null && reach.relays.every((r) => r.address !== trap.url)
    })

    // M then links to Bob's relay and acks whatever it is handed.
    const divertedToM = new Set<string>()
    const mallory = await rawPeer(relay.linkUrl, undefined, '127.0.0.1')
    mallory.onFrame((plain) => {
      const frame = decodeLinkFrame(plain)
      if (frame.type === 'envelopes') {
        const ids = frame.envelopes.map((bytes) => decodeEnvelope(bytes).header.id)
        for (const id of ids) divertedToM.add(toHex(id))
        void mallory.write(encodeLinkFrame({ type: 'ack', ids }))
      }
    })

    // Alice, Bob and M are linked; then Bob's engine stops.
    await waitFor('three links open at the relay', async () => (await openLinks(relay!)) === 3)
    await pair.bob.terminate()
    await waitFor('the relay saw Bob go', async () => (await openLinks(relay!)) === 2)
    await mallory.write(encodeLinkFrame({ type: 'announce', announcement: bobsAnnouncement!, metric: 0 }))

    const texts = ['while you were out 1', 'while you were out 2', 'while you were out 3']
    for (const text of texts) await alice.api.send(bobId, text)
    // The replay works on the route: copies of Alice's mail go to M, and M acks them...
    await waitFor('M was handed Alice\'s mail', () => divertedToM.size >= texts.length)
    // ...but Bob's home relay kept them too and signed for them: Alice shows relayed on those
    // receipts alone (M's acks are not even passed back: the relay did not forward for them).
    await waitFor('Alice sees relayed on the home relay\'s receipts', async () =>
      (await alice.api.history(bobId)).every((m) => m.status === 'relayed'),
    )
    const diagnostics = await alice.api.diagnostics()
    expect(diagnostics.custodyReceiptsAccepted).toBeGreaterThanOrEqual(texts.length)
    expect(diagnostics.custodyReceiptsRefused).toEqual({})

    // Bob comes back: every message once, and Alice sees delivered.
    const bob = spawnEngine({ dataDir: bobDir })
    workers.push(bob)
    const received = await waitFor('Bob receives what was sent while he was out', async () => {
      const h = await bob.api.history(aliceId)
      return h.length >= texts.length ? h : null
    })
    // Once each; in the order their retries happened to arrive (each is its own envelope).
    expect(received.map((m) => m.text).sort()).toEqual(texts)
    await waitFor('Alice sees delivered', async () => (await alice.api.history(bobId)).every((m) => m.status === 'delivered'))
    await alice.api.send(bobId, 'after')
    const all = await waitFor('Bob receives a later message', async () => {
      const h = await bob.api.history(aliceId)
      return h.some((m) => m.text === 'after') ? h : null
    })
    expect(all.map((m) => m.text).sort()).toEqual([...texts, 'after'].sort())
    mallory.close()
  })
})

/** Links open at the relay now, from its Prometheus page. */
async function openLinks(relay: RelayHandle): Promise<number> {
  const page = await (await fetch(`${relay.httpUrl}/metrics`)).text()
  return Number(/^sovereign_relay_links\{state="open"\} (\S+)$/m.exec(page)?.[1] ?? 0)
}

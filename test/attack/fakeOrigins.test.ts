/**
 * Attack suite, fake origins (issue 11's check, on issue 10's budgets): one authenticated
 * peer signs announcements for 10,000 made-up origins and sends them to a real relay
 * process as fast as its socket drains, while Alice and Bob (real engines in workers)
 * chat through the same relay. Before the budgets the relay verified every one and
 * passed it to every neighbour, and honest messaging stalled for over 30 s. Now a
 * stranger's announcements are budgeted (10 at once, then one a second), the excess is
 * shed before any signature check and costs the sender its score: the relay must keep
 * routes to a few of the fake origins at most, drop the sender, and lose no honest
 * message. How much the attack slows the chat is for benchmarks, not asserted here.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generateIdentity } from '../../engine/identity/index.ts'
import { createAnnouncement } from '../../engine/routing/announcement.ts'
import { encodeLinkFrame } from '../../engine/wire/index.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { systemRandom } from '../../workers/systemPorts.ts'
import { contactPair } from '../support/contactPair.ts'
import { startRelayProcess } from '../support/relayProcess.ts'
import type { RelayProcess } from '../support/relayProcess.ts'
import { waitFor } from '../support/waitFor.ts'
import { rawPeer } from './rawPeer.ts'

const dirs: string[] = []
const workers: EngineWorker[] = []
let relay: RelayProcess | undefined
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-origins-'))
  dirs.push(dir)
  return dir
}

const FAKE_ORIGINS = 10_000
/** A stranger's announcement budget (engine/routing/tokenBucket.ts): a burst of 10, then 1/s. */
const BUDGET_BURST = 10

afterAll(async () => {
  for (const w of workers) await w.terminate()
  relay?.child.kill('SIGKILL')
  if (relay) await relay.exited
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('a relay sent 10,000 fake origins by one peer', () => {
  it('keeps routes to a budget\'s worth at most, drops the sender, and the honest chat loses nothing', async () => {
    relay = await startRelayProcess(tempDir())
    const { alice, bob, aliceId, bobId } = await contactPair(relay.linkUrl, tempDir, (w) => void workers.push(w))
    const routesBefore = await relay.metric('sovereign_relay_routes')

    const crypto = nodeCrypto()
    const random = systemRandom()
    const now = Date.now()
    const frames = Array.from({ length: FAKE_ORIGINS }, (_, i) =>
      encodeLinkFrame({
        type: 'announce',
        metric: 0,
        announcement: createAnnouncement(crypto, generateIdentity(crypto, random), { seqno: 1, issuedAt: now + i, custodian: false, prekey: null }),
      }),
    )
    const attacker = await rawPeer(relay.linkUrl)
    let closed = false
    void attacker.closed.then(() => void (closed = true))
    let sent = 0
    for (const frame of frames) {
      if (closed) break
      await attacker.write(frame)
      sent++
      // Alice chats while the announcements arrive.
      if (sent % 500 === 0) await alice.api.send(bobId, `during the attack ${sent / 500}`)
    }
    // The relay's verdict, once it has read what it was sent (a deadline, not a pace).
    expect(await attacker.closed).toBeGreaterThan(0)
    expect(await relay.metric('sovereign_relay_link_closes_total{reason="score"}')).toBe(1)
    expect(await relay.metric('sovereign_relay_shed_total{action="announcements"}')).toBeGreaterThan(100)
    // A budget's worth of fake origins at most (the burst, plus one a second while the link lived);
    // measured: none, since the routes through a neighbour go with its link.
    const fakeRoutes = (await relay.metric('sovereign_relay_routes')) - routesBefore
    expect(fakeRoutes).toBeLessThanOrEqual(BUDGET_BURST + 60)

    const during = Math.floor(sent / 500)
    await alice.api.send(bobId, 'after the attack')
    const history = await waitFor('Bob has every honest message', async () => {
      const h = await bob.api.history(aliceId)
      return h.length === during + 1 ? h : null
    })
    expect(history.map((m) => m.text)).toEqual([...Array.from({ length: during }, (_, i) => `during the attack ${i + 1}`), 'after the attack'])
  })
})

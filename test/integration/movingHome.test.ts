/**
 * Moving home (issue 11): Bob's home relay is relay 1, where Alice is too; he moves to
 * relay 2 (connects it, then leaves relay 1) while Alice keeps writing, then goes offline.
 * His newer reach record reaches relay 1 (sent before he closes that link), which stops
 * being his home, and Alice, end to end. What Alice sends while he is away is held at his
 * new home, which signs for it; everything arrives once when he is back.
 * What relay 1 held for him when his newer record arrived it hands over to relay 2
 * (engine/routing/test/dataPlaneReach.test.ts). A move while the old relay is unreachable:
 * it keeps holding for him until his old record expires, and the senders' outbox retries
 * deliver through the new home (test/integration/fiveRelays.test.ts kills a home relay).
 */
import { describe, expect, it } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import { contactPair } from '../support/contactPair.ts'
import { testScope } from '../support/testScope.ts'
import { waitFor } from '../support/waitFor.ts'

const { tempDir, relays, workers, track } = testScope('moving')

/** The relay's `home_registrations_total` sample for `outcome`, from its Prometheus page. */
async function registrations(relay: RelayHandle, outcome: string): Promise<number> {
  const page = await (await fetch(`${relay.httpUrl}/metrics`)).text()
  const line = page.split('\n').find((l) => l.startsWith(`sovereign_relay_home_registrations_total{outcome="${outcome}"} `))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

describe('moving home', () => {
  it('Bob moves from relay 1 to relay 2 while Alice writes; every message arrives once', async () => {
    const relay1 = await startRelay({ port: 0, dataDir: tempDir() })
    const relay2 = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(relay1, relay2)
    relay1.connect(relay2.linkUrl)
    const { alice, bob, aliceId, bobId, bobDir } = await contactPair(relay1.linkUrl, tempDir, track)
    const homesOfBob = async (): Promise<string[]> => ((await alice.api.contactReach(bobId))?.relays ?? []).map((r) => r.address)
    await waitFor('Alice knows Bob is at home on relay 1', async () => (await homesOfBob()).join() === relay1.linkUrl)

    await alice.api.send(bobId, 'before the move')
    await bob.api.connect(relay2.linkUrl)
    await alice.api.send(bobId, 'while he has two homes')
    await bob.api.leaveRelay(relay1.linkUrl)
    await waitFor('Alice learns Bob lives on relay 2 now', async () => (await homesOfBob()).join() === relay2.linkUrl)
    await waitFor('relay 1 knows he left', async () => (await registrations(relay1, 'left')) === 1)
    // He keeps no link to relay 1: Alice's mail reaches him through relay 2 (her relay dials it).
    await waitFor('Bob has left relay 1', async () => (await bob.api.links()).map((l) => l.address).join() === relay2.linkUrl)

    await bob.terminate()
    const whileAway = ['while he moved 1', 'while he moved 2']
    for (const text of whileAway) await alice.api.send(bobId, text)
    // Held at his new home, which signed for it; relay 1 is no longer his home and does not count.
    await waitFor('relayed on relay 2\'s receipts', async () =>
      (await alice.api.history(bobId)).filter((m) => whileAway.includes(m.text)).every((m) => m.status === 'relayed'),
    )

    const back = spawnEngine({ dataDir: bobDir })
    workers.push(back)
    const texts = ['before the move', 'while he has two homes', ...whileAway]
    const received = await waitFor('Bob has every message', async () => {
      const h = await back.api.history(aliceId)
      return h.length >= texts.length ? h : null
    })
    expect(received.map((m) => m.text).sort()).toEqual([...texts].sort())
    await waitFor('Alice sees delivered', async () => (await alice.api.history(bobId)).every((m) => m.status === 'delivered'))
  })
})

/**
 * Custody across two relays (issue 11). Bob's home relay is relay 2; Alice is on relay 1.
 * When relay 1 passes Alice's mail on to relay 2, relay 2 holds it and signs for it, the
 * receipt comes back through relay 1, and Alice shows "relayed". When relay 1 cannot pass
 * it on and holds it itself, its plain ack is a neighbour's word, not a home relay's
 * receipt: Alice does not show "relayed" (she counts the ack ignored), and her outbox keeps
 * the message. Either way Bob gets every message once when he returns.
 */
import { describe, expect, it } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import { contactsApart } from '../support/contactsApart.ts'
import { testScope } from '../support/testScope.ts'
import { waitFor } from '../support/waitFor.ts'

const { tempDir, relays, workers, track } = testScope('home-custody')

/** Alice on relay 1, Bob on relay 2 (his home), contacts; `relay1DialsRelay2` sets which relay dialed the other. */
async function setUp(relay1DialsRelay2: boolean) {
  const relay1 = await startRelay({ port: 0, dataDir: tempDir() })
  const relay2 = await startRelay({ port: 0, dataDir: tempDir() })
  relays.push(relay1, relay2)
  if (relay1DialsRelay2) relay1.connect(relay2.linkUrl)
  else relay2.connect(relay1.linkUrl)
  const { alice, bob, aliceId, bobId, bobDir } = await contactsApart(relay1.linkUrl, relay2.linkUrl, tempDir, track)
  await waitFor('Alice holds Bob\'s reach record naming relay 2', async () =>
    (await alice.api.contactReach(bobId))?.relays.map((r) => r.address).includes(relay2.linkUrl) === true,
  )
  await bob.terminate()
  return { alice, aliceId, bobId, bobDir }
}

async function bobReturns(bobDir: string, aliceId: string, texts: readonly string[]): Promise<void> {
  const bob = spawnEngine({ dataDir: bobDir })
  workers.push(bob)
  const received = await waitFor('Bob receives what was sent while he was out', async () => {
    const h = await bob.api.history(aliceId)
    return h.length >= texts.length ? h : null
  })
  expect(received.map((m) => m.text).sort()).toEqual([...texts].sort())
}

describe('custody for a user whose home relay is another relay', () => {
  it('shows relayed on the home relay\'s receipt, passed back through the sender\'s relay', async () => {
    const { alice, aliceId, bobId, bobDir } = await setUp(true)
    const texts = ['to your home 1', 'to your home 2']
    for (const text of texts) await alice.api.send(bobId, text)
    await waitFor('relayed on relay 2\'s receipt', async () => (await alice.api.history(bobId)).every((m) => m.status === 'relayed'))
    expect((await alice.api.diagnostics()).custodyReceiptsAccepted).toBeGreaterThanOrEqual(texts.length)
    await bobReturns(bobDir, aliceId, texts)
    await waitFor('Alice sees delivered', async () => (await alice.api.history(bobId)).every((m) => m.status === 'delivered'))
  })

  it('does not show relayed on a plain ack from a relay that is not his home, and loses nothing', async () => {
    const { alice, aliceId, bobId, bobDir } = await setUp(false)
    const texts = ['held by a stranger 1', 'held by a stranger 2']
    for (const text of texts) await alice.api.send(bobId, text)
    await waitFor('Alice ignored relay 1\'s plain acks', async () => (await alice.api.diagnostics()).custodyClaimsIgnored >= texts.length)
    expect((await alice.api.history(bobId)).map((m) => m.status)).toEqual(['sent', 'sent'])
    await bobReturns(bobDir, aliceId, texts)
    await waitFor('Alice sees delivered', async () => (await alice.api.history(bobId)).every((m) => m.status === 'delivered'))
  })
})

/**
 * Custody across two relays (issue 11). Bob's home relay is relay 2; Alice is on relay 1.
 * Alice's mail goes through her own relay, which passes Bob's reach record and the mail on
 * to relay 2 (over a link either relay opened, or one relay 1 dials on demand by the
 * address in Bob's record); relay 2 holds it and signs for it, the receipt comes back
 * through relay 1, and Alice shows "relayed". Relay 1 itself holds nothing for Bob and
 * acknowledges nothing (a plain ack would count for nothing anyway: test/attack/hijack).
 * Bob gets every message once when he returns.
 */
import { proxy } from 'comlink'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../workers/api.ts'
import { startRelay } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import { contactsApart } from '../support/contactsApart.ts'
import { testScope } from '../support/testScope.ts'
import { waitFor } from '../support/waitFor.ts'

const { tempDir, relays, workers, track } = testScope('home-custody')

/** Alice on relay 1, Bob on relay 2 (his home), contacts; `peering` sets which relay dialed the other, if any. */
/** Retries within a second or so (not the default backoff to 5 minutes): a relay's return is found soon. */
const QUICK_RETRIES = { baseMs: 200, capMs: 1_000, maxAttempts: 1_000 }

async function setUp(peering: 'relay 1 dials relay 2' | 'relay 2 dials relay 1' | 'on demand') {
  // A dial to a relay that does not answer is given up after 1 s here (20 s by default).
  const relay1 = await startRelay({ port: 0, dataDir: tempDir(), relayDialTimeoutMs: 1_000 })
  const relay2Dir = tempDir()
  const relay2 = await startRelay({ port: 0, dataDir: relay2Dir })
  relays.push(relay1, relay2)
  if (peering === 'relay 1 dials relay 2') relay1.connect(relay2.linkUrl)
  if (peering === 'relay 2 dials relay 1') relay2.connect(relay1.linkUrl)
  const { alice, bob, aliceId, bobId, bobDir } = await contactsApart(relay1.linkUrl, relay2.linkUrl, tempDir, track, { outboxPolicy: QUICK_RETRIES })
  await waitFor('Alice holds Bob\'s reach record naming relay 2', async () =>
    (await alice.api.contactReach(bobId))?.relays.map((r) => r.address).includes(relay2.linkUrl) === true,
  )
  await bob.terminate()
  return { alice, aliceId, bobId, bobDir, relay1, relay2, relay2Dir }
}

/** A relay's metric (first sample whose name and labels start with `sample`) from its Prometheus page. */
async function metric(relay: { readonly httpUrl: string }, sample: string): Promise<number> {
  const page = await (await fetch(`${relay.httpUrl}/metrics`)).text()
  const line = page.split('\n').find((l) => l.startsWith(`sovereign_relay_${sample} `))
  return Number(line?.split(' ')[1] ?? NaN)
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
  for (const peering of ['relay 1 dials relay 2', 'relay 2 dials relay 1'] as const) {
    it(`shows relayed on the home relay's receipt, passed back through the sender's relay (${peering})`, async () => {
      const { alice, aliceId, bobId, bobDir, relay1 } = await setUp(peering)
      const texts = ['to your home 1', 'to your home 2']
      for (const text of texts) await alice.api.send(bobId, text)
      await waitFor("relayed on relay 2's receipt", async () => (await alice.api.history(bobId)).every((m) => m.status === 'relayed'))
      expect((await alice.api.diagnostics()).custodyReceiptsAccepted).toBeGreaterThanOrEqual(texts.length)
      expect(await metric(relay1, 'custody_envelopes')).toBe(0)
      await bobReturns(bobDir, aliceId, texts)
      await waitFor('Alice sees delivered', async () => (await alice.api.history(bobId)).every((m) => m.status === 'delivered'))
    })
  }

  it('reaches a home relay no relay was told to link to: the relays dial each other by the addresses in reach records', async () => {
    const { alice, aliceId, bobId, bobDir, relay1, relay2 } = await setUp('on demand')
    const texts = ['dialed for you 1', 'dialed for you 2']
    for (const text of texts) await alice.api.send(bobId, text)
    await waitFor("relayed on relay 2's receipt", async () => (await alice.api.history(bobId)).every((m) => m.status === 'relayed'))
    // Bob's intro went first, through relay 2, which dialed relay 1 (Alice's home, from her offer);
    // that link now carries Alice's mail the other way.
    const dialed = (await metric(relay1, 'relay_pool_links')) + (await metric(relay2, 'relay_pool_links'))
    expect(dialed).toBe(1)
    expect(await metric(relay2, 'relay_pool_total{event="dialed"}')).toBe(1)
    // Private routing: relay 2 heard of Alice only from relay 1 (her address never reached it).
    expect(await metric(relay2, 'links{state="open"}')).toBe(1)
    await bobReturns(bobDir, aliceId, texts)
    await waitFor('Alice sees delivered', async () => (await alice.api.history(bobId)).every((m) => m.status === 'delivered'))
  })

  it("tells Alice why while all of Bob's home relays are down, keeps the message, and delivers it once one is back", async () => {
    const { alice, aliceId, bobId, bobDir, relay2, relay2Dir } = await setUp('on demand')
    const port = Number(new URL(relay2.linkUrl).port)
    relays.splice(relays.indexOf(relay2), 1)
    await relay2.close()
    const problems: string[] = []
    const subscription = await alice.api.subscribe(
      proxy((events: readonly EngineEvent[]) => {
        for (const e of events) if (e.type === 'deliveryProblem') problems.push(e.reason)
      }),
    )
    const sent = await alice.api.send(bobId, 'while your relay is down')
    // Relay 1 dials relay 2, gives up, and says so: Alice's screen can say why it waits.
    await waitFor('Alice hears why', () => problems.includes('home-unreachable'))
    expect((await alice.api.diagnostics()).refusals['home-unreachable']).toBeGreaterThanOrEqual(1)
    expect((await alice.api.history(bobId)).find((m) => m.id === sent.id)?.status).toBe('sent')
    await alice.api.unsubscribe(subscription)
    // Bob's relay comes back where his record says it is: the outbox's next try gets through.
    relays.push(await startRelay({ port, dataDir: relay2Dir }))
    await waitFor("relayed on relay 2's receipt", async () => (await alice.api.history(bobId)).find((m) => m.id === sent.id)?.status === 'relayed')
    await bobReturns(bobDir, aliceId, ['while your relay is down'])
  })
})

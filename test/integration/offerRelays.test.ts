/**
 * An offer names the user's own relays only, and an engine dials only those (issue 11): an
 * offer code is handed to people the user meets, so listing a contact's relay would tell them
 * where the user's contacts are; and a link to a contact's relay would tell that relay the
 * user's address. Mail to contacts goes through the user's own relay instead.
 */
import { describe, expect, it } from 'vitest'
import { decodeOffer } from '../../engine/offer/offerCode.ts'
import { startRelay } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import { contactsApart } from '../support/contactsApart.ts'
import { testScope } from '../support/testScope.ts'
import { waitFor } from '../support/waitFor.ts'

const { tempDir, relays, workers, track } = testScope('offer')

describe('an offer code', () => {
  it("names the user's own relays, and the engine dials no contact's relay", async () => {
    const relay1 = await startRelay({ port: 0, dataDir: tempDir() })
    const relay2 = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(relay1, relay2)
    const { bob, bobDir, aliceId } = await contactsApart(relay1.linkUrl, relay2.linkUrl, tempDir, track)
    // Bob learned Alice's relay from her offer; after a restart his engine still dials only his own.
    await bob.terminate()
    const again = spawnEngine({ dataDir: bobDir })
    workers.push(again)
    await waitFor('Bob is back on his relay', async () => (await again.api.links()).some((l) => l.state === 'open'))
    const offer = decodeOffer(await again.api.createOffer())
    expect(offer.relays).toEqual([relay2.linkUrl])
    expect(offer.reach).toBeDefined()
    // And still reaches Alice, through his relay.
    const sent = await again.api.send(aliceId, 'through my own relay')
    await waitFor('delivered', async () => (await again.api.history(aliceId)).find((m) => m.id === sent.id)?.status === 'delivered')
    expect((await again.api.links()).map((l) => l.address)).toEqual([relay2.linkUrl])
  })
})

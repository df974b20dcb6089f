/**
 * An offer names the user's own relays only. An engine also dials its contacts' relays
 * (to reach them), but an offer code is handed to people the user meets: listing those
 * relays would tell them where the user's contacts are.
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
  it('names the user\'s own relays, not the relays of contacts the engine also dials', async () => {
    const relay1 = await startRelay({ port: 0, dataDir: tempDir() })
    const relay2 = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(relay1, relay2)
    relay1.connect(relay2.linkUrl)
    const { bob, bobDir } = await contactsApart(relay1.linkUrl, relay2.linkUrl, tempDir, track)
    // Bob learned Alice's relay from her offer; after a restart his engine dials it too.
    await bob.terminate()
    const again = spawnEngine({ dataDir: bobDir })
    workers.push(again)
    await waitFor('Bob dials Alice\'s relay as well as his own', async () => {
      const open = (await again.api.links()).filter((l) => l.state === 'open').map((l) => l.address)
      return open.includes(relay1.linkUrl) && open.includes(relay2.linkUrl)
    })
    expect(decodeOffer(await again.api.createOffer()).relays).toEqual([relay2.linkUrl])
  })
})

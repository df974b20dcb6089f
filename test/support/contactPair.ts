/**
 * Alice and Bob as engines in worker_threads workers, each with its own data dir,
 * linked to one relay and contacts of each other (Bob accepted Alice's offer and
 * Alice learned him from his intro): where most relay tests start.
 */
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { waitFor } from './waitFor.ts'

export interface ContactPair {
  readonly alice: EngineWorker
  readonly bob: EngineWorker
  readonly aliceId: string
  readonly bobId: string
  readonly aliceDir: string
  readonly bobDir: string
}

const hasOpenLink = async (engine: EngineWorker): Promise<boolean> => (await engine.api.links()).some((l) => l.state === 'open')

/** `tempDir` makes (and the caller later removes) each engine's data dir; `track` sees each worker at once, for clean-up. */
export async function contactPair(linkUrl: string, tempDir: () => string, track: (w: EngineWorker) => void): Promise<ContactPair> {
  const aliceDir = tempDir()
  const bobDir = tempDir()
  const alice = spawnEngine({ dataDir: aliceDir })
  track(alice)
  const bob = spawnEngine({ dataDir: bobDir })
  track(bob)
  const aliceProfile = await alice.api.createProfile('Alice')
  const bobProfile = await bob.api.createProfile('Bob')
  await alice.api.connect(linkUrl)
  await bob.api.connect(linkUrl)
  await waitFor('both links open', async () => (await hasOpenLink(alice)) && (await hasOpenLink(bob)))
  await bob.api.acceptOffer(await alice.api.createOffer())
  await waitFor('Alice knows Bob', async () => (await alice.api.contacts()).some((c) => c.id === bobProfile.id))
  return { alice, bob, aliceId: aliceProfile.id, bobId: bobProfile.id, aliceDir, bobDir }
}

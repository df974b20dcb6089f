/**
 * Alice attached to one relay and Bob to another, contacts of each other (Bob accepted
 * Alice's offer; his intro crossed the relays): where the multi-relay tests start.
 */
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import type { OutboxPolicy } from '../../machines/outboxPolicy.ts'
import { waitFor } from './waitFor.ts'

export interface ContactsApart {
  readonly alice: EngineWorker
  readonly bob: EngineWorker
  readonly aliceId: string
  readonly bobId: string
  readonly bobDir: string
}

/** `tempDir` makes each engine's data dir (the caller removes it); `track` sees each worker at once, for clean-up. */
export async function contactsApart(
  aliceRelay: string,
  bobRelay: string,
  tempDir: () => string,
  track: (w: EngineWorker) => void,
  /** Alice's engine options beyond its data dir (a test's outbox policy). */
  aliceOptions: { readonly outboxPolicy?: OutboxPolicy } = {},
): Promise<ContactsApart> {
  const alice = spawnEngine({ ...aliceOptions, dataDir: tempDir() })
  track(alice)
  const bobDir = tempDir()
  const bob = spawnEngine({ dataDir: bobDir })
  track(bob)
  const aliceId = (await alice.api.createProfile('Alice')).id
  const bobId = (await bob.api.createProfile('Bob')).id
  await alice.api.connect(aliceRelay)
  await bob.api.connect(bobRelay)
  await waitFor('both attached', async () =>
    (await alice.api.links()).some((l) => l.state === 'open') && (await bob.api.links()).some((l) => l.state === 'open'),
  )
  // Bob adds Alice from her code; his intro goes through his relay and hers.
  await bob.api.acceptOffer(await alice.api.createOffer())
  await waitFor('Alice learns Bob', async () => (await alice.api.contacts()).some((c) => c.id === bobId))
  return { alice, bob, aliceId, bobId, bobDir }
}

/**
 * Post-mortem for a run that never finished delivering: loads both nodes' stores
 * (their processes are gone) and asks whether a delivered receipt the recipient
 * seals now still reaches the sender's outbox. The kill test found the case where
 * it cannot: more than MAX_SKIP receipts in a row lost (the sender killed with
 * them unread), so the sender's session can no longer follow the recipient's
 * (TooManySkippedError; the messenger now answers with a resync). Changes both
 * stores (a ratchet step): for the end of a test only.
 */
import { fromHex } from '../../engine/bytes.ts'
import { createMessenger } from '../../engine/messenger/index.ts'
import { decodeEnvelope } from '../../engine/wire/index.ts'
import { openFileStore } from '../../native/node/fileStore.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'

/** What became of a fresh receipt for the sender's oldest waiting envelope, in a few words. */
export async function probeReceipt(senderDir: string, recipientDir: string): Promise<string> {
  const ports = { crypto: nodeCrypto(), random: systemRandom(), clock: systemClock() }
  const senderStore = await openFileStore(senderDir)
  const recipientStore = await openFileStore(recipientDir)
  try {
    const sender = createMessenger({ ...ports, store: senderStore })
    const recipient = createMessenger({ ...ports, store: recipientStore })
    const senderProfile = await sender.load()
    await recipient.load()
    const waiting = (await sender.outbox())[0]
    if (!senderProfile || !waiting) return 'nothing waits: nothing to probe'
    const receipt = await recipient.acknowledge(senderProfile.id, waiting.messageIds.map(fromHex))
    const effects = await sender.receive(decodeEnvelope(receipt.bytes))
    if (effects.resync.length > 0) return 'the session fell past MAX_SKIP (resync asked)'
    return effects.delivered.length > 0 ? 'it opens and completes the envelope' : 'it opens but completes nothing'
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`
  } finally {
    await senderStore.close()
    await recipientStore.close()
  }
}

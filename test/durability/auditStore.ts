/**
 * Reads what a node left on disk once its process is gone: the conversation with
 * one contact and the outbox, straight from the file store (records are JSON,
 * engine/messenger/records.ts), so the verdict does not depend on the engine
 * under test answering truthfully.
 */
import { utf8Decode } from '../../engine/bytes.ts'
import { keys } from '../../engine/messenger/records.ts'
import type { MessageRecord } from '../../engine/messenger/records.ts'
import { openFileStore } from '../../native/node/fileStore.ts'

export interface StoreAudit {
  /** The conversation with the contact, in seq order. */
  readonly messages: MessageRecord[]
  /** Every `outbox/` key left (any destination). */
  readonly outboxKeys: string[]
}

export async function auditStore(dataDir: string, contactId: string): Promise<StoreAudit> {
  const store = await openFileStore(dataDir)
  try {
    const messages: MessageRecord[] = []
    for (const key of await store.keys(keys.messagePrefix(contactId))) {
      const bytes = await store.get(key)
      if (bytes) messages.push(JSON.parse(utf8Decode(bytes)) as MessageRecord)
    }
    return { messages: messages.sort((a, b) => a.seq - b.seq), outboxKeys: await store.keys(keys.outboxPrefix) }
  } finally {
    await store.close()
  }
}

/** How many times each value occurs, for the ones that occur more than once. */
export function repeated<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  for (const [v, n] of counts) if (n < 2) counts.delete(v)
  return counts
}

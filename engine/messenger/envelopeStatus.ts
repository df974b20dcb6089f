/**
 * What the mesh reports about a queued envelope (left this device, relayed, one
 * more attempt, given up), applied to its outbox entry and the status of the
 * messages it carries. An envelope whose entry is gone (a receipt covered it, or
 * it failed) is past these reports: each is then a no-op.
 */
import type { Store } from '../ports/index.ts'
import type { OutboxBook } from './outboxBook.ts'
import type { OutboxRecord } from './records.ts'
import type { StatusBook } from './statusBook.ts'
import type { MessageView } from './views.ts'

export interface EnvelopeStatusDeps {
  readonly store: Store
  readonly status: StatusBook
  readonly outbox: OutboxBook
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>
}

/** The outbox-entry operations of Messenger (messenger.ts documents each). */
export interface EnvelopeStatus {
  markSent(destination: string, envelopeId: string): Promise<MessageView[]>
  markRelayed(destination: string, envelopeId: string): Promise<MessageView[]>
  messageIdsOf(destination: string, envelopeId: string): Promise<string[]>
  recordAttempt(destination: string, envelopeId: string, attempts: number): Promise<void>
  fail(destination: string, envelopeId: string, reason: string): Promise<MessageView[]>
}

export function createEnvelopeStatus(d: EnvelopeStatusDeps): EnvelopeStatus {
  const { store, status, outbox } = d
  /** Runs `fn` on an envelope's outbox entry, if it is still waiting; under `exclusive` so a receipt cannot race it. */
  const withEntry = <T>(destination: string, envelopeId: string, empty: T, fn: (entry: OutboxRecord) => Promise<T>): Promise<T> =>
    d.exclusive(async () => {
      const entry = await outbox.get(destination, envelopeId)
      return entry ? fn(entry) : empty
    })
  return {
    markSent: (destination, envelopeId) =>
      withEntry(destination, envelopeId, [], async (entry) => {
        const change = await status.advance(entry.historyKeys, 'sent')
        if (change.ops.length > 0) await store.batch(change.ops)
        return change.records
      }),
    markRelayed: (destination, envelopeId) =>
      withEntry(destination, envelopeId, [], async (entry) => {
        const change = await status.advance(entry.historyKeys, 'relayed')
        await store.batch([...change.ops, ...(entry.relayed ? [] : [outbox.update({ ...entry, relayed: true })])])
        return change.records
      }),
    messageIdsOf: (destination, envelopeId) => withEntry(destination, envelopeId, [], async (entry) => [...entry.messageIds]),
    recordAttempt: (destination, envelopeId, attempts) =>
      withEntry(destination, envelopeId, undefined, async (entry) => {
        if (attempts > entry.attempts) await store.batch([outbox.update({ ...entry, attempts })])
      }),
    fail: (destination, envelopeId, reason) =>
      withEntry(destination, envelopeId, [], async (entry) => {
        const change = await status.advance(entry.historyKeys, 'failed', reason)
        const removal = outbox.remove(entry)
        await store.batch([...change.ops, removal.op])
        removal.commit()
        return change.records
      }),
  }
}

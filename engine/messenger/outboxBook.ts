/**
 * The durable side of the outbox: one record per envelope not yet covered by an
 * end-to-end receipt, under `outbox/<destination>/<envelopeId>`, and a count of
 * the messages waiting per destination so a full queue is refused up front
 * (machines/outbox.ts decides when each envelope is sent again).
 */
import type { Store, StoreOp } from '../ports/index.ts'
import { OutboxFullError } from './errors.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { OutboxRecord } from './records.ts'

/** Messages that may wait for one destination before sending is refused. */
export const DEFAULT_OUTBOX_LIMIT = 1_000

export interface OutboxBook {
  /** Every waiting envelope, oldest first; fills the per-destination counts. */
  load(): Promise<OutboxRecord[]>
  get(destination: string, envelopeId: string): Promise<OutboxRecord | undefined>
  /** Throws OutboxFullError when `more` messages would not fit the destination's queue. */
  reserve(destination: string, more: number): Promise<void>
  put(record: OutboxRecord): { op: StoreOp; commit(): void }
  update(record: OutboxRecord): StoreOp
  remove(record: OutboxRecord): { op: StoreOp; commit(): void }
  waiting(destination: string): Promise<number>
}

export function createOutboxBook(store: Store, limit = DEFAULT_OUTBOX_LIMIT): OutboxBook {
  const counts = new Map<string, number>()
  const known = new Set<string>()
  let loaded: Promise<OutboxRecord[]> | null = null

  const weight = (record: OutboxRecord): number => Math.max(1, record.historyKeys.length)
  const adjust = (destination: string, delta: number): void => {
    counts.set(destination, Math.max(0, (counts.get(destination) ?? 0) + delta))
  }
  const load = async (): Promise<OutboxRecord[]> => {
    const records: OutboxRecord[] = []
    for (const key of await store.keys(keys.outboxPrefix)) {
      const bytes = await store.get(key)
      if (bytes) records.push(decodeRecord<OutboxRecord>('outbox', bytes))
    }
    counts.clear()
    known.clear()
    for (const r of records) {
      adjust(r.destination, weight(r))
      known.add(r.envelopeId)
    }
    // Keys sort by the random envelope id: queue order is the order they were written.
    return records.sort((a, b) => a.queuedAt - b.queuedAt || (a.historyKeys[0] ?? '').localeCompare(b.historyKeys[0] ?? ''))
  }
  const ready = (): Promise<OutboxRecord[]> => (loaded ??= load())
  const setOp = (record: OutboxRecord): StoreOp => ({
    type: 'set',
    key: keys.outbox(record.destination, record.envelopeId),
    value: encodeRecord(record),
  })

  return {
    load: () => (loaded = load()),
    async get(destination, envelopeId) {
      const bytes = await store.get(keys.outbox(destination, envelopeId))
      return bytes ? decodeRecord<OutboxRecord>('outbox', bytes) : undefined
    },
    async reserve(destination, more) {
      await ready()
      if ((counts.get(destination) ?? 0) + more > limit) throw new OutboxFullError(limit)
    },
    put(record) {
      return {
        op: setOp(record),
        commit: () => {
          if (known.has(record.envelopeId)) return
          known.add(record.envelopeId)
          adjust(record.destination, weight(record))
        },
      }
    },
    update: setOp,
    remove(record) {
      return {
        op: { type: 'delete', key: keys.outbox(record.destination, record.envelopeId) },
        commit: () => {
          if (!known.delete(record.envelopeId)) return
          adjust(record.destination, -weight(record))
        },
      }
    },
    async waiting(destination) {
      await ready()
      return counts.get(destination) ?? 0
    },
  }
}

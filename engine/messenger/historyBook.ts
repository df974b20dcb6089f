/**
 * Conversations as numbered, bucketed records: message n of a conversation lives
 * at `msg/<contact>/<n / 256>/<n>`, and `hist/<contact>` holds the next number.
 * A page is read from the newest buckets down, so its cost depends on the page
 * size, never on how long the conversation is (DESIGN.md §6); the local number,
 * not the sender's clock, orders a conversation, so a skewed clock cannot
 * reorder it.
 */
import type { Store, StoreOp } from '../ports/index.ts'
import { HISTORY_BUCKET_SIZE, decodeRecord, encodeRecord, keys } from './records.ts'
import type { HistoryHead, MessageRecord } from './records.ts'

export const DEFAULT_PAGE = 50
export const MAX_PAGE = 500

export interface Appended {
  readonly records: MessageRecord[]
  readonly historyKeys: string[]
  /** The messages and the new head: write them in the caller's batch. */
  readonly ops: StoreOp[]
  /** Call once the ops are durable. */
  commit(): void
}

export interface HistoryBook {
  /** Numbers new messages of one conversation in order. Callers serialise appends to a conversation. */
  append(contactId: string, records: readonly Omit<MessageRecord, 'seq'>[]): Promise<Appended>
  /** Up to `limit` messages with seq < `before` (default: the newest), oldest first. */
  page(contactId: string, before?: number, limit?: number): Promise<MessageRecord[]>
  /** Incoming messages stored after the last call for this conversation (for read marking). */
  unreadSince(contactId: string): Promise<{ records: MessageRecord[]; mark: StoreOp; commit(): void }>
  head(contactId: string): Promise<HistoryHead>
}

const EMPTY: HistoryHead = { next: 0, readUpTo: 0 }

export function createHistoryBook(store: Store): HistoryBook {
  const heads = new Map<string, HistoryHead>()

  const head = async (contactId: string): Promise<HistoryHead> => {
    const cached = heads.get(contactId)
    if (cached) return cached
    const bytes = await store.get(keys.historyHead(contactId))
    const loaded = bytes ? { ...EMPTY, ...decodeRecord<HistoryHead>('history head', bytes) } : EMPTY
    heads.set(contactId, loaded)
    return loaded
  }
  const headOp = (contactId: string, value: HistoryHead): StoreOp => ({
    type: 'set',
    key: keys.historyHead(contactId),
    value: encodeRecord(value),
  })
  const read = async (historyKeys: readonly string[]): Promise<MessageRecord[]> => {
    const values = await Promise.all(historyKeys.map((k) => store.get(k)))
    return values.filter((b): b is Uint8Array => b !== undefined).map((b) => decodeRecord<MessageRecord>('message', b))
  }

  return {
    head,
    async append(contactId, drafts) {
      const current = await head(contactId)
      const records = drafts.map((draft, i): MessageRecord => ({ ...draft, seq: current.next + i }))
      const historyKeys = records.map((r) => keys.message(contactId, r.seq))
      const next: HistoryHead = { ...current, next: current.next + records.length }
      const ops: StoreOp[] = records.map((r, i) => ({ type: 'set', key: historyKeys[i]!, value: encodeRecord(r) }))
      ops.push(headOp(contactId, next))
      return { records, historyKeys, ops, commit: () => void heads.set(contactId, next) }
    },
    async page(contactId, before, limit = DEFAULT_PAGE) {
      const size = Math.min(Math.max(Math.floor(limit), 1), MAX_PAGE)
      const { next } = await head(contactId)
      const end = Math.min(before ?? next, next)
      const found: string[] = []
      // Newest bucket first; each lists at most HISTORY_BUCKET_SIZE keys.
      for (let bucket = Math.floor((end - 1) / HISTORY_BUCKET_SIZE); bucket >= 0 && found.length < size; bucket--) {
        const inBucket = (await store.keys(keys.messageBucket(contactId, bucket))).filter((k) => seqOf(k) < end)
        found.unshift(...inBucket.slice(-(size - found.length)))
      }
      return read(found)
    },
    async unreadSince(contactId) {
      const current = await head(contactId)
      const span: string[] = []
      for (let seq = current.readUpTo; seq < current.next; seq++) span.push(keys.message(contactId, seq))
      const records = (await read(span)).filter((r) => r.direction === 'in' && r.status === 'received')
      const next: HistoryHead = { ...current, readUpTo: current.next }
      return { records, mark: headOp(contactId, next), commit: () => void heads.set(contactId, next) }
    },
  }
}

function seqOf(historyKey: string): number {
  return Number(historyKey.slice(historyKey.lastIndexOf('/') + 1))
}

/**
 * The custody journal: the port through which a relay's mailbox keeps held mail
 * on disk, so that it survives a restart, kill -9 included (issue 10; DESIGN.md
 * §6: nothing is acknowledged to a peer before it is durable).
 *
 * Synchronous, because the mailbox is: it mirrors every change as it happens
 * (`put`, `remove`) and an implementation may buffer them. `flush` is the
 * durability point: the data plane calls it in its tick, before it sends the
 * custody acks queued since the last one, so no ack leaves for mail that a
 * process crash could lose. A removal that was not flushed yet can come back
 * after a crash; that mail is then offered again, and the recipient drops the
 * duplicate (every envelope id is remembered, DESIGN.md §5).
 */
import { SovereignError } from '../errors.ts'
import type { HeldEnvelope } from './mailbox.ts'

export interface JournalRecord {
  readonly destination: string
  readonly envelope: HeldEnvelope
}

export interface CustodyJournal {
  /**
   * `envelope` is held for `destination`. A record with the same destination and
   * id is replaced in place: it keeps its position in the first-held order.
   */
  put(destination: string, envelope: HeldEnvelope): void
  /** The envelope `id` held for `destination` left custody (taken, evicted or expired). */
  remove(destination: string, id: string): void
  /**
   * Every record as of the last flush, in first-held order (the mailbox's
   * oldest-first eviction order). Read once, at start; `remove` and `put` may be
   * called while iterating.
   */
  load(): Iterable<JournalRecord>
  /** Makes everything put or removed so far durable against a process crash. Throws `CustodyStoreFailedError`. */
  flush(): void
  /** Flushes, then releases the store. */
  close(): void
}

/** The custody store cannot be read: not a custody store, or damaged. */
export class CustodyStoreCorruptError extends SovereignError {
  constructor(message: string) {
    super('CustodyStoreCorruptError', message)
  }
}

/** The custody store was written by a newer version of this software: refused, never downgraded. */
export class CustodyStoreVersionError extends SovereignError {
  readonly version: number
  constructor(version: number, supported: number) {
    super('CustodyStoreVersionError', `custody store has schema version ${version}; this relay reads up to ${supported}`)
    this.version = version
  }
}

/** A write to the custody store failed (disk full, I/O error, or the store is closed). Nothing was acknowledged. */
export class CustodyStoreFailedError extends SovereignError {
  constructor(message: string) {
    super('CustodyStoreFailedError', message)
  }
}

/**
 * A journal in memory: the reference for the contract (tests run the mailbox
 * against it, and the same contract suite against every durable store).
 * `load()` is also what a crash would leave: the records as of the last flush.
 */
export interface MemoryJournal extends CustodyJournal {
  load(): JournalRecord[]
  /** Every record including what is not flushed yet, in first-held order. */
  current(): JournalRecord[]
  /** Operations buffered since the last flush. */
  readonly pending: number
}

const keyOf = (destination: string, id: string): string => `${destination}\n${id}`

export function createMemoryJournal(records: Iterable<JournalRecord> = []): MemoryJournal {
  // A Map keeps insertion order through `set` on an existing key: replacement in place.
  const live = new Map<string, JournalRecord>()
  for (const r of records) live.set(keyOf(r.destination, r.envelope.id), r)
  let durable = [...live.values()]
  let pending = 0
  let closed = false
  const open = (): void => {
    if (closed) throw new CustodyStoreFailedError('custody journal is closed')
  }
  return {
    put(destination, envelope) {
      open()
      live.set(keyOf(destination, envelope.id), { destination, envelope })
      pending++
    },
    remove(destination, id) {
      open()
      live.delete(keyOf(destination, id))
      pending++
    },
    load: () => [...durable],
    flush() {
      open()
      durable = [...live.values()]
      pending = 0
    },
    close() {
      if (closed) return
      durable = [...live.values()]
      pending = 0
      closed = true
    },
    current: () => [...live.values()],
    get pending() {
      return pending
    },
  }
}

/**
 * A relay's custody journal on `node:sqlite` (built into Node 22): one table of
 * held envelopes in `<dataDir>/custody.db`, in WAL mode. Chosen by measurement
 * over LMDB (bench/scenarios/custodyStore.ts, figures in bench/README.md): as
 * fast to hold and to read back from 100,000 to 1,000,000 envelopes (within
 * this machine's noise), ~40 % smaller on disk, and no native dependency.
 *
 * Puts and removals are buffered in memory and written in one transaction per
 * `flush` (the data plane's tick, ~1 s): a hold costs no I/O of its own, and
 * the commit is the durability point the custody acks wait for. WAL with
 * synchronous=NORMAL: a committed transaction is in the OS's hands before
 * COMMIT returns, so it survives kill -9 of the process (what is promised
 * here); only a power loss can take the last commits back, never corrupt the
 * file (SQLite docs, "WAL mode ... synchronous=NORMAL").
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from './quietSqlite.ts'
import { CustodyStoreCorruptError, CustodyStoreFailedError, CustodyStoreVersionError } from '../../engine/routing/index.ts'
import type { CustodyJournal, HeldEnvelope, JournalRecord } from '../../engine/routing/index.ts'

export const CUSTODY_FILE = 'custody.db'
/** `PRAGMA user_version` of the layout below; a store from a newer version is refused (DESIGN.md §6). */
export const CUSTODY_SCHEMA_VERSION = 1

// seq is the rowid: a new row gets max + 1, so `ORDER BY seq` is first-held order,
// and an upsert of a replacement keeps its row and so its place.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS held (
  seq INTEGER PRIMARY KEY,
  destination TEXT NOT NULL,
  id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  local_id TEXT,
  from_peer TEXT,
  bytes BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS held_by_key ON held (destination, id);
`
const UPSERT = `INSERT INTO held (destination, id, expires_at, local_id, from_peer, bytes) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (destination, id) DO UPDATE SET expires_at = excluded.expires_at, local_id = excluded.local_id,
  from_peer = excluded.from_peer, bytes = excluded.bytes`
const DELETE = 'DELETE FROM held WHERE destination = ? AND id = ?'
const SELECT_ALL = 'SELECT destination, id, expires_at, local_id, from_peer, bytes FROM held ORDER BY seq'

/** SQLite result codes that mean the file is not a (readable) database. */
const SQLITE_CORRUPT = 11
const SQLITE_NOTADB = 26

export interface SqliteCustodyInit {
  /**
   * Told when flushes start failing (SQLite's reason only; the data plane
   * withholds custody acks until one succeeds). Once per run of failures, not
   * once a tick. Default: console.error.
   */
  readonly onFlushError?: (error: CustodyStoreFailedError) => void
}

type Op = { readonly destination: string; readonly id: string; readonly envelope: HeldEnvelope | null }

interface SqliteError {
  readonly errcode?: number
  readonly errstr?: string
  readonly code?: string
}
/** SQLite's own short reason ("file is not a database", "disk I/O error"): never data from the file. */
const reasonOf = (error: unknown): string => {
  const e = error as SqliteError
  return e.errstr ?? e.code ?? 'unknown error'
}
const isCorrupt = (error: unknown): boolean => {
  const code = ((error as SqliteError).errcode ?? 0) & 0xff
  return code === SQLITE_CORRUPT || code === SQLITE_NOTADB
}

/**
 * Opens (creating if needed) the custody store in `dataDir`. Throws
 * `CustodyStoreCorruptError` for a file that is not a readable custody store,
 * `CustodyStoreVersionError` for one from a newer version and
 * `CustodyStoreFailedError` when it cannot be opened at all.
 */
export function openSqliteCustody(dataDir: string, init: SqliteCustodyInit = {}): CustodyJournal {
  const path = join(dataDir, CUSTODY_FILE)
  const db = openDatabase(dataDir, path)
  const upsert = db.prepare(UPSERT)
  const remove = db.prepare(DELETE)
  const onFlushError = init.onFlushError ?? ((error: CustodyStoreFailedError) => console.error(error.message))
  let ops: Op[] = []
  let closed = false
  let failing = false

  const flush = (): void => {
    if (closed) throw new CustodyStoreFailedError('custody store is closed')
    if (ops.length === 0) return
    try {
      db.exec('BEGIN')
      for (const op of ops) {
        const e = op.envelope
        if (e) upsert.run(op.destination, op.id, e.expiresAt, e.localId, e.from, e.bytes)
        else remove.run(op.destination, op.id)
      }
      db.exec('COMMIT')
    } catch (error) {
      try {
        db.exec('ROLLBACK')
      } catch {
        // No transaction left to roll back (SQLite already did).
      }
      // The operations stay buffered: the next flush writes them again, in order.
      const failed = new CustodyStoreFailedError(`custody store write failed (${reasonOf(error)}); custody acks wait for the next flush`)
      if (!failing) onFlushError(failed)
      failing = true
      throw failed
    }
    ops = []
    failing = false
  }

  return {
    put(destination, envelope) {
      ops.push({ destination, id: envelope.id, envelope })
    },
    remove(destination, id) {
      ops.push({ destination, id, envelope: null })
    },
    *load(): Generator<JournalRecord> {
      const select = db.prepare(SELECT_ALL)
      select.setReturnArrays(true)
      let rows: Iterator<unknown>
      try {
        rows = select.iterate()[Symbol.iterator]()
      } catch (error) {
        throw readError(path, error)
      }
      for (;;) {
        let next: IteratorResult<unknown>
        try {
          next = rows.next()
        } catch (error) {
          throw readError(path, error)
        }
        if (next.done) return
        yield toRecord(path, next.value as readonly unknown[])
      }
    },
    flush,
    close() {
      if (closed) return
      try {
        flush()
      } finally {
        closed = true
        db.close()
      }
    },
  }
}

function openDatabase(dataDir: string, path: string): DatabaseSync {
  let db: DatabaseSync | undefined
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    db = new DatabaseSync(path)
    // Before the first write: 16 KiB pages hold ~15 envelopes of 1 KB, against 3
    // in the default 4 KiB, and halved the CPU per hold (bench/README.md).
    db.exec('PRAGMA page_size = 16384')
    // The (destination, id) index takes random inserts: keep its hot pages cached.
    db.exec('PRAGMA cache_size = -65536')
    // The first read of the header: a file that is not a database fails here.
    const row = db.prepare('PRAGMA user_version').get() as { user_version: number }
    if (row.user_version > CUSTODY_SCHEMA_VERSION) throw new CustodyStoreVersionError(row.user_version, CUSTODY_SCHEMA_VERSION)
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec(SCHEMA)
    if (row.user_version < CUSTODY_SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${CUSTODY_SCHEMA_VERSION}`)
    return db
  } catch (error) {
    try {
      db?.close()
    } catch {
      // Closing is best effort: the error that matters is the one below.
    }
    if (error instanceof CustodyStoreVersionError) throw error
    throw readError(path, error)
  }
}

function readError(path: string, error: unknown): Error {
  return isCorrupt(error)
    ? new CustodyStoreCorruptError(`custody store ${path} is damaged or not a custody store (${reasonOf(error)}); move it aside to start with empty custody`)
    : new CustodyStoreFailedError(`custody store ${path} cannot be opened (${reasonOf(error)})`)
}

/** A row back into a record, its types checked: a damaged row is a typed error, not a crash later. */
function toRecord(path: string, row: readonly unknown[]): JournalRecord {
  const [destination, id, expiresAt, localId, from, bytes] = row
  const textOrNull = (v: unknown): boolean => v === null || typeof v === 'string'
  if (
    typeof destination !== 'string' ||
    typeof id !== 'string' ||
    typeof expiresAt !== 'number' ||
    !textOrNull(localId) ||
    !textOrNull(from) ||
    !(bytes instanceof Uint8Array)
  ) {
    throw new CustodyStoreCorruptError(`custody store ${path} has a malformed record; move it aside to start with empty custody`)
  }
  return { destination, envelope: { id, bytes, expiresAt, localId: localId as string | null, from: from as string | null } }
}

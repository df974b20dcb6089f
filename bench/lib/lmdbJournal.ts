/**
 * The custody journal on LMDB (the `lmdb` package), for the custody-store bench
 * only: the candidate node:sqlite was measured against. Same layout as
 * native/node/sqliteCustody.ts: records by a sequence number (first-held order)
 * and an index from destination + id to it; puts and removals buffered, one
 * write transaction per flush, committed with LMDB's default sync.
 *
 * `lmdb` is not a dependency of the project: it is loaded by name at run time
 * (so the type check does not need it) and the bench skips it when missing
 * (`npm install --no-save lmdb` to measure it).
 */
import type { CustodyJournal, HeldEnvelope, JournalRecord } from '../../engine/routing/index.ts'

/** The part of lmdb's API used here (lmdb 3.x). */
interface LmdbDb {
  get(key: string | number): unknown
  putSync(key: string | number, value: unknown): boolean
  removeSync(key: string | number): boolean
  getRange(options?: object): Iterable<{ key: unknown; value: unknown }>
  transactionSync<T>(action: () => T): T
  openDB(options: { name: string; keyEncoding?: string }): LmdbDb
  close(): Promise<void>
}
interface LmdbModule {
  open(options: { path: string; maxDbs?: number }): LmdbDb
}

export interface LmdbJournal extends CustodyJournal {
  /** Settles when LMDB has closed the environment. */
  readonly closed: Promise<void>
}

type Value = [destination: string, id: string, expiresAt: number, localId: string | null, from: string | null, bytes: Uint8Array]

export async function loadLmdb(): Promise<(dir: string) => LmdbJournal> {
  const name = 'lmdb'
  const lmdb = (await import(/* @vite-ignore */ name)) as LmdbModule
  return (dir) => openLmdbJournal(lmdb, dir)
}

function openLmdbJournal(lmdb: LmdbModule, dir: string): LmdbJournal {
  const root = lmdb.open({ path: `${dir}/custody.lmdb`, maxDbs: 4 })
  const held = root.openDB({ name: 'held', keyEncoding: 'uint32' })
  const byKey = root.openDB({ name: 'by-key' })
  let last = 0
  for (const { key } of held.getRange({ reverse: true, limit: 1 })) last = key as number
  let ops: Array<{ destination: string; id: string; envelope: HeldEnvelope | null }> = []
  let closing: Promise<void> | null = null

  const flush = (): void => {
    if (ops.length === 0) return
    root.transactionSync(() => {
      for (const { destination, id, envelope: e } of ops) {
        const k = `${destination}\n${id}`
        const seq = byKey.get(k) as number | undefined
        if (e) {
          const value: Value = [destination, id, e.expiresAt, e.localId, e.from, e.bytes]
          if (seq === undefined) {
            byKey.putSync(k, ++last)
            held.putSync(last, value)
          } else held.putSync(seq, value)
        } else if (seq !== undefined) {
          byKey.removeSync(k)
          held.removeSync(seq)
        }
      }
    })
    ops = []
  }
  return {
    put: (destination, envelope) => void ops.push({ destination, id: envelope.id, envelope }),
    remove: (destination, id) => void ops.push({ destination, id, envelope: null }),
    *load(): Generator<JournalRecord> {
      for (const { value } of held.getRange()) {
        const [destination, id, expiresAt, localId, from, bytes] = value as Value
        yield { destination, envelope: { id, bytes, expiresAt, localId, from } }
      }
    },
    flush,
    close() {
      if (closing) return
      flush()
      closing = root.close()
    },
    get closed() {
      return closing ?? Promise.resolve()
    },
  }
}

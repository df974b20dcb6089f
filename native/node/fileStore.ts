import { createHash } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Store, StoreOp } from '../../engine/ports/store.ts'
import {
  CorruptRecordError,
  StoreClosedError,
  StoreFailedError,
  assertValidKey,
  assertValidPrefix,
  assertValidValue,
  createSortedKeySet,
  decodeJournal,
  decodeRecord,
  encodeJournal,
  encodeRecord,
  validateOps,
} from '../../engine/store/index.ts'

/** A Store on a directory of files; `close` waits for pending work. */
export interface FileStore extends Store {
  close(): Promise<void>
}

/**
 * Layout: one file per key, `<sha256(utf8 key)>.rec`, framed and checksummed
 * by engine/store/recordCodec.ts (which also stores the key itself, so the
 * name needs no reversible encoding and keys are not bound by name limits).
 * A batch is first written whole to `batch.journal`. Files ending `.tmp` are
 * writes that never reached their rename. One process per directory.
 */
export const JOURNAL_FILE = 'batch.journal'
const RECORD_SUFFIX = '.rec'
const TEMP_SUFFIX = '.tmp'
/** Files read or written at once when opening or applying a batch. */
const PARALLEL_IO = 16

/**
 * Opens (creating if needed) the store in `dir`. Crash safety: every file is
 * written as temp → fsync → rename → fsync(dir), so a record is either the old
 * one or the new one, never half of each. Opening deletes leftover temp files
 * and records that fail their checksum, replays a complete journal, discards
 * an incomplete one, and loads every key into a sorted in-memory index (so
 * opening reads the whole store once; prefix scans then touch no disk).
 */
export async function openFileStore(dir: string): Promise<FileStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await recover(dir)
  const index = createSortedKeySet(await loadKeys(dir))

  let tail: Promise<unknown> = Promise.resolve()
  let closed = false
  let failure: StoreFailedError | undefined

  /** Runs tasks one at a time, in call order, so each sees the ones before it. */
  function enqueue<T>(task: () => Promise<T> | T): Promise<T> {
    if (closed) return Promise.reject(new StoreClosedError())
    const run = tail.then(() => {
      if (failure) throw failure
      return task()
    })
    tail = run.catch(() => {})
    return run
  }

  /** Past a commit point the disk may be ahead of the index: refuse further work. */
  async function committed(step: () => Promise<void>): Promise<void> {
    try {
      await step()
    } catch (err) {
      failure = new StoreFailedError(`write failed after commit (${codeOf(err)}); reopen the store`)
      throw failure
    }
  }

  return {
    async get(key: string): Promise<Uint8Array | undefined> {
      assertValidKey(key)
      return enqueue(async () => (index.has(key) ? readRecord(dir, key) : undefined))
    },

    async set(key: string, value: Uint8Array): Promise<void> {
      assertValidKey(key)
      assertValidValue(value)
      const encoded = encodeRecord(key, value)
      return enqueue(async () => {
        const path = recordPath(dir, key)
        await writeTemp(path, encoded)
        await committed(async () => {
          await rename(path + TEMP_SUFFIX, path)
          await syncDir(dir)
        })
        index.add(key)
      })
    },

    async delete(key: string): Promise<void> {
      assertValidKey(key)
      return enqueue(async () => {
        if (!index.has(key)) return
        await committed(async () => {
          await removeFile(recordPath(dir, key))
          await syncDir(dir)
        })
        index.delete(key)
      })
    },

    async keys(prefix: string): Promise<string[]> {
      assertValidPrefix(prefix)
      return enqueue(() => index.withPrefix(prefix))
    },

    async batch(ops: readonly StoreOp[]): Promise<void> {
      const valid = validateOps(ops)
      if (valid.length === 0) return enqueue(() => undefined)
      const journal = encodeJournal(valid)
      return enqueue(async () => {
        const path = join(dir, JOURNAL_FILE)
        await writeTemp(path, journal)
        // The rename is the commit point: from here the batch happens, now
        // or by replay at the next open.
        await committed(async () => {
          await rename(path + TEMP_SUFFIX, path)
          await syncDir(dir)
          await applyOps(dir, valid)
          // A journal left behind would be replayed over later writes.
          await removeFile(path)
          await syncDir(dir)
        })
        for (const op of valid) {
          if (op.type === 'set') index.add(op.key)
          else index.delete(op.key)
        }
      })
    },

    async close(): Promise<void> {
      closed = true
      await tail
    },
  }
}

/** Brings the directory back to a committed state after a crash. */
async function recover(dir: string): Promise<void> {
  const names = await readdir(dir)
  await Promise.all(names.filter((name) => name.endsWith(TEMP_SUFFIX)).map((name) => removeFile(join(dir, name))))
  if (names.includes(JOURNAL_FILE)) {
    const path = join(dir, JOURNAL_FILE)
    let ops: StoreOp[] | undefined
    try {
      ops = decodeJournal(await readFile(path))
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err
      // Incomplete: the batch never committed, so none of it is applied.
    }
    if (ops) await applyOps(dir, ops)
    await removeFile(path)
  }
  await syncDir(dir)
}

/** Reads and checks every record; deletes the ones that fail. */
async function loadKeys(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(RECORD_SUFFIX))
  const keys: string[] = []
  let removed = false
  await forEachLimited(names, async (name) => {
    const path = join(dir, name)
    try {
      const { key } = decodeRecord(await readFile(path))
      if (recordName(key) !== name) throw new CorruptRecordError('record is filed under another key')
      keys.push(key)
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err
      await removeFile(path)
      removed = true
    }
  })
  if (removed) await syncDir(dir)
  return keys
}

async function readRecord(dir: string, key: string): Promise<Uint8Array | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(recordPath(dir, key))
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined
    throw err
  }
  const record = decodeRecord(bytes)
  if (record.key !== key) throw new CorruptRecordError('record is filed under another key')
  return record.value
}

/**
 * Applies `ops` to the record files; idempotent, so replaying a journal whose
 * batch was partly applied before a crash finishes it. Only the last op per
 * key matters.
 */
async function applyOps(dir: string, ops: readonly StoreOp[]): Promise<void> {
  const last = new Map<string, StoreOp>()
  for (const op of ops) last.set(op.key, op)
  const finals = [...last.values()]
  await forEachLimited(finals, async (op) => {
    if (op.type === 'set') await writeTemp(recordPath(dir, op.key), encodeRecord(op.key, op.value))
  })
  await forEachLimited(finals, async (op) => {
    const path = recordPath(dir, op.key)
    if (op.type === 'set') await rename(path + TEMP_SUFFIX, path)
    else await removeFile(path)
  })
  await syncDir(dir)
}

/** Writes `path.tmp` and makes its contents durable; the caller renames it. */
async function writeTemp(path: string, bytes: Uint8Array): Promise<void> {
  const temp = path + TEMP_SUFFIX
  try {
    const handle = await open(temp, 'w', 0o600)
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (err) {
    await removeFile(temp).catch(() => {})
    throw err
  }
}

/** A rename or unlink is durable only once the directory itself is synced. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(dir, 'r')
  } catch (err) {
    // Some platforms (Windows) cannot open a directory; nothing more to do there.
    if (['EISDIR', 'EPERM', 'EACCES'].includes(codeOf(err))) return
    throw err
  }
  try {
    await handle.sync()
  } catch (err) {
    if (!['EINVAL', 'EPERM', 'EBADF'].includes(codeOf(err))) throw err
  } finally {
    await handle.close()
  }
}

async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw err
  }
}

function recordName(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex') + RECORD_SUFFIX
}

function recordPath(dir: string, key: string): string {
  return join(dir, recordName(key))
}

async function forEachLimited<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_IO, items.length) }, worker))
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'error'
}

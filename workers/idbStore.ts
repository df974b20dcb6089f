import { promisifyRequest } from 'idb-keyval'
import type { Store, StoreOp } from '../engine/ports/store.ts'
import {
  CorruptRecordError,
  StoreBlockedError,
  StoreClosedError,
  StoreTooNewError,
  assertValidKey,
  assertValidPrefix,
  assertValidValue,
  copyBytes,
  prefixUpperBound,
  validateOps,
} from '../engine/store/index.ts'
import { IDB_LAYOUT_VERSION, OUTBOX_STORE, objectStoreOf, objectStoresForPrefix, upgradeLayout } from './idbLayout.ts'

/** Where the store lives: one IndexedDB database, laid out by workers/idbLayout.ts. */
export interface IdbStoreInit {
  /** Database name; default `sovereign`. One Store per database. */
  readonly dbName?: string
  /** How long opening waits for other connections to let an upgrade through; default 10 s. */
  readonly blockedTimeoutMs?: number
}

const DEFAULT_BLOCKED_TIMEOUT_MS = 10_000

/**
 * The browser Store on IndexedDB, one object store per record kind
 * (workers/idbLayout.ts). IndexedDB orders string keys by UTF-16 code units,
 * as the port requires, and starts transactions whose scopes overlap in the
 * order they were created; every method creates its transaction after the
 * same single await, so operations take effect in call order.
 *
 * The database opens on first use. Opening upgrades an older layout, refuses
 * a newer one with StoreTooNewError (nothing touched) and gives up with
 * StoreBlockedError when other connections hold the upgrade back too long.
 * When another connection asks to upgrade, this one closes at once so that
 * it is not the one blocking; later calls fail with StoreClosedError.
 */
export function createIdbStore(init: IdbStoreInit = {}): Store {
  const name = init.dbName ?? 'sovereign'
  const blockedTimeoutMs = init.blockedTimeoutMs ?? DEFAULT_BLOCKED_TIMEOUT_MS
  let opening: Promise<IDBDatabase> | undefined
  let closedBy: StoreClosedError | undefined

  function database(): Promise<IDBDatabase> {
    if (closedBy) return Promise.reject(closedBy)
    opening ??= openLayout(name, blockedTimeoutMs).then(
      (db) => {
        db.onversionchange = () => {
          db.close()
          closedBy = new StoreClosedError('the database was closed so that a newer version of Sovereign could upgrade it; reload')
        }
        // Fired only when the browser closes it (storage cleared, disk failing).
        db.onclose = () => {
          closedBy = new StoreClosedError('the browser closed the database; reload')
        }
        return db
      },
      (err: unknown) => {
        // Not memoised: a later call tries again (e.g. once the blocker is gone).
        opening = undefined
        throw err
      },
    )
    return opening
  }

  /** Opens one transaction over `names`, after the one await every method shares. */
  async function transaction(names: readonly string[], mode: IDBTransactionMode): Promise<IDBTransaction> {
    const db = await database()
    if (closedBy) throw closedBy
    // Chromium's default durability reports a commit before it is flushed;
    // an outbox entry is a promise to deliver, so it waits for the flush.
    // Browsers that do not know the option ignore it.
    const strict = mode === 'readwrite' && names.includes(OUTBOX_STORE)
    return db.transaction([...names], mode, strict ? { durability: 'strict' } : undefined)
  }

  return {
    async get(key: string): Promise<Uint8Array | undefined> {
      assertValidKey(key)
      const storeName = objectStoreOf(key)
      const tx = await transaction([storeName], 'readonly')
      const value: unknown = await promisifyRequest(tx.objectStore(storeName).get(key))
      if (value === undefined) return undefined
      // Structured clone gives a fresh array per read, so no copy is needed;
      // anything else means another writer or a damaged database.
      if (value instanceof Uint8Array) return value
      throw new CorruptRecordError('stored value is not bytes')
    },

    async set(key: string, value: Uint8Array): Promise<void> {
      assertValidKey(key)
      assertValidValue(value)
      await write([{ type: 'set', key, value: copyBytes(value) }])
    },

    async delete(key: string): Promise<void> {
      assertValidKey(key)
      await write([{ type: 'delete', key }])
    },

    async keys(prefix: string): Promise<string[]> {
      assertValidPrefix(prefix)
      const names = objectStoresForPrefix(prefix)
      const upper = prefixUpperBound(prefix)
      // A key range lets IndexedDB walk its index: never every key of a kind.
      const range = upper === undefined ? IDBKeyRange.lowerBound(prefix) : IDBKeyRange.bound(prefix, upper, false, true)
      const tx = await transaction(names, 'readonly')
      const found = await Promise.all(names.map((storeName) => promisifyRequest(tx.objectStore(storeName).getAllKeys(range))))
      // Each list is sorted; the default sort compares UTF-16 code units, and
      // V8's TimSort merges the sorted runs rather than sorting from scratch.
      return found
        .flat()
        .filter((key): key is string => typeof key === 'string')
        .sort()
    },

    async batch(ops: readonly StoreOp[]): Promise<void> {
      await write(validateOps(ops))
    },
  }

  /**
   * One readwrite transaction over every object store the ops touch:
   * IndexedDB commits all of its requests or none, across stores. A request
   * that throws while being queued (a clone failure) would otherwise leave
   * the earlier ones to auto-commit, so abort explicitly.
   */
  async function write(ops: readonly StoreOp[]): Promise<void> {
    const names = [...new Set(ops.map((op) => objectStoreOf(op.key)))].sort()
    if (names.length === 0) {
      // Nothing to write, but still report a closed or unusable database.
      await database()
      return
    }
    const tx = await transaction(names, 'readwrite')
    const done = promisifyRequest(tx)
    try {
      for (const op of ops) {
        const target = tx.objectStore(objectStoreOf(op.key))
        // Values arrive copied into buffers of their own: structured clone
        // of a view would store the view's whole underlying buffer.
        if (op.type === 'set') target.put(op.value, op.key)
        else target.delete(op.key)
      }
    } catch (err) {
      done.catch(() => {})
      tx.abort()
      throw err
    }
    await done
  }
}

/**
 * Opens `name` at IDB_LAYOUT_VERSION, upgrading older layouts. Asking for a
 * fixed version makes IndexedDB refuse a newer database with VersionError
 * before anything is touched.
 */
function openLayout(name: string, blockedTimeoutMs: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let gaveUp = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const request = indexedDB.open(name, IDB_LAYOUT_VERSION)

    request.onupgradeneeded = (event) => {
      // After a timeout nobody waits for this connection: keep the old layout.
      if (gaveUp) request.transaction!.abort()
      else upgradeLayout(request.result, request.transaction!, event.oldVersion)
    }
    // Other connections got `versionchange` and have not closed. Ours close at
    // once; an older build's (idb-keyval never closes) holds on until its
    // page goes away, and the request would wait for ever.
    request.onblocked = () => {
      timer ??= setTimeout(() => {
        gaveUp = true
        reject(
          new StoreBlockedError(
            'Another open copy of Sovereign is holding its storage and will not let this version upgrade it. ' +
              'Close every other Sovereign tab or window, then reload. Nothing was changed.',
          ),
        )
      }, blockedTimeoutMs)
    }
    request.onsuccess = () => {
      clearTimeout(timer)
      if (gaveUp) request.result.close()
      else resolve(request.result)
    }
    request.onerror = () => {
      clearTimeout(timer)
      if (gaveUp) return
      const err = request.error
      if (err?.name !== 'VersionError') reject(err ?? new Error('IndexedDB open failed'))
      else void storedVersion(name).then((stored) => reject(new StoreTooNewError(stored, IDB_LAYOUT_VERSION)))
    }
  })
}

/** The version of an existing database, for the error message; never creates or changes one. */
function storedVersion(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = indexedDB.open(name)
    // Only a database that vanished meanwhile gets here: do not create it.
    request.onupgradeneeded = () => request.transaction!.abort()
    request.onsuccess = () => {
      const { version } = request.result
      request.result.close()
      resolve(version)
    }
    request.onerror = () => resolve(undefined)
  })
}

import { createStore, promisifyRequest } from 'idb-keyval'
import type { UseStore } from 'idb-keyval'
import type { Store, StoreOp } from '../engine/ports/store.ts'
import {
  CorruptRecordError,
  assertValidKey,
  assertValidPrefix,
  assertValidValue,
  copyBytes,
  prefixUpperBound,
  validateOps,
} from '../engine/store/index.ts'

/** Where the store lives: one IndexedDB database holding one object store. */
export interface IdbStoreInit {
  /** Database name; default `sovereign`. One Store per database. */
  readonly dbName?: string
}

/**
 * idb-keyval creates its object store only when it creates the database, so
 * each Store gets a database of its own rather than sharing one.
 */
const OBJECT_STORE = 'kv'

/**
 * The browser Store on IndexedDB through idb-keyval. IndexedDB orders string
 * keys by UTF-16 code units, as the port requires, and runs transactions on
 * one object store in the order they were created, so operations take effect
 * in call order.
 */
export function createIdbStore(init: IdbStoreInit = {}): Store {
  const use: UseStore = createStore(init.dbName ?? 'sovereign', OBJECT_STORE)

  return {
    async get(key: string): Promise<Uint8Array | undefined> {
      assertValidKey(key)
      const value: unknown = await use('readonly', (store) => promisifyRequest(store.get(key)))
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
      const upper = prefixUpperBound(prefix)
      // A key range lets IndexedDB walk its index: never every key.
      const range = upper === undefined ? IDBKeyRange.lowerBound(prefix) : IDBKeyRange.bound(prefix, upper, false, true)
      const found = await use('readonly', (store) => promisifyRequest(store.getAllKeys(range)))
      return found.filter((key): key is string => typeof key === 'string')
    },

    async batch(ops: readonly StoreOp[]): Promise<void> {
      await write(validateOps(ops))
    },
  }

  /**
   * One readwrite transaction per call: IndexedDB commits all of its requests
   * or none. A request that throws while being queued (a clone failure) would
   * otherwise leave the earlier ones to auto-commit, so abort explicitly.
   */
  function write(ops: readonly StoreOp[]): Promise<void> {
    return use('readwrite', (store) => {
      const done = promisifyRequest(store.transaction)
      try {
        for (const op of ops) {
          // Values arrive copied into buffers of their own: structured clone
          // of a view would store the view's whole underlying buffer.
          if (op.type === 'set') store.put(op.value, op.key)
          else store.delete(op.key)
        }
      } catch (err) {
        done.catch(() => {})
        store.transaction.abort()
        throw err
      }
      return done
    })
  }
}

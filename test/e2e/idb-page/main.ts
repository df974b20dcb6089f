/**
 * The IndexedDB store page: workers/idbStore.ts as the app bundles it, plus
 * raw IndexedDB helpers to set up and inspect databases, behind
 * `window.idbPage` (wire.ts says why values are tagged).
 */
import { createStore, promisifyRequest, setMany } from 'idb-keyval'
import type { Store } from '../../../engine/ports/store.ts'
import { createIdbStore } from '../../../workers/idbStore.ts'
import { fromWire, toWire } from './wire.ts'
import type { IdbPage, Outcome, Wire } from './wire.ts'

declare global {
  interface Window {
    idbPage: IdbPage
  }
}

const stores = new Map<number, Store>()
let log: { stores: string[]; mode: string; durability: string }[] = []

const transaction = IDBDatabase.prototype.transaction
IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
  const tx = transaction.apply(this, args)
  log.push({ stores: [...tx.objectStoreNames], mode: tx.mode, durability: tx.durability })
  return tx
}

function openRaw(name: string, version?: number, upgrade?: (db: IDBDatabase) => void): IDBOpenDBRequest {
  const request = indexedDB.open(name, version)
  request.onupgradeneeded = () => upgrade?.(request.result)
  return request
}

window.idbPage = {
  open(dbName, blockedTimeoutMs) {
    const handle = stores.size + 1
    stores.set(handle, createIdbStore(blockedTimeoutMs === undefined ? { dbName } : { dbName, blockedTimeoutMs }))
    return handle
  },

  async call(handle, method, args): Promise<Outcome> {
    const store = stores.get(handle) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
    try {
      return { ok: true, value: toWire(await store[method]!(...(fromWire(args) as unknown[]))) }
    } catch (err) {
      const { name, message, ...fields } = err as Error & Record<string, unknown>
      return { ok: false, name: (err as Error).name, message: (err as Error).message, fields: toWire({ ...fields }) }
    }
  },

  async seedLegacy(dbName, entries) {
    await setMany(fromWire(entries) as [string, Uint8Array][], createStore(dbName, 'kv'))
  },

  async seedNewer(dbName, version) {
    const db = await promisifyRequest(openRaw(dbName, version, (created) => created.createObjectStore('future')))
    await promisifyRequest(db.transaction('future', 'readwrite').objectStore('future').put(Uint8Array.of(1), 'k'))
    db.close()
  },

  async upgradeTo(dbName, version) {
    const request = openRaw(dbName, version)
    let blocked = false
    request.onblocked = () => {
      blocked = true
    }
    ;(await promisifyRequest(request)).close()
    return { blocked }
  },

  async dump(dbName): Promise<Wire> {
    const db = await promisifyRequest(openRaw(dbName))
    const out: Record<string, [IDBValidKey, unknown][]> = {}
    for (const name of [...db.objectStoreNames]) {
      const store = db.transaction(name).objectStore(name)
      const [keys, values] = await Promise.all([promisifyRequest(store.getAllKeys()), promisifyRequest(store.getAll())])
      out[name] = keys.map((key, i) => [key, values[i]])
    }
    db.close()
    return toWire({ version: db.version, stores: out })
  },

  transactions() {
    const out = log
    log = []
    return out
  },
}

/**
 * Opening over what is already there: the version-1 layout real users have
 * (idb-keyval's single 'kv' object store), a database from a newer build,
 * connections that block an upgrade, and an upgrade from elsewhere.
 */
import 'fake-indexeddb/auto'
import { promisifyRequest } from 'idb-keyval'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OBJECT_STORES } from '../idbLayout.ts'
import { createIdbStore } from '../idbStore.ts'

let databases = 0
const freshName = (): string => `sovereign-upgrade-${++databases}`

async function rejectionOf(promise: Promise<unknown>): Promise<Error | 'resolved'> {
  return promise.then(
    () => 'resolved' as const,
    (err: Error) => err,
  )
}

async function openRaw(name: string, version?: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  const request = indexedDB.open(name, version)
  request.onupgradeneeded = () => upgrade?.(request.result)
  return promisifyRequest(request)
}

/** Every object store of `name` with its records, read without a version so nothing changes. */
async function rawDump(name: string): Promise<{ version: number; stores: Record<string, [IDBValidKey, unknown][]> }> {
  const db = await openRaw(name)
  const stores: Record<string, [IDBValidKey, unknown][]> = {}
  for (const storeName of [...db.objectStoreNames]) {
    const store = db.transaction(storeName).objectStore(storeName)
    const [keys, values] = await Promise.all([promisifyRequest(store.getAllKeys()), promisifyRequest(store.getAll())])
    stores[storeName] = keys.map((key, i) => [key, values[i]])
  }
  db.close()
  return { version: db.version, stores }
}

/** What workers/idbStore.ts wrote before this layout: database version 1, everything in 'kv'. */
const LEGACY: Record<string, Uint8Array> = {
  identity: Uint8Array.of(1),
  'meta/schema': new TextEncoder().encode('{"version":1}'),
  'contact/c1': Uint8Array.of(2),
  'session/c1/k1': Uint8Array.of(3),
  'hist/c1': Uint8Array.of(4),
  'msg/c1/0000000/0000000001': Uint8Array.of(5, 5),
  'msg/c1/0000000/0000000002': new Uint8Array(0),
  'msgid/m1': Uint8Array.of(6),
  'outbox/d1/e1': Uint8Array.of(7),
  'seen/e1': Uint8Array.of(8),
  'custom/x': Uint8Array.of(9),
}

async function seedLegacy(name: string): Promise<void> {
  const db = await openRaw(name, 1, (created) => created.createObjectStore('kv'))
  const tx = db.transaction('kv', 'readwrite')
  for (const [key, value] of Object.entries(LEGACY)) tx.objectStore('kv').put(value, key)
  await promisifyRequest(tx)
  db.close()
}

describe('createIdbStore over an existing database', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('moves every record of a version-1 database into its kind’s object store and drops kv', async () => {
    const dbName = freshName()
    await seedLegacy(dbName)
    const store = createIdbStore({ dbName })
    expect(await store.keys('')).toEqual(Object.keys(LEGACY).sort())
    for (const [key, value] of Object.entries(LEGACY)) expect(await store.get(key)).toEqual(value)
    expect(await store.keys('msg/c1/')).toEqual(['msg/c1/0000000/0000000001', 'msg/c1/0000000/0000000002'])

    const { version, stores } = await rawDump(dbName)
    expect(version).toBe(2)
    expect(Object.keys(stores).sort()).toEqual(OBJECT_STORES)
    const keysOf = (name: string): IDBValidKey[] => stores[name]!.map(([key]) => key)
    expect(keysOf('account')).toEqual(['identity', 'meta/schema'])
    expect(keysOf('history')).toEqual(['hist/c1', 'msg/c1/0000000/0000000001', 'msg/c1/0000000/0000000002'])
    expect(keysOf('outbox')).toEqual(['outbox/d1/e1'])
    expect(keysOf('misc')).toEqual(['custom/x'])
  })

  it('leaves version 1 whole when the upgrade is interrupted, and completes it next time', async () => {
    const dbName = freshName()
    await seedLegacy(dbName)
    const before = await rawDump(dbName)
    const put = IDBObjectStore.prototype.put
    // As a crash or quota failure would: the versionchange transaction aborts halfway through the copy.
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value, key) {
      if (key === 'msgid/m1') {
        this.transaction.abort()
        return put.call(this, value, key)
      }
      return put.call(this, value, key)
    })
    expect(await rejectionOf(createIdbStore({ dbName }).keys(''))).toMatchObject({ name: 'AbortError' })
    vi.restoreAllMocks()
    expect(await rawDump(dbName)).toEqual(before)

    const store = createIdbStore({ dbName })
    expect(await store.keys('')).toEqual(Object.keys(LEGACY).sort())
    expect(Object.keys((await rawDump(dbName)).stores).sort()).toEqual(OBJECT_STORES)
  })

  it('refuses a database from a newer build with StoreTooNewError and leaves it untouched', async () => {
    const dbName = freshName()
    const db = await openRaw(dbName, 3, (created) => created.createObjectStore('future'))
    await promisifyRequest(db.transaction('future', 'readwrite').objectStore('future').put(Uint8Array.of(1), 'k'))
    db.close()
    const before = await rawDump(dbName)
    const store = createIdbStore({ dbName })
    const err = await rejectionOf(store.get('identity'))
    expect(err).toMatchObject({ name: 'StoreTooNewError', stored: 3, supported: 2 })
    expect((err as Error).message).toContain('newer version of Sovereign (database version 3)')
    expect(await rejectionOf(store.set('identity', Uint8Array.of(1)))).toMatchObject({ name: 'StoreTooNewError' })
    expect(await rawDump(dbName)).toEqual(before)
  })

  it('gives up with StoreBlockedError while an old connection holds the upgrade back, then upgrades once it is gone', async () => {
    const dbName = freshName()
    await seedLegacy(dbName)
    // An old build's connection: idb-keyval never closes on versionchange.
    const old = await openRaw(dbName)
    const store = createIdbStore({ dbName, blockedTimeoutMs: 50 })
    const err = await rejectionOf(store.keys(''))
    expect(err).toMatchObject({ name: 'StoreBlockedError' })
    expect((err as Error).message).toContain('Nothing was changed')
    expect(old.version).toBe(1)
    old.close()
    expect(await store.keys('')).toEqual(Object.keys(LEGACY).sort())
    expect((await rawDump(dbName)).version).toBe(2)
  })

  it('closes for an upgrade from elsewhere instead of blocking it, and then refuses work', async () => {
    const dbName = freshName()
    const store = createIdbStore({ dbName })
    await store.set('contact/a', Uint8Array.of(1))
    let blocked = false
    const request = indexedDB.open(dbName, 3)
    request.onblocked = () => {
      blocked = true
    }
    const newer = await promisifyRequest(request)
    newer.close()
    expect(blocked).toBe(false)
    expect(await rejectionOf(store.get('contact/a'))).toMatchObject({ name: 'StoreClosedError' })
    expect(await rejectionOf(store.batch([]))).toMatchObject({ name: 'StoreClosedError' })
  })

  it('creates the layout in a new database without a kv store', async () => {
    const dbName = freshName()
    await createIdbStore({ dbName }).set('seen/1', Uint8Array.of(1))
    const { version, stores } = await rawDump(dbName)
    expect(version).toBe(2)
    expect(Object.keys(stores).sort()).toEqual(OBJECT_STORES)
    expect(stores['seen']).toEqual([['seen/1', Uint8Array.of(1)]])
  })
})

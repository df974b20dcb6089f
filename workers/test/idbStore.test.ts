import 'fake-indexeddb/auto'
import { promisifyRequest } from 'idb-keyval'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { storeContract } from '../../engine/ports/test/storeContract.ts'
import { OBJECT_STORES, objectStoreOf, objectStoresForPrefix } from '../idbLayout.ts'
import { createIdbStore } from '../idbStore.ts'

let databases = 0
const freshName = (): string => `sovereign-test-${++databases}`
const one = Uint8Array.of(1)

async function rejectionName(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: Error) => err.name,
  )
}

/** Opens `name` with raw IndexedDB, running `upgrade` if it is created or raised to `version`. */
async function openRaw(name: string, version?: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  const request = indexedDB.open(name, version)
  request.onupgradeneeded = () => upgrade?.(request.result)
  return promisifyRequest(request)
}

/** Every object store of `name` and the keys it holds, read without a version so nothing changes. */
async function rawLayout(name: string): Promise<{ version: number; stores: Record<string, IDBValidKey[]> }> {
  const db = await openRaw(name)
  const stores: Record<string, IDBValidKey[]> = {}
  for (const storeName of [...db.objectStoreNames]) {
    stores[storeName] = await promisifyRequest(db.transaction(storeName).objectStore(storeName).getAllKeys())
  }
  db.close()
  return { version: db.version, stores }
}

storeContract('IndexedDB, an object store per kind (fake-indexeddb)', async () => {
  const dbName = freshName()
  return {
    store: createIdbStore({ dbName }),
    reopen: async () => createIdbStore({ dbName }),
    cleanup: async () => {},
  }
})

const ROUTES: Record<string, string> = {
  identity: 'account',
  profile: 'account',
  settings: 'account',
  prekeys: 'account',
  'meta/schema': 'account',
  'contact/c1': 'contact',
  'session/c1/k1': 'session',
  'hist/c1': 'history',
  'msg/c1/0000000/0000000001': 'history',
  'msgid/m1': 'msgid',
  'outbox/d1/e1': 'outbox',
  'seen/e1': 'seen',
  'other/x': 'misc',
  bare: 'misc',
  'messages/x': 'misc',
}

describe('idbLayout', () => {
  it('routes each kind to its object store', () => {
    for (const [key, store] of Object.entries(ROUTES)) expect([key, objectStoreOf(key)]).toEqual([key, store])
    expect(OBJECT_STORES).toEqual(['account', 'contact', 'history', 'misc', 'msgid', 'outbox', 'seen', 'session'])
  })

  it('narrows a prefix to the object stores that can hold it', () => {
    expect(objectStoresForPrefix('msg/c1/')).toEqual(['history'])
    expect(objectStoresForPrefix('msgid/')).toEqual(['msgid'])
    expect(objectStoresForPrefix('other/')).toEqual(['misc'])
    expect(objectStoresForPrefix('msg')).toEqual(['history', 'misc', 'msgid'])
    expect(objectStoresForPrefix('m')).toEqual(['account', 'history', 'misc', 'msgid'])
    expect(objectStoresForPrefix('zz')).toEqual(['misc'])
    expect(objectStoresForPrefix('')).toEqual(OBJECT_STORES)
  })
})

describe('createIdbStore', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('keeps databases apart', async () => {
    const a = createIdbStore({ dbName: freshName() })
    const b = createIdbStore({ dbName: freshName() })
    await a.set('k', one)
    expect(await b.get('k')).toBeUndefined()
  })

  it('stores each record, under its full key, in its kind’s object store', async () => {
    const dbName = freshName()
    const store = createIdbStore({ dbName })
    await store.batch(Object.keys(ROUTES).map((key) => ({ type: 'set' as const, key, value: one })))
    const { version, stores } = await rawLayout(dbName)
    expect(version).toBe(2)
    expect(Object.keys(stores).sort()).toEqual(OBJECT_STORES)
    for (const [name, keys] of Object.entries(stores)) {
      const expected = Object.keys(ROUTES).filter((key) => ROUTES[key] === name)
      expect([name, keys]).toEqual([name, expected.sort()])
    }
    for (const key of Object.keys(ROUTES)) expect(await store.get(key)).toEqual(one)
  })

  it('merges prefix scans across object stores in code unit order', async () => {
    const store = createIdbStore({ dbName: freshName() })
    const all = [...Object.keys(ROUTES), 'm', 'msg', 'msgid', 'mz/1', 'msg\uffff/x', 'msh/1']
    for (const key of all) await store.set(key, one)
    expect(await store.keys('')).toEqual([...all].sort())
    expect(await store.keys('m')).toEqual(['m', 'messages/x', 'meta/schema', 'msg', 'msg/c1/0000000/0000000001', 'msgid', 'msgid/m1', 'msg\uffff/x', 'msh/1', 'mz/1'])
    expect(await store.keys('msg')).toEqual(['msg', 'msg/c1/0000000/0000000001', 'msgid', 'msgid/m1', 'msg\uffff/x'])
    expect(await store.keys('msg/')).toEqual(['msg/c1/0000000/0000000001'])
    expect(await store.keys('session/c1/')).toEqual(['session/c1/k1'])
  })

  it('scans one object store through a key range when the prefix names its kind', async () => {
    const store = createIdbStore({ dbName: freshName() })
    await store.batch([
      { type: 'set', key: 'msg/a/1', value: one },
      { type: 'set', key: 'msg/b/1', value: one },
      { type: 'set', key: 'contact/a', value: one },
    ])
    const scanned: string[] = []
    const getAllKeys = IDBObjectStore.prototype.getAllKeys
    vi.spyOn(IDBObjectStore.prototype, 'getAllKeys').mockImplementation(function (this: IDBObjectStore, query, count) {
      scanned.push(this.name)
      return getAllKeys.call(this, query, count)
    })
    const spy = vi.mocked(IDBObjectStore.prototype.getAllKeys)
    expect(await store.keys('msg/a/')).toEqual(['msg/a/1'])
    expect(scanned).toEqual(['history'])
    const [query] = spy.mock.calls[0]!
    expect(query).toBeInstanceOf(IDBKeyRange)
    expect((query as IDBKeyRange).lower).toBe('msg/a/')
    expect((query as IDBKeyRange).upper).toBe('msg/a0')
  })

  it('writes nothing in any object store from a cross-kind batch with an invalid op', async () => {
    const dbName = freshName()
    const store = createIdbStore({ dbName })
    await store.set('contact/a', one)
    const batch = [
      { type: 'set', key: 'contact/a', value: Uint8Array.of(2) },
      { type: 'set', key: 'msg/a/1', value: one },
      { type: 'set', key: 'outbox/d/1', value: one },
      { type: 'set', key: 'seen/1', value: 'not bytes' },
    ]
    expect(await rejectionName(store.batch(batch as never))).toBe('InvalidStoreValueError')
    expect(await store.keys('')).toEqual(['contact/a'])
    expect(await store.get('contact/a')).toEqual(one)
  })

  it('rolls back every object store when a write fails inside a cross-kind transaction', async () => {
    const dbName = freshName()
    const store = createIdbStore({ dbName })
    await store.set('contact/a', one)
    const put = IDBObjectStore.prototype.put
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value, key) {
      if (key === 'seen/boom') throw new DOMException('simulated clone failure', 'DataCloneError')
      return put.call(this, value, key)
    })
    const failed = store.batch([
      { type: 'set', key: 'contact/a', value: Uint8Array.of(2) },
      { type: 'set', key: 'msg/a/1', value: one },
      { type: 'delete', key: 'contact/a' },
      { type: 'set', key: 'outbox/d/1', value: one },
      { type: 'set', key: 'seen/boom', value: one },
    ])
    expect(await rejectionName(failed)).toBe('DataCloneError')
    vi.restoreAllMocks()
    expect(await store.get('contact/a')).toEqual(one)
    expect(await store.keys('')).toEqual(['contact/a'])
    expect((await rawLayout(dbName)).stores).toMatchObject({ history: [], outbox: [], seen: [], contact: ['contact/a'] })
  })

  it('asks for strict durability on writes that touch the outbox, and only on those', async () => {
    const store = createIdbStore({ dbName: freshName() })
    await store.get('opened') // fake-indexeddb opens its versionchange transaction through this method too
    const opened: { stores: string[]; mode: string; durability: string }[] = []
    const transaction = IDBDatabase.prototype.transaction
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, names, mode, options) {
      const tx = transaction.call(this, names, mode, options)
      opened.push({ stores: [...tx.objectStoreNames], mode: tx.mode, durability: tx.durability })
      return tx
    })
    await store.batch([
      { type: 'set', key: 'outbox/d/1', value: one },
      { type: 'set', key: 'msg/d/1', value: one },
    ])
    await store.set('contact/d', one)
    await store.delete('outbox/d/1')
    await store.keys('')
    await store.get('outbox/d/1')
    expect(opened).toEqual([
      { stores: ['history', 'outbox'], mode: 'readwrite', durability: 'strict' },
      { stores: ['contact'], mode: 'readwrite', durability: 'default' },
      { stores: ['outbox'], mode: 'readwrite', durability: 'strict' },
      { stores: OBJECT_STORES, mode: 'readonly', durability: 'default' },
      { stores: ['outbox'], mode: 'readonly', durability: 'default' },
    ])
  })

  it('refuses a stored value that is not bytes', async () => {
    const dbName = freshName()
    const store = createIdbStore({ dbName })
    await store.keys('')
    const db = await openRaw(dbName)
    await promisifyRequest(db.transaction('misc', 'readwrite').objectStore('misc').put('text', 'foreign'))
    db.close()
    expect(await rejectionName(store.get('foreign'))).toBe('CorruptRecordError')
  })
})

import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { storeContract } from '../../engine/ports/test/storeContract.ts'
import { createIdbStore } from '../idbStore.ts'

let databases = 0
const freshName = (): string => `sovereign-test-${++databases}`

storeContract('idb-keyval (fake-indexeddb)', async () => {
  const dbName = freshName()
  return {
    store: createIdbStore({ dbName }),
    reopen: async () => createIdbStore({ dbName }),
    cleanup: async () => {},
  }
})

describe('createIdbStore', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('keeps databases apart', async () => {
    const a = createIdbStore({ dbName: freshName() })
    const b = createIdbStore({ dbName: freshName() })
    await a.set('k', Uint8Array.of(1))
    expect(await b.get('k')).toBeUndefined()
  })

  it('rolls back a batch whose third write fails inside the transaction', async () => {
    const store = createIdbStore({ dbName: freshName() })
    await store.set('a', Uint8Array.of(1))
    const put = IDBObjectStore.prototype.put
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value, key) {
      if (key === 'boom') throw new DOMException('simulated clone failure', 'DataCloneError')
      return put.call(this, value, key)
    })
    const failed = await store
      .batch([
        { type: 'set', key: 'a', value: Uint8Array.of(2) },
        { type: 'set', key: 'b', value: Uint8Array.of(2) },
        { type: 'set', key: 'boom', value: Uint8Array.of(2) },
      ])
      .then(
        () => 'resolved',
        (err: Error) => err.name,
      )
    expect(failed).toBe('DataCloneError')
    vi.restoreAllMocks()
    expect(await store.get('a')).toEqual(Uint8Array.of(1))
    expect(await store.keys('')).toEqual(['a'])
  })

  it('lists keys through a key range, never by loading every key', async () => {
    const store = createIdbStore({ dbName: freshName() })
    await store.batch([
      { type: 'set', key: 'msg/a/1', value: Uint8Array.of(1) },
      { type: 'set', key: 'msg/b/1', value: Uint8Array.of(1) },
    ])
    const getAllKeys = vi.spyOn(IDBObjectStore.prototype, 'getAllKeys')
    expect(await store.keys('msg/a/')).toEqual(['msg/a/1'])
    const [query] = getAllKeys.mock.calls[0]!
    expect(query).toBeInstanceOf(IDBKeyRange)
    expect((query as IDBKeyRange).lower).toBe('msg/a/')
    expect((query as IDBKeyRange).upper).toBe('msg/a0')
  })

  it('refuses a stored value that is not bytes', async () => {
    const dbName = freshName()
    const { createStore, set } = await import('idb-keyval')
    await set('foreign', 'text', createStore(dbName, 'kv'))
    const name = await createIdbStore({ dbName })
      .get('foreign')
      .then(
        () => 'resolved',
        (err: Error) => err.name,
      )
    expect(name).toBe('CorruptRecordError')
  })
})

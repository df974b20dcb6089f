/**
 * How the browser Store lays records out in IndexedDB: one object store per
 * record kind, so a prefix scan touches only the records of its kind and a
 * write to the outbox can ask for strict durability without slowing the rest.
 *
 * A key's kind is the segment before its first '/', or the whole key. Every
 * record keeps its full key, so a kind can move between object stores (or a
 * layout be flattened again) without rewriting keys.
 *
 * Database versions (IDBDatabase.version, not the engine's schema version in
 * `meta/schema`, which lives inside the records):
 *   1  one object store 'kv' (idb-keyval's createStore, before this layout)
 *   2  the object stores below
 */
export const IDB_LAYOUT_VERSION = 2

/** The layout before this one: idb-keyval's single object store. */
export const LEGACY_OBJECT_STORE = 'kv'

/** Where records of a kind not listed in KIND_STORES go. */
export const MISC_STORE = 'misc'

/** The object store that must be durable before its write is reported done. */
export const OUTBOX_STORE = 'outbox'

const KIND_STORES: Readonly<Record<string, string>> = {
  identity: 'account',
  profile: 'account',
  settings: 'account',
  prekeys: 'account',
  meta: 'account',
  contact: 'contact',
  session: 'session',
  hist: 'history',
  msg: 'history',
  msgid: 'msgid',
  outbox: OUTBOX_STORE,
  seen: 'seen',
}

/** Every object store of the layout, sorted. */
export const OBJECT_STORES: readonly string[] = [...new Set([...Object.values(KIND_STORES), MISC_STORE])].sort()

export function kindOf(key: string): string {
  const slash = key.indexOf('/')
  return slash === -1 ? key : key.slice(0, slash)
}

export function objectStoreOf(key: string): string {
  return Object.hasOwn(KIND_STORES, kindOf(key)) ? KIND_STORES[kindOf(key)]! : MISC_STORE
}

/**
 * The object stores that can hold a key starting with `prefix`, sorted. With
 * a '/', the prefix names its kind whole: one object store. Without one, it
 * is the start of a kind (or of a bare key), so it may match any listed kind
 * that starts with it, and always some unlisted kind in `misc`.
 */
export function objectStoresForPrefix(prefix: string): string[] {
  if (prefix.includes('/')) return [objectStoreOf(prefix)]
  const stores = new Set([MISC_STORE])
  for (const [kind, store] of Object.entries(KIND_STORES)) if (kind.startsWith(prefix)) stores.add(store)
  return [...stores].sort()
}

/**
 * `onupgradeneeded` for IDB_LAYOUT_VERSION. From nothing, creates the object
 * stores. From version 1, also copies every record of 'kv' into its kind's
 * store, then deletes 'kv'. All of it runs in the versionchange transaction
 * `upgrade`, which commits whole or not at all: an interrupted upgrade leaves
 * version 1 and its 'kv' as they were, and the next open starts over.
 */
export function upgradeLayout(db: IDBDatabase, upgrade: IDBTransaction, oldVersion: number): void {
  for (const name of OBJECT_STORES) if (!db.objectStoreNames.contains(name)) db.createObjectStore(name)
  if (oldVersion >= IDB_LAYOUT_VERSION || !db.objectStoreNames.contains(LEGACY_OBJECT_STORE)) return

  const legacy = upgrade.objectStore(LEGACY_OBJECT_STORE)
  const cursor = legacy.openCursor()
  cursor.onsuccess = () => {
    const at = cursor.result
    if (at === null) {
      db.deleteObjectStore(LEGACY_OBJECT_STORE)
      return
    }
    // The old store only ever held string keys; anything else is kept in
    // misc rather than dropped (keys() lists strings only, as before).
    const target = typeof at.key === 'string' ? objectStoreOf(at.key) : MISC_STORE
    upgrade.objectStore(target).put(at.value, at.key)
    at.continue()
  }
}

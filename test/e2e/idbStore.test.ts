/**
 * workers/idbStore.ts on Chromium's own IndexedDB (fake-indexeddb covers the
 * logic in workers/test/; this checks what only the real thing can: its key
 * order, durability option, upgrade and blocking behaviour, and what is on
 * disk after a browser restart). The store is bundled into a test page
 * (test/e2e/idb-page/), served by Vite's preview server, in a persistent
 * Chromium profile so that a restart finds the same databases.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { build, preview } from 'vite'
import type { PreviewServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store, StoreOp } from '../../engine/ports/store.ts'
import { storeContract } from '../../engine/ports/test/storeContract.ts'
import { OBJECT_STORES } from '../../workers/idbLayout.ts'
import { CHROMIUM_FLAGS } from '../support/chromium.ts'
import { WAIT_MS } from '../support/waitFor.ts'
import { fromWire, toWire } from './idb-page/wire.ts'
import type { Outcome } from './idb-page/wire.ts'

const PAGE_DIR = resolve(import.meta.dirname, 'idb-page')

let outDir: string
let profileDir: string
let server: PreviewServer
let url: string
let context: BrowserContext
let databases = 0
const freshName = (): string => `sovereign-e2e-${++databases}`

async function launch(): Promise<BrowserContext> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  return chromium.launchPersistentContext(profileDir, { executablePath, headless: true, args: [...CHROMIUM_FLAGS] })
}

async function openPage(): Promise<Page> {
  const page = await context.newPage()
  page.setDefaultTimeout(WAIT_MS)
  page.on('pageerror', (err) => {
    throw new Error(`page error: ${err.message}`)
  })
  await page.goto(url)
  await page.waitForFunction(() => window.idbPage !== undefined)
  return page
}

/** The error a page call rejected with: same name, message and typed fields. */
class PageError extends Error {
  constructor(outcome: Extract<Outcome, { ok: false }>) {
    super(outcome.message)
    this.name = outcome.name
    Object.assign(this, fromWire(outcome.fields))
  }
}

/** A Store whose every call runs in `page`, on the store that `handle` names there. */
function pageStore(page: Page, handle: number): Store {
  const call = async (method: string, ...args: unknown[]): Promise<unknown> => {
    const outcome = await page.evaluate(([h, m, a]) => window.idbPage.call(h, m, a), [handle, method, toWire(args)] as const)
    if (!outcome.ok) throw new PageError(outcome)
    return fromWire(outcome.value)
  }
  return {
    get: (key) => call('get', key) as Promise<Uint8Array | undefined>,
    set: (key, value) => call('set', key, value) as Promise<void>,
    delete: (key) => call('delete', key) as Promise<void>,
    keys: (prefix) => call('keys', prefix) as Promise<string[]>,
    batch: (ops: readonly StoreOp[]) => call('batch', ops) as Promise<void>,
  }
}

async function openStore(page: Page, dbName: string, blockedTimeoutMs?: number): Promise<Store> {
  const handle = await page.evaluate(([name, timeout]) => window.idbPage.open(name, timeout), [dbName, blockedTimeoutMs] as const)
  return pageStore(page, handle)
}

interface Dump {
  version: number
  stores: Record<string, [string, Uint8Array][]>
}

async function dump(page: Page, dbName: string): Promise<Dump> {
  return fromWire(await page.evaluate((name) => window.idbPage.dump(name), dbName)) as Dump
}

const keysIn = (d: Dump, store: string): string[] => d.stores[store]!.map(([key]) => key)

async function rejectionOf(promise: Promise<unknown>): Promise<Error | 'resolved'> {
  return promise.then(
    () => 'resolved' as const,
    (err: Error) => err,
  )
}

/** Records as the previous build wrote them, one or more of each kind. */
const LEGACY: [string, Uint8Array][] = [
  ['identity', Uint8Array.of(1)],
  ['profile', Uint8Array.of(2)],
  ['meta/schema', new TextEncoder().encode('{"version":1}')],
  ['contact/c1', Uint8Array.of(3)],
  ['session/c1/k1', Uint8Array.of(4)],
  ['hist/c1', Uint8Array.of(5)],
  ['msg/c1/0000000/0000000001', Uint8Array.of(6, 6)],
  ['msg/c1/0000000/0000000002', new Uint8Array(0)],
  ['msgid/m1', Uint8Array.of(7)],
  ['outbox/d1/e1', Uint8Array.of(8)],
  ['seen/e1', Uint8Array.of(9)],
  ['custom/x', Uint8Array.of(10)],
]

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'sovereign-idb-page-'))
  profileDir = await mkdtemp(join(tmpdir(), 'sovereign-idb-profile-'))
  const shared = { configFile: false as const, root: PAGE_DIR, logLevel: 'warn' as const }
  await build({ ...shared, build: { outDir, emptyOutDir: true, target: 'es2022' } })
  server = await preview({ ...shared, build: { outDir }, preview: { host: '127.0.0.1', port: 0 } })
  url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/index.html`
  context = await launch()
})

afterAll(async () => {
  await context?.close()
  await server?.close()
  for (const dir of [outDir, profileDir]) if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

describe('IndexedDB Store in Chromium', () => {
  let page: Page
  beforeAll(async () => {
    page = await openPage()
  })

  storeContract('IndexedDB in Chromium', async () => {
    const dbName = freshName()
    return { store: await openStore(page, dbName), reopen: () => openStore(page, dbName), cleanup: async () => {} }
  })

  it('upgrades a version-1 kv database in place: every record readable, in its kind’s store, kv gone', async () => {
    const dbName = freshName()
    const old = await openPage()
    await old.evaluate(([name, entries]) => window.idbPage.seedLegacy(name, entries), [dbName, toWire(LEGACY)] as const)
    expect(keysIn(await dump(old, dbName), 'kv')).toHaveLength(LEGACY.length)
    // The user loads the new build: the old page, and its idb-keyval connection, go away.
    await old.reload()
    await old.waitForFunction(() => window.idbPage !== undefined)
    const store = await openStore(old, dbName)
    expect(await store.keys('')).toEqual(LEGACY.map(([key]) => key).sort())
    for (const [key, value] of LEGACY) expect(await store.get(key)).toEqual(value)

    const after = await dump(old, dbName)
    expect(after.version).toBe(2)
    expect(Object.keys(after.stores).sort()).toEqual(OBJECT_STORES)
    expect(keysIn(after, 'account')).toEqual(['identity', 'meta/schema', 'profile'])
    expect(keysIn(after, 'history')).toEqual(['hist/c1', 'msg/c1/0000000/0000000001', 'msg/c1/0000000/0000000002'])
    expect(keysIn(after, 'misc')).toEqual(['custom/x'])
    await old.close()
  })

  it('pages through keys(prefix) within a kind and across kinds', async () => {
    const store = await openStore(page, freshName())
    const ops: StoreOp[] = []
    for (const contact of ['c1', 'c2']) {
      for (let seq = 0; seq < 600; seq += 7) {
        const bucket = String(Math.floor(seq / 256)).padStart(7, '0')
        ops.push({ type: 'set', key: `msg/${contact}/${bucket}/${String(seq).padStart(10, '0')}`, value: Uint8Array.of(seq & 0xff) })
      }
    }
    ops.push({ type: 'set', key: 'msgid/x', value: Uint8Array.of(1) }, { type: 'set', key: 'meta/schema', value: Uint8Array.of(1) })
    await store.batch(ops)
    const c1 = ops.map((op) => op.key).filter((key) => key.startsWith('msg/c1/'))
    expect(await store.keys('msg/c1/')).toEqual(c1)
    expect(await store.keys('msg/c1/0000001/')).toEqual(c1.filter((key) => key.startsWith('msg/c1/0000001/')))
    expect(await store.keys('msg/c1/0000009/')).toEqual([])
    expect(await store.keys('m')).toEqual(ops.map((op) => op.key).sort())
    const scans = await page.evaluate(() => window.idbPage.transactions())
    expect(scans.slice(-4).map((tx) => tx.stores)).toEqual([['history'], ['history'], ['history'], ['account', 'history', 'misc', 'msgid']])
  })

  it('commits an outbox batch with strict durability, and it is there after a browser restart', async () => {
    const dbName = freshName()
    const store = await openStore(page, dbName)
    await store.get('warm-up')
    await page.evaluate(() => window.idbPage.transactions())
    await store.batch([
      { type: 'set', key: 'outbox/d1/e1', value: Uint8Array.of(1, 2, 3) },
      { type: 'set', key: 'msg/d1/0000000/0000000001', value: Uint8Array.of(4) },
    ])
    await store.set('contact/d1', Uint8Array.of(5))
    expect(await page.evaluate(() => window.idbPage.transactions())).toEqual([
      { stores: ['history', 'outbox'], mode: 'readwrite', durability: 'strict' },
      { stores: ['contact'], mode: 'readwrite', durability: 'default' },
    ])

    await context.close()
    context = await launch()
    page = await openPage()
    const reopened = await openStore(page, dbName)
    expect(await reopened.get('outbox/d1/e1')).toEqual(Uint8Array.of(1, 2, 3))
    expect(await reopened.keys('')).toEqual(['contact/d1', 'msg/d1/0000000/0000000001', 'outbox/d1/e1'])
  })

  it('refuses a newer database with StoreTooNewError and leaves it untouched', async () => {
    const dbName = freshName()
    await page.evaluate((name) => window.idbPage.seedNewer(name, 5), dbName)
    const before = await dump(page, dbName)
    const err = await rejectionOf((await openStore(page, dbName)).get('identity'))
    expect(err).toMatchObject({ name: 'StoreTooNewError', stored: 5, supported: 2 })
    expect(await dump(page, dbName)).toEqual(before)
  })

  it('gives up when an old tab blocks the upgrade, upgrades once it closes, and yields to a newer tab', async () => {
    const dbName = freshName()
    const oldTab = await openPage()
    await oldTab.evaluate(([name, entries]) => window.idbPage.seedLegacy(name, entries), [dbName, toWire(LEGACY)] as const)
    const store = await openStore(page, dbName, 500)
    const blocked = await rejectionOf(store.keys(''))
    expect(blocked).toMatchObject({ name: 'StoreBlockedError' })
    // (No look at the database here: IndexedDB queues every open behind the pending upgrade.)

    await oldTab.close()
    expect(await store.keys('')).toEqual(LEGACY.map(([key]) => key).sort())

    const newerTab = await openPage()
    expect(await newerTab.evaluate((name) => window.idbPage.upgradeTo(name, 3), dbName)).toEqual({ blocked: false })
    expect(await rejectionOf(store.get('identity'))).toMatchObject({ name: 'StoreClosedError' })
    await newerTab.close()
  })
})

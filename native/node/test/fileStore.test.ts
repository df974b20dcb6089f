import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { storeContract } from '../../../engine/ports/test/storeContract.ts'
import { encodeJournal, encodeRecord } from '../../../engine/store/index.ts'
import { JOURNAL_FILE, openFileStore } from '../fileStore.ts'
import { tempFileStore } from './tempFileStore.ts'

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

storeContract('file (tmp dir)', () => tempFileStore('sovereign-store-'))

describe('openFileStore crash safety', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sovereign-crash-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const files = async (): Promise<string[]> => (await readdir(dir)).sort()
  const records = async (): Promise<string[]> => (await files()).filter((name) => name.endsWith('.rec'))

  /** Writes `entries` through a store, closes it, and returns each key's record file name. */
  async function seed(entries: Record<string, Uint8Array>): Promise<Map<string, string>> {
    const names = new Map<string, string>()
    const store = await openFileStore(dir)
    for (const [key, value] of Object.entries(entries)) {
      const before = new Set(await records())
      await store.set(key, value)
      names.set(key, (await records()).find((name) => !before.has(name))!)
    }
    await store.close()
    return names
  }

  it('never reads back a truncated record, and deletes it', async () => {
    const names = await seed({ 'msg/1': bytes(1, 2, 3, 4), 'msg/2': bytes(5, 6) })
    const torn = join(dir, names.get('msg/1')!)
    await truncate(torn, (await readFile(torn)).length - 2)
    const store = await openFileStore(dir)
    expect(await store.get('msg/1')).toBeUndefined()
    expect(await store.keys('msg/')).toEqual(['msg/2'])
    expect(await store.get('msg/2')).toEqual(bytes(5, 6))
    expect(await files()).not.toContain(names.get('msg/1'))
    await store.close()
  })

  it('deletes a record with a flipped bit or filed under another key', async () => {
    const names = await seed({ a: bytes(1), b: bytes(2), c: bytes(3) })
    const flipped = join(dir, names.get('a')!)
    const raw = await readFile(flipped)
    raw[raw.length - 1]! ^= 0x01
    await writeFile(flipped, raw)
    // A valid record for 'b' copied over c's file: intact bytes, wrong place.
    await writeFile(join(dir, names.get('c')!), await readFile(join(dir, names.get('b')!)))
    const store = await openFileStore(dir)
    expect(await store.keys('')).toEqual(['b'])
    expect(await store.get('c')).toBeUndefined()
    expect(await records()).toEqual([names.get('b')])
    await store.close()
  })

  it('deletes leftover temp files without reading them', async () => {
    const names = await seed({ k: bytes(1) })
    // A complete new version of k that never got renamed: the write did not commit.
    await writeFile(join(dir, `${names.get('k')}.tmp`), encodeRecord('k', bytes(2)))
    await writeFile(join(dir, `${JOURNAL_FILE}.tmp`), encodeJournal([{ type: 'delete', key: 'k' }]))
    const store = await openFileStore(dir)
    expect(await store.get('k')).toEqual(bytes(1))
    expect(await files()).toEqual([names.get('k')])
    await store.close()
  })

  it('replays a complete journal that a crash left unapplied or half applied', async () => {
    const names = await seed({ keep: bytes(0), old: bytes(1), gone: bytes(2) })
    const ops = [
      { type: 'set', key: 'old', value: bytes(10) },
      { type: 'set', key: 'new', value: bytes(11) },
      { type: 'delete', key: 'gone' },
      { type: 'set', key: 'new', value: bytes(12) },
    ] as const
    await writeFile(join(dir, JOURNAL_FILE), encodeJournal(ops))
    // Half applied: the crash came after the first op reached its file.
    await writeFile(join(dir, names.get('old')!), encodeRecord('old', bytes(10)))
    const store = await openFileStore(dir)
    expect(await store.keys('')).toEqual(['keep', 'new', 'old'])
    expect(await store.get('old')).toEqual(bytes(10))
    expect(await store.get('new')).toEqual(bytes(12))
    expect(await store.get('gone')).toBeUndefined()
    expect(await files()).not.toContain(JOURNAL_FILE)
    await store.close()
    const again = await openFileStore(dir)
    expect(await again.keys('')).toEqual(['keep', 'new', 'old'])
    await again.close()
  })

  it('discards an incomplete journal and applies none of it', async () => {
    await seed({ a: bytes(1) })
    const journal = encodeJournal([
      { type: 'set', key: 'a', value: bytes(9) },
      { type: 'set', key: 'b', value: bytes(9) },
    ])
    for (const length of [0, 10, journal.length - 1]) {
      await writeFile(join(dir, JOURNAL_FILE), journal.subarray(0, length))
      const store = await openFileStore(dir)
      expect(await store.get('a')).toEqual(bytes(1))
      expect(await store.keys('')).toEqual(['a'])
      expect(await files()).not.toContain(JOURNAL_FILE)
      await store.close()
    }
  })

  it('leaves no journal or temp file behind after a batch', async () => {
    const store = await openFileStore(dir)
    await store.batch([
      { type: 'set', key: 'x', value: bytes(1) },
      { type: 'set', key: 'y', value: bytes(2) },
    ])
    await store.set('z', bytes(3))
    expect(await files()).toHaveLength(3)
    expect((await files()).every((name) => /^[0-9a-f]{64}\.rec$/.test(name))).toBe(true)
    await store.close()
  })

  it('ignores files it does not own', async () => {
    await writeFile(join(dir, 'README'), 'not a record')
    const store = await openFileStore(dir)
    await store.set('k', bytes(1))
    expect(await store.keys('')).toEqual(['k'])
    await store.close()
    expect(await files()).toContain('README')
  })

  it('finishes queued work on close, then refuses more with StoreClosedError', async () => {
    const store = await openFileStore(dir)
    const pending = store.set('k', bytes(1))
    await store.close()
    await pending
    const name = await store.get('k').then(
      () => 'resolved',
      (err: Error) => err.name,
    )
    expect(name).toBe('StoreClosedError')
    const reopened = await openFileStore(dir)
    expect(await reopened.get('k')).toEqual(bytes(1))
    await reopened.close()
  })

  it('stores keys too long for a file name', async () => {
    const store = await openFileStore(dir)
    const key = `msg/${'é'.repeat(500)}`
    await store.set(key, bytes(1))
    await store.close()
    const reopened = await openFileStore(dir)
    expect(await reopened.keys('msg/')).toEqual([key])
    await reopened.close()
  })
})

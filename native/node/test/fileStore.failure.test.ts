import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { openFileStore } from '../fileStore.ts'

// Injected I/O failures: which fs call fails, decided per test.
const faults = vi.hoisted(() => ({ rename: undefined as string | undefined, open: undefined as string | undefined }))

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  const fail = (code: string): Error => Object.assign(new Error(`simulated ${code}`), { code })
  return {
    ...fs,
    rename: async (from: string, to: string) => {
      if (faults.rename && to.endsWith(faults.rename)) throw fail('EIO')
      return fs.rename(from, to)
    },
    open: async (path: string, ...rest: Parameters<typeof fs.open> extends [unknown, ...infer R] ? R : never) => {
      if (faults.open && path.endsWith(faults.open)) {
        faults.open = undefined
        throw fail('ENOSPC')
      }
      return fs.open(path, ...rest)
    },
  }
})

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

async function errorName(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: Error) => err.name,
  )
}

describe('openFileStore under I/O failures', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sovereign-fault-'))
    faults.rename = undefined
    faults.open = undefined
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('stays usable when a write fails before its rename', async () => {
    const store = await openFileStore(dir)
    faults.open = '.rec.tmp'
    expect(await errorName(store.set('k', bytes(1)))).toBe('Error')
    expect(await store.get('k')).toBeUndefined()
    await store.set('k', bytes(2))
    expect(await store.get('k')).toEqual(bytes(2))
    await store.close()
  })

  it('refuses work after a batch fails past its commit, and replays it on reopen', async () => {
    const store = await openFileStore(dir)
    await store.set('a', bytes(1))
    faults.rename = '.rec'
    const batch = store.batch([
      { type: 'set', key: 'a', value: bytes(2) },
      { type: 'set', key: 'b', value: bytes(2) },
    ])
    expect(await errorName(batch)).toBe('StoreFailedError')
    expect(await errorName(store.get('a'))).toBe('StoreFailedError')
    await store.close()
    faults.rename = undefined
    const reopened = await openFileStore(dir)
    expect(await reopened.get('a')).toEqual(bytes(2))
    expect(await reopened.keys('')).toEqual(['a', 'b'])
    await reopened.close()
  })

  it('applies nothing when the journal itself cannot be written', async () => {
    const store = await openFileStore(dir)
    await store.set('a', bytes(1))
    faults.open = 'batch.journal.tmp'
    const batch = store.batch([
      { type: 'set', key: 'a', value: bytes(2) },
      { type: 'delete', key: 'a' },
    ])
    expect(await errorName(batch)).toBe('Error')
    expect(await store.get('a')).toEqual(bytes(1))
    await store.close()
    const reopened = await openFileStore(dir)
    expect(await reopened.get('a')).toEqual(bytes(1))
    await reopened.close()
  })
})

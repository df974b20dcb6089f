import { describe, expect, it } from 'vitest'
import { utf8Decode, utf8Encode } from '../../bytes.ts'
import type { Store, StoreOp } from '../../ports/store.ts'
import { createMemoryStore } from '../memoryStore.ts'
import { SCHEMA_KEY, encodeSchemaVersion, migrateStore, readSchemaVersion } from '../schema.ts'
import type { Migration } from '../schema.ts'
import { bytes, countingStore, rejectionOf, renameStep, schemaContract, snapshot } from './schemaContract.ts'

schemaContract('the memory store', async () => ({ store: createMemoryStore(), cleanup: async () => {} }))

const chain = (): Migration[] => [renameStep(1, 'old/', 'mid/'), renameStep(2, 'mid/', 'new/')]

async function seeded(version: number | null, entries: Record<string, Uint8Array>): Promise<Store> {
  const store = createMemoryStore()
  for (const [key, value] of Object.entries(entries)) await store.set(key, value)
  if (version !== null) await store.set(SCHEMA_KEY, encodeSchemaVersion(version))
  return store
}

describe('migrateStore', () => {
  it('stamps a fresh store with the current version and runs no step', async () => {
    const store = createMemoryStore()
    const planned: number[] = []
    const steps = chain().map((step) => ({ ...step, plan: async (s: Store) => (planned.push(step.from), step.plan(s)) }))
    expect(await readSchemaVersion(store)).toBeNull()
    expect(await migrateStore(store, 3, steps)).toEqual({ from: 0, to: 3, fresh: true, steps: [] })
    expect(planned).toEqual([])
    expect(await store.keys('')).toEqual([SCHEMA_KEY])
    expect(utf8Decode((await store.get(SCHEMA_KEY))!)).toBe('{"version":3}')
  })

  it('treats data without a version record as version 1', async () => {
    const store = await seeded(null, { 'old/a': bytes(1) })
    const report = await migrateStore(store, 2, [renameStep(1, 'old/', 'new/')])
    expect(report).toEqual({ from: 1, to: 2, fresh: false, steps: ['rename old/ to new/'] })
    expect(await snapshot(store)).toEqual({ [SCHEMA_KEY]: expect.any(String), 'new/a': '01' })
  })

  it('applies 1 → 2 → 3 in order, each step seeing the last, with progress', async () => {
    const store = await seeded(1, { 'old/a': bytes(1), 'old/b': bytes(2), keep: bytes(3) })
    const progress: [string, number, number][] = []
    const report = await migrateStore(store, 3, chain(), (step, done, total) => progress.push([step, done, total]))
    expect(report).toEqual({ from: 1, to: 3, fresh: false, steps: ['rename old/ to mid/', 'rename mid/ to new/'] })
    expect(progress).toEqual([
      ['rename old/ to mid/', 0, 2],
      ['rename old/ to mid/', 1, 2],
      ['rename mid/ to new/', 1, 2],
      ['rename mid/ to new/', 2, 2],
    ])
    expect(await readSchemaVersion(store)).toBe(3)
    expect(await store.keys('')).toEqual(['keep', SCHEMA_KEY, 'new/a', 'new/b'])
  })

  it('starts from the stored version, skipping steps already applied', async () => {
    const store = await seeded(2, { 'mid/a': bytes(1) })
    const report = await migrateStore(store, 3, chain())
    expect(report.steps).toEqual(['rename mid/ to new/'])
    expect(await store.keys('new/')).toEqual(['new/a'])
  })

  it('leaves version and data unchanged when a plan throws', async () => {
    const store = await seeded(1, { 'old/a': bytes(1) })
    const before = await snapshot(store)
    const failing: Migration = { from: 1, to: 2, describe: 'fails', plan: async () => Promise.reject(new Error('plan failed')) }
    expect(await rejectionOf(migrateStore(store, 2, [failing]))).toMatchObject({ message: 'plan failed' })
    expect(await snapshot(store)).toEqual(before)
  })

  it('keeps the last committed version when a batch is refused mid-migration, and resumes from it', async () => {
    const inner = await seeded(1, { 'old/a': bytes(1), 'old/b': bytes(2) })
    let batches = 0
    let failAt = 1
    const flaky: Store = {
      ...inner,
      batch: async (ops: readonly StoreOp[]) => {
        if (++batches === failAt) throw new Error('disk full')
        return inner.batch(ops)
      },
    }
    const before = await snapshot(inner)
    expect(await rejectionOf(migrateStore(flaky, 3, chain()))).toMatchObject({ message: 'disk full' })
    expect(await snapshot(inner)).toEqual(before)

    batches = 0
    failAt = 2
    expect(await rejectionOf(migrateStore(flaky, 3, chain()))).toMatchObject({ message: 'disk full' })
    expect(await readSchemaVersion(inner)).toBe(2)
    expect(await inner.keys('')).toEqual([SCHEMA_KEY, 'mid/a', 'mid/b'])

    const report = await migrateStore(inner, 3, chain())
    expect(report).toEqual({ from: 2, to: 3, fresh: false, steps: ['rename mid/ to new/'] })
    expect(await snapshot(inner)).toEqual({ [SCHEMA_KEY]: expect.any(String), 'new/a': '01', 'new/b': '02' })
  })

  it('refuses with MigrationGapError, untouched, when no chain reaches the current version', async () => {
    const store = await seeded(1, { 'old/a': bytes(1) })
    const before = await snapshot(store)
    const counted = countingStore(store)
    const err = await rejectionOf(migrateStore(counted.store, 3, [renameStep(2, 'mid/', 'new/')]))
    expect(err).toMatchObject({ name: 'MigrationGapError', stored: 1, supported: 3 })
    const unversioned = await seeded(null, { 'old/a': bytes(1) })
    expect(await rejectionOf(migrateStore(unversioned, 2, []))).toMatchObject({ name: 'MigrationGapError' })
    expect(counted.writes()).toBe(0)
    expect(await snapshot(store)).toEqual(before)
  })

  it('writes nothing when the store is already current', async () => {
    for (const current of [1, 3]) {
      const store = await seeded(current === 1 ? null : 3, { 'new/a': bytes(1) })
      const before = await snapshot(store)
      const counted = countingStore(store)
      const report = await migrateStore(counted.store, current, current === 1 ? [] : chain())
      expect(report).toEqual({ from: current, to: current, fresh: false, steps: [] })
      expect(counted.writes()).toBe(0)
      expect(await snapshot(store)).toEqual(before)
    }
  })

  it('refuses a corrupt version record with CorruptRecordError, untouched', async () => {
    for (const raw of ['not json', '{"version":0}', '{"version":"2"}', '{"version":2.5}', '{"v":1}', '[2]', 'null', '']) {
      const store = await seeded(null, { 'old/a': bytes(1) })
      await store.set(SCHEMA_KEY, utf8Encode(raw))
      const before = await snapshot(store)
      expect(await rejectionOf(readSchemaVersion(store))).toMatchObject({ name: 'CorruptRecordError' })
      expect(await rejectionOf(migrateStore(store, 3, chain()))).toMatchObject({ name: 'CorruptRecordError' })
      expect(await snapshot(store)).toEqual(before)
    }
  })

  it('reads a version record that carries extra fields', async () => {
    const store = await seeded(null, {})
    await store.set(SCHEMA_KEY, utf8Encode('{"version":2,"note":"later field"}'))
    expect(await readSchemaVersion(store)).toBe(2)
  })

  it('records the new version even when a plan writes the version key itself', async () => {
    const store = await seeded(1, { 'old/a': bytes(1) })
    const meddling: Migration = { from: 1, to: 2, describe: 'meddles', plan: async () => [{ type: 'delete', key: SCHEMA_KEY }] }
    await migrateStore(store, 2, [meddling])
    expect(await readSchemaVersion(store)).toBe(2)
  })

  it('refuses a malformed chain with InvalidMigrationError before touching the store', async () => {
    const step = (from: number, to: number): Migration => ({ from, to, describe: `${from}→${to}`, plan: async () => [] })
    const cases: [number, Migration[]][] = [
      [3, [step(1, 3)]],
      [3, [step(1, 2), step(1, 2), step(2, 3)]],
      [4, [step(1, 2), step(3, 4)]],
      [2, [step(1, 2), step(2, 3)]],
      [2, [step(0, 1), step(1, 2)]],
      [3, [step(1, 2)]],
      [0, []],
      [1.5, []],
    ]
    for (const [current, steps] of cases) {
      const store = await seeded(1, { 'old/a': bytes(1) })
      const counted = countingStore(store)
      expect(await rejectionOf(migrateStore(counted.store, current, steps))).toMatchObject({ name: 'InvalidMigrationError' })
      expect(counted.writes()).toBe(0)
    }
  })
})

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import type { Store, StoreOp } from '../../ports/store.ts'
import type { StoreHarness } from '../../ports/test/storeContract.ts'
import { SCHEMA_KEY, encodeSchemaVersion, migrateStore, readSchemaVersion } from '../schema.ts'
import type { Migration } from '../schema.ts'

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

/** Every key and its value (hex), for byte-for-byte before/after comparisons. */
export async function snapshot(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const key of await store.keys('')) out[key] = toHex((await store.get(key))!)
  return out
}

/** Forwards to `store` and counts the calls that could write. */
export function countingStore(store: Store): { readonly store: Store; writes(): number } {
  let writes = 0
  return {
    store: {
      get: (key) => store.get(key),
      keys: (prefix) => store.keys(prefix),
      set: (key, value) => (writes++, store.set(key, value)),
      delete: (key) => (writes++, store.delete(key)),
      batch: (ops) => (writes++, store.batch(ops)),
    },
    writes: () => writes,
  }
}

/** A step that moves every record under `from` to the same name under `to`. */
export function renameStep(version: number, fromPrefix: string, toPrefix: string): Migration {
  return {
    from: version,
    to: version + 1,
    describe: `rename ${fromPrefix} to ${toPrefix}`,
    async plan(store: Store): Promise<StoreOp[]> {
      const ops: StoreOp[] = []
      for (const key of await store.keys(fromPrefix)) {
        ops.push({ type: 'set', key: toPrefix + key.slice(fromPrefix.length), value: (await store.get(key))! })
        ops.push({ type: 'delete', key })
      }
      return ops
    },
  }
}

export async function rejectionOf(promise: Promise<unknown>): Promise<Error | 'resolved'> {
  try {
    await promise
  } catch (err) {
    return err as Error
  }
  return 'resolved'
}

/**
 * What every durable Store must give migrateStore: a newer schema is refused
 * with the medium untouched, and a step lands whole and survives reopening.
 */
export function schemaContract(name: string, setup: () => Promise<StoreHarness>): void {
  describe(`migrateStore on ${name}`, () => {
    let harness: StoreHarness

    beforeEach(async () => {
      harness = await setup()
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    it('refuses a newer schema before any write, leaving every key and value as they were', async () => {
      await harness.store.batch([
        { type: 'set', key: SCHEMA_KEY, value: encodeSchemaVersion(5) },
        { type: 'set', key: 'contact/a', value: bytes(1, 2) },
        { type: 'set', key: 'old/x', value: bytes(3) },
      ])
      const before = await snapshot(harness.store)
      const counted = countingStore(harness.store)
      const err = await rejectionOf(migrateStore(counted.store, 3, [renameStep(1, 'old/', 'new/'), renameStep(2, 'new/', 'newer/')]))
      expect(err).toMatchObject({ name: 'SchemaTooNewError', stored: 5, supported: 3 })
      expect((err as Error).message).toBe(
        'This data was written by a newer version of Sovereign (schema 5); this version understands up to 3. Update the app — nothing was changed.',
      )
      expect(counted.writes()).toBe(0)
      expect(await snapshot(harness.store)).toEqual(before)
      if (harness.reopen) expect(await snapshot(await harness.reopen())).toEqual(before)
    })

    it('migrates unversioned data 1 → 2 in one batch that survives reopening', async () => {
      await harness.store.set('contact/a', bytes(1))
      await harness.store.set('old/x', bytes(2))
      const report = await migrateStore(harness.store, 2, [renameStep(1, 'old/', 'new/')])
      expect(report).toEqual({ from: 1, to: 2, fresh: false, steps: ['rename old/ to new/'] })
      const store = harness.reopen ? await harness.reopen() : harness.store
      expect(await readSchemaVersion(store)).toBe(2)
      expect(await store.keys('')).toEqual(['contact/a', SCHEMA_KEY, 'new/x'])
      expect(await store.get('new/x')).toEqual(bytes(2))
    })
  })
}

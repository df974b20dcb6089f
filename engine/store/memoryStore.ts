import type { Store, StoreOp } from '../ports/store.ts'
import { createSortedKeySet } from './sortedKeySet.ts'
import { assertValidKey, assertValidPrefix, assertValidValue, copyBytes, validateOps } from './validation.ts'

/**
 * A Store held in memory, for tests, the simulator and hosts without durable
 * storage. Values are copied in and out so no caller can alias another's
 * bytes, as with a real medium. Every method does its work synchronously
 * before its promise settles, so operations take effect in call order.
 */
export function createMemoryStore(): Store {
  const values = new Map<string, Uint8Array>()
  const index = createSortedKeySet()

  function apply(op: StoreOp): void {
    if (op.type === 'set') {
      values.set(op.key, op.value)
      index.add(op.key)
    } else {
      values.delete(op.key)
      index.delete(op.key)
    }
  }

  return {
    async get(key: string): Promise<Uint8Array | undefined> {
      assertValidKey(key)
      const value = values.get(key)
      return value === undefined ? undefined : copyBytes(value)
    },
    async set(key: string, value: Uint8Array): Promise<void> {
      assertValidKey(key)
      assertValidValue(value)
      apply({ type: 'set', key, value: copyBytes(value) })
    },
    async delete(key: string): Promise<void> {
      assertValidKey(key)
      apply({ type: 'delete', key })
    },
    async keys(prefix: string): Promise<string[]> {
      assertValidPrefix(prefix)
      return index.withPrefix(prefix)
    },
    async batch(ops: readonly StoreOp[]): Promise<void> {
      // Validation throws before the first apply: all or nothing.
      for (const op of validateOps(ops)) apply(op)
    },
  }
}

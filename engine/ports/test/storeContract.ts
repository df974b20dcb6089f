import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store, StoreOp } from '../store.ts'

/**
 * The shared Store contract (STYLE.md: one suite per interface, run against
 * every implementation). `setup` gives a fresh, empty store per test;
 * `reopen`, when the implementation is durable, drops the handle and opens the
 * same data again.
 */
export interface StoreHarness {
  readonly store: Store
  readonly reopen?: () => Promise<Store>
  cleanup(): Promise<void>
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

async function rejectionName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    return (err as Error).name
  }
  return 'resolved'
}

export function storeContract(name: string, setup: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let harness: StoreHarness
    let store: Store

    beforeEach(async () => {
      harness = await setup()
      store = harness.store
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    it('gets undefined for a missing key', async () => {
      expect(await store.get('missing')).toBeUndefined()
    })

    it('sets, overwrites and deletes', async () => {
      await store.set('contact/a', bytes(1, 2, 3))
      expect(await store.get('contact/a')).toEqual(bytes(1, 2, 3))
      await store.set('contact/a', bytes(9))
      expect(await store.get('contact/a')).toEqual(bytes(9))
      await store.delete('contact/a')
      expect(await store.get('contact/a')).toBeUndefined()
      await store.delete('contact/a') // deleting a missing key is not an error
      expect(await store.keys('')).toEqual([])
    })

    it('round-trips empty and large values as plain Uint8Arrays', async () => {
      const large = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff)
      await store.set('empty', new Uint8Array(0))
      await store.set('large', large)
      const empty = await store.get('empty')
      expect(empty).toEqual(new Uint8Array(0))
      expect(Object.getPrototypeOf(empty)).toBe(Uint8Array.prototype)
      expect(await store.get('large')).toEqual(large)
    })

    it('copies values in and out', async () => {
      const input = bytes(1, 2, 3)
      await store.set('k', input)
      input[0] = 99
      const first = await store.get('k')
      expect(first).toEqual(bytes(1, 2, 3))
      first![1] = 99
      expect(await store.get('k')).toEqual(bytes(1, 2, 3))

      const backing = bytes(7, 8, 9, 10, 11)
      await store.batch([{ type: 'set', key: 'view', value: backing.subarray(1, 3) }])
      backing.fill(0)
      const view = await store.get('view')
      expect(view).toEqual(bytes(8, 9))
      expect(view!.byteLength).toBe(2)
    })

    it('lists keys by exact prefix in UTF-16 code unit order', async () => {
      const all = ['a/2', 'a/10', 'a/1', 'ab/1', 'a', 'b/1', 'x/\ufffd', 'x/\u{1f600}', 'p\uffff', 'p\uffff\uffff', 'p\uffff\uffffa', 'p\uffffz', 'q']
      for (const key of all) await store.set(key, bytes(1))
      expect(await store.keys('a/')).toEqual(['a/1', 'a/10', 'a/2'])
      expect(await store.keys('a')).toEqual(['a', 'a/1', 'a/10', 'a/2', 'ab/1'])
      // Code unit order puts the surrogate pair of U+1F600 (0xD83D…) before U+FFFD;
      // UTF-8 byte order would not.
      expect(await store.keys('x/')).toEqual(['x/\u{1f600}', 'x/\ufffd'])
      // A naive `prefix + '\uffff'` upper bound would miss 'p\uffff\uffffa'.
      expect(await store.keys('p\uffff')).toEqual(['p\uffff', 'p\uffffz', 'p\uffff\uffff', 'p\uffff\uffffa'])
      expect(await store.keys('')).toEqual([...all].sort())
      expect(await store.keys('nothing/')).toEqual([])
      await store.delete('a/10')
      expect(await store.keys('a/')).toEqual(['a/1', 'a/2'])
    })

    it('returns a fresh keys array', async () => {
      await store.set('k/1', bytes(1))
      const listed = await store.keys('k/')
      listed.push('k/2')
      expect(await store.keys('k/')).toEqual(['k/1'])
    })

    it('applies a batch of sets and deletes, later ops winning', async () => {
      await store.set('keep', bytes(1))
      await store.set('gone', bytes(2))
      await store.batch([
        { type: 'set', key: 'n/1', value: bytes(10) },
        { type: 'delete', key: 'gone' },
        { type: 'set', key: 'n/2', value: bytes(20) },
        { type: 'set', key: 'n/1', value: bytes(11) },
        { type: 'set', key: 'n/3', value: bytes(30) },
        { type: 'delete', key: 'n/3' },
      ])
      expect(await store.get('n/1')).toEqual(bytes(11))
      expect(await store.get('n/2')).toEqual(bytes(20))
      expect(await store.get('gone')).toBeUndefined()
      expect(await store.keys('')).toEqual(['keep', 'n/1', 'n/2'])
      await store.batch([])
      expect(await store.keys('')).toEqual(['keep', 'n/1', 'n/2'])
    })

    it('applies nothing from a batch that holds an invalid op', async () => {
      await store.set('a', bytes(1))
      const invalid: { ops: unknown[]; error: string }[] = [
        { ops: [{ type: 'set', key: 'b', value: [2] }], error: 'InvalidStoreValueError' },
        { ops: [{ type: 'set', key: 'b', value: 'bytes' }], error: 'InvalidStoreValueError' },
        { ops: [{ type: 'put', key: 'b', value: bytes(2) }], error: 'InvalidStoreOpError' },
        { ops: [null], error: 'InvalidStoreOpError' },
        { ops: [{ type: 'delete', key: '' }], error: 'InvalidStoreKeyError' },
        { ops: [{ type: 'set', key: 'bad\ud800', value: bytes(2) }], error: 'InvalidStoreKeyError' },
        { ops: [{ type: 'set', key: 7, value: bytes(2) }], error: 'InvalidStoreKeyError' },
      ]
      for (const { ops, error } of invalid) {
        const batch = [
          { type: 'set', key: 'a', value: bytes(100) },
          { type: 'delete', key: 'a' },
          { type: 'set', key: 'c', value: bytes(3) },
          ...ops,
        ] as StoreOp[]
        expect(await rejectionName(store.batch(batch))).toBe(error)
      }
      expect(await store.get('a')).toEqual(bytes(1))
      expect(await store.keys('')).toEqual(['a'])
    })

    it('rejects invalid keys and values on single operations', async () => {
      expect(await rejectionName(store.set('', bytes(1)))).toBe('InvalidStoreKeyError')
      expect(await rejectionName(store.set('x'.repeat(1025), bytes(1)))).toBe('InvalidStoreKeyError')
      expect(await rejectionName(store.get('\udc00'))).toBe('InvalidStoreKeyError')
      expect(await rejectionName(store.set('k', [1] as unknown as Uint8Array))).toBe('InvalidStoreValueError')
      expect(await rejectionName(store.keys(undefined as unknown as string))).toBe('InvalidStoreKeyError')
      await store.set('x'.repeat(1024), bytes(1))
      expect(await store.keys('')).toEqual(['x'.repeat(1024)])
    })

    it('takes effect in call order', async () => {
      const writes = [store.set('k', bytes(1)), store.set('k', bytes(2)), store.delete('j'), store.set('j', bytes(3))]
      const read = store.get('k')
      const listed = store.keys('')
      await Promise.all(writes)
      expect(await read).toEqual(bytes(2))
      expect(await listed).toEqual(['j', 'k'])
    })

    it('persists across reopen when durable', async (ctx) => {
      if (!harness.reopen) ctx.skip()
      await store.set('m/1', bytes(1))
      await store.set('m/2', bytes(2))
      await store.delete('m/2')
      await store.batch([
        { type: 'set', key: 'm/3', value: bytes(3) },
        { type: 'set', key: 'm/0', value: new Uint8Array(0) },
      ])
      const reopened = await harness.reopen!()
      expect(await reopened.keys('m/')).toEqual(['m/0', 'm/1', 'm/3'])
      expect(await reopened.get('m/1')).toEqual(bytes(1))
      expect(await reopened.get('m/0')).toEqual(new Uint8Array(0))
      expect(await reopened.get('m/2')).toBeUndefined()
    })
  })
}

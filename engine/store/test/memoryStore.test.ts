import { describe, expect, it } from 'vitest'
import { storeContract } from '../../ports/test/storeContract.ts'
import { createMemoryStore } from '../memoryStore.ts'

storeContract('memory', async () => ({ store: createMemoryStore(), cleanup: async () => {} }))

describe('createMemoryStore', () => {
  it('keeps separate stores apart', async () => {
    const a = createMemoryStore()
    const b = createMemoryStore()
    await a.set('k', Uint8Array.of(1))
    expect(await b.get('k')).toBeUndefined()
  })
})

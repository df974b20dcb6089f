/** The outbox's per-destination limit, and history read a page at a time across buckets. */
import { describe, expect, it } from 'vitest'
import type { Store, StoreOp } from '../../ports/index.ts'
import { createMessenger } from '../messenger.ts'
import { HISTORY_BUCKET_SIZE } from '../records.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { decodeEnvelope } from '../../wire/index.ts'
import { crypto, deliverWithEffects, deliver, dump, fakeClock, pair } from './harness.ts'

describe('outbox limit', () => {
  it('refuses the message that would overfill a destination, storing nothing, and frees room on delivery', async () => {
    const clock = fakeClock()
    const { alice, bob } = await pair(clock)
    const limited = createMessenger({ crypto, random: seededRandom('limited'), clock, store: alice.store, outboxLimit: 5 })
    await limited.load()
    const first = await limited.composeBatch(bob.id, ['1', '2', '3', '4'])
    const before = await dump(alice.store)
    await expect(limited.composeBatch(bob.id, ['5', '6'])).rejects.toMatchObject({ name: 'OutboxFullError', limit: 5 })
    await expect(limited.composeBatch(bob.id, ['5', '6'])).rejects.toThrow(/5 messages are already waiting/)
    expect(await dump(alice.store)).toEqual(before)
    await limited.compose(bob.id, '5')
    await expect(limited.compose(bob.id, '6')).rejects.toMatchObject({ name: 'OutboxFullError' })
    // Bob's receipt for the first four frees their places.
    const receipt = (await deliverWithEffects(first.outgoing[0]!, bob)).replies[0]!
    await limited.receive(decodeEnvelope(receipt.bytes))
    await limited.compose(bob.id, '6')
    // The count survives a restart: it is rebuilt from the stored outbox.
    const again = createMessenger({ crypto, random: seededRandom('again'), clock, store: alice.store, outboxLimit: 5 })
    await again.load()
    await again.composeBatch(bob.id, ['7', '8', '9'])
    await expect(again.compose(bob.id, '10')).rejects.toMatchObject({ name: 'OutboxFullError' })
  })
})

/** Counts the keys each `keys()` call returns, to show a page never lists the whole conversation. */
function counting(store: Store): Store & { listed: number[] } {
  const listed: number[] = []
  return {
    listed,
    get: (k) => store.get(k),
    set: (k, v) => store.set(k, v),
    delete: (k) => store.delete(k),
    batch: (ops: readonly StoreOp[]) => store.batch(ops),
    keys: async (p) => {
      const found = await store.keys(p)
      listed.push(found.length)
      return found
    },
  }
}

describe('history pages', () => {
  it('reads across bucket boundaries, newest page first, listing at most a bucket at a time', async () => {
    const clock = fakeClock()
    const { alice, bob } = await pair(clock)
    const total = HISTORY_BUCKET_SIZE * 2 + 10
    for (let i = 0; i < total; i += 100) {
      clock.t += 1000
      const texts = Array.from({ length: Math.min(100, total - i) }, (_, j) => `m${i + j}`)
      for (const o of (await bob.m.composeBatch(alice.id, texts)).outgoing) await deliver(o, alice)
    }
    const store = counting(alice.store)
    const reader = createMessenger({ crypto, random: seededRandom('reader'), clock, store })
    await reader.load()
    store.listed.length = 0
    const newest = await reader.history(bob.id, { limit: 50 })
    expect(newest.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `m${total - 50 + i}`))
    expect(Math.max(...store.listed)).toBeLessThanOrEqual(HISTORY_BUCKET_SIZE)
    // Walk back page by page to the start: every message once, in order.
    const seen: string[] = newest.map((m) => m.text)
    let before = newest[0]!.seq
    for (;;) {
      const page = await reader.history(bob.id, { before, limit: 100 })
      if (page.length === 0) break
      seen.unshift(...page.map((m) => m.text))
      before = page[0]!.seq
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => `m${i}`))
    expect(Math.max(...store.listed)).toBeLessThanOrEqual(HISTORY_BUCKET_SIZE)
    // Marking read looks only at what arrived since the last time.
    expect((await reader.markRead(bob.id)).events).toHaveLength(total)
    store.listed.length = 0
    expect((await reader.markRead(bob.id)).events).toEqual([])
    expect(store.listed).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { MAX_BATCH, createEventBatcher } from '../eventBatcher.ts'

function manualScheduler() {
  const queued: (() => void)[] = []
  return { schedule: (fn: () => void) => void queued.push(fn), run: () => queued.splice(0).forEach((fn) => fn()) }
}

describe('eventBatcher', () => {
  it('delivers events pushed in one tick as one batch', () => {
    const tick = manualScheduler()
    const batcher = createEventBatcher<number>(tick.schedule)
    const batches: number[][] = []
    batcher.subscribe((b) => batches.push(b))
    batcher.push(1)
    batcher.push(2, 3)
    expect(batches).toEqual([])
    tick.run()
    expect(batches).toEqual([[1, 2, 3]])
  })

  it(`flushes at once when ${MAX_BATCH} events are pending, in order, in chunks of at most ${MAX_BATCH}`, () => {
    const tick = manualScheduler()
    const batcher = createEventBatcher<number>(tick.schedule)
    const batches: number[][] = []
    batcher.subscribe((b) => batches.push(b))
    batcher.push(...Array.from({ length: MAX_BATCH * 2 + 5 }, (_, i) => i))
    expect(batches.map((b) => b.length)).toEqual([MAX_BATCH, MAX_BATCH, 5])
    expect(batches.flat()).toEqual(Array.from({ length: MAX_BATCH * 2 + 5 }, (_, i) => i))
  })

  it('keeps serving other listeners when one throws, and stops after unsubscribe', () => {
    const tick = manualScheduler()
    const batcher = createEventBatcher<string>(tick.schedule)
    const got: string[] = []
    batcher.subscribe(() => {
      throw new Error('page closed')
    })
    const id = batcher.subscribe((b) => got.push(...b))
    batcher.push('a')
    tick.run()
    batcher.unsubscribe(id)
    batcher.push('b')
    tick.run()
    expect(got).toEqual(['a'])
  })
})

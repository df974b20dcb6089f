/**
 * Smoke test of the custody-store bench in --quick mode: every store it measures
 * gives back, after the restart, every envelope it held. Nothing about speed.
 */
import { describe, expect, it } from 'vitest'
import { runCustodyStore } from '../scenarios/custodyStore.ts'

describe('custody-store bench (--quick)', () => {
  it('holds and restores every envelope in each store', async () => {
    const result = await runCustodyStore({ quick: true })
    expect(result.name).toBe('custody-store')
    const stores = result.raw.cells.map((c) => c.store)
    expect(stores).toEqual(expect.arrayContaining(['mailbox alone', 'node:sqlite']))
    for (const c of result.raw.cells) {
      expect(c.held).toBe(2_000)
      if (c.store !== 'mailbox alone') expect(c.restored).toBe(c.held)
    }
    for (const m of result.metrics) expect(Number.isFinite(m.value) && m.value > 0).toBe(true)
  })
})

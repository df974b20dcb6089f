/**
 * The relay pool (issue 11): links to other relays dialed on demand are bounded, closed
 * when idle, given up when the expected identity never answers, and only ever made to
 * what a relay address can be.
 */
import { describe, expect, it } from 'vitest'
import { createRelayPool } from '../relayPool.ts'
import type { RelayPoolInit } from '../relayPool.ts'

const hint = (n: number) => ({ id: n.toString(16).padStart(64, '0'), address: `ws://127.0.0.1:${9000 + n}/link` })

function pool(extra: Partial<RelayPoolInit> = {}) {
  const calls: string[] = []
  const open = new Set<string>()
  const gaveUp: string[] = []
  const p = createRelayPool({
    connect: (address) => void calls.push(`connect ${address}`),
    disconnect: (address) => void calls.push(`disconnect ${address}`),
    linked: (id) => open.has(id),
    kept: () => false,
    maxLinks: 2,
    idleMs: 60_000,
    dialTimeoutMs: 10_000,
    onGaveUp: (id) => void gaveUp.push(id),
    ...extra,
  })
  return { p, calls, open, gaveUp }
}

describe('relay pool', () => {
  it('dials each relay once, and none that is linked already or kept by choice', () => {
    const { p, calls, open } = pool({ kept: (address) => address === hint(3).address })
    open.add(hint(2).id)
    p.ensure([hint(1), hint(2), hint(3)], 0)
    p.ensure([hint(1)], 1)
    expect(calls).toEqual([`connect ${hint(1).address}`])
    expect(p.stats()).toMatchObject({ links: 1, dialed: 1 })
  })

  it('never dials what is not a relay address (records are signed by anyone)', () => {
    const { p, calls } = pool()
    p.ensure([{ id: hint(1).id, address: 'http://127.0.0.1/x' }, { id: hint(2).id, address: 'ws://' }], 0)
    expect(calls).toEqual([])
  })

  it("dials nothing the host's rule forbids (a relay: not into its own private network), and counts it", () => {
    const { p, calls } = pool({ allowed: (address) => !address.includes(':9001') })
    p.ensure([hint(1), hint(2)], 0)
    expect(calls).toEqual([`connect ${hint(2).address}`])
    expect(p.stats()).toMatchObject({ dialed: 1, refused: 1 })
  })

  it('keeps at most maxLinks: the least recently used goes first', () => {
    const { p, calls, open } = pool()
    p.ensure([hint(1)], 0)
    p.ensure([hint(2)], 1)
    open.add(hint(1).id)
    open.add(hint(2).id)
    p.used(hint(1).id, 2)
    p.ensure([hint(3)], 3)
    expect(calls.slice(2)).toEqual([`disconnect ${hint(2).address}`, `connect ${hint(3).address}`])
    expect(p.stats()).toMatchObject({ links: 2, evicted: 1 })
  })

  it('gives up a dial whose relay never proved its identity, and says so', () => {
    const { p, calls, gaveUp } = pool()
    p.ensure([hint(1)], 0)
    p.tick(9_999)
    expect(gaveUp).toEqual([])
    p.tick(10_000)
    expect(gaveUp).toEqual([hint(1).id])
    expect(calls.at(-1)).toBe(`disconnect ${hint(1).address}`)
    expect(p.stats()).toMatchObject({ links: 0, gaveUp: 1 })
  })

  it('closes a link unused for idleMs, and keeps one in use', () => {
    const { p, calls, open } = pool()
    p.ensure([hint(1), hint(2)], 0)
    open.add(hint(1).id)
    open.add(hint(2).id)
    p.used(hint(2).id, 50_000)
    p.tick(60_000)
    expect(calls.at(-1)).toBe(`disconnect ${hint(1).address}`)
    expect(p.stats()).toMatchObject({ links: 1, closedIdle: 1 })
  })
})

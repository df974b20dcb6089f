import { describe, expect, it } from 'vitest'
import { createMailbox } from '../mailbox.ts'
import type { HeldEnvelope } from '../mailbox.ts'

const held = (n: number, expiresAt = 1000, id = `m${n}`): HeldEnvelope => ({ id, bytes: Uint8Array.of(n), expiresAt, localId: null, from: null })

describe('mailbox', () => {
  it('holds per destination, in order, and take() empties that destination only', () => {
    const box = createMailbox(10)
    box.hold('a', held(1))
    box.hold('b', held(2))
    box.hold('a', held(3))
    expect(box.size).toBe(3)
    expect(box.destinations().sort()).toEqual(['a', 'b'])
    expect(box.take('a', 0).map((e) => e.bytes[0])).toEqual([1, 3])
    expect(box.size).toBe(1)
    expect(box.destinations()).toEqual(['b'])
    expect(box.take('a', 0)).toEqual([])
    expect(box.take('nobody', 0)).toEqual([])
  })

  it('enforces the per-destination quota without touching other destinations', () => {
    const box = createMailbox(2)
    expect([1, 2, 3].map((n) => box.hold('a', held(n)))).toEqual(['held', 'held', 'full'])
    expect(box.hold('b', held(4))).toBe('held')
    expect(box.size).toBe(3)
    expect(box.take('a', 0).map((e) => e.bytes[0])).toEqual([1, 2])
    expect(box.hold('a', held(5))).toBe('held') // room again after take()
  })

  it('take() drops what expired (still live at its expiry instant) and accounts for it in size', () => {
    const box = createMailbox(10)
    box.hold('a', held(1, 100))
    box.hold('a', held(2, 200))
    box.hold('a', held(3, 150))
    expect(box.take('a', 150).map((e) => e.bytes[0])).toEqual([2, 3])
    expect(box.size).toBe(0)
    expect(box.destinations()).toEqual([])
  })

  it('keeps one copy per id: a retry replaces the held copy in place, even when the quota is full', () => {
    const box = createMailbox(2)
    box.hold('a', held(1, 1000, 'x'))
    box.hold('a', held(2, 1000, 'y'))
    expect(box.has('a', 'x')).toBe(true)
    expect(box.has('b', 'x')).toBe(false)
    expect(box.hold('a', { ...held(9, 1000, 'x'), localId: null, from: 'peer' })).toBe('replaced')
    expect(box.hold('b', held(3, 1000, 'x'))).toBe('held') // same id, other destination: its own copy
    expect(box.size).toBe(3)
    const taken = box.take('a', 0)
    expect(taken.map((e) => e.bytes[0])).toEqual([9, 2]) // the newest bytes, in the first copy's place
    expect(taken[0]!.from).toBe('peer')
  })

  it('a replacement keeps the local id of a copy this node originated', () => {
    const box = createMailbox(10)
    box.hold('a', { ...held(1, 1000, 'x'), localId: 'x' })
    box.hold('a', { ...held(2, 1000, 'x'), from: 'peer' })
    expect(box.take('a', 0)[0]).toMatchObject({ bytes: Uint8Array.of(2), localId: 'x', from: 'peer' })
  })
})

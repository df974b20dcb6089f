/**
 * Custody mirrored to a journal (issue 10: held mail survives a restart): every
 * hold, replacement, take and eviction reaches the journal, and a mailbox
 * restored from it is the mailbox that wrote it, under today's budgets.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createMemoryJournal } from '../custodyJournal.ts'
import type { CustodyJournal, JournalRecord } from '../custodyJournal.ts'
import { createMailbox } from '../mailbox.ts'
import type { EvictionReason, HeldEnvelope, Mailbox, MailboxInit } from '../mailbox.ts'
import { custodyJournalContract } from './custodyJournalContract.ts'

const T = 1_700_000_000_000
const mail = (n: number, m: { size?: number; from?: string | null; expiresAt?: number } = {}): HeldEnvelope => ({
  id: `m${n}`,
  bytes: new Uint8Array(m.size ?? 1).fill(n),
  expiresAt: m.expiresAt ?? T + 1000,
  localId: null,
  from: m.from === undefined ? null : m.from,
})
const box = (journal: CustodyJournal, init: MailboxInit = {}): Mailbox => createMailbox({ overheadBytes: 0, journal, ...init })
const ids = (records: Iterable<JournalRecord>): string[] => [...records].map((r) => `${r.destination}/${r.envelope.id}`)

describe('memory custody journal', () => {
  custodyJournalContract({
    open: () => createMemoryJournal(),
    crash: (j) => createMemoryJournal(j.load()),
    reopen: (j) => (j.close(), createMemoryJournal(j.load())),
  })
})

describe('mailbox with a journal', () => {
  it('mirrors holds, replacements, takes, room evictions and expiry', () => {
    const journal = createMemoryJournal()
    const b = box(journal, { totalBytes: 4 })
    b.hold('a', mail(1), T)
    b.hold('b', mail(2, { expiresAt: T + 10 }), T)
    b.hold('a', mail(3), T)
    b.hold('a', { ...mail(1, { size: 2 }) }, T) // a retry replaces m1 in place
    expect(ids(journal.current())).toEqual(['a/m1', 'b/m2', 'a/m3'])
    expect(journal.current()[0]!.envelope.bytes.length).toBe(2)
    b.hold('c', mail(4), T) // total 5 > 4: the oldest (a/m1, 2 bytes) is evicted for room
    expect(ids(journal.current())).toEqual(['b/m2', 'a/m3', 'c/m4'])
    expect(b.take('a', T).map((e) => e.id)).toEqual(['m3'])
    expect(b.prune(T + 11)).toBe(1) // b/m2 expired
    expect(ids(journal.current())).toEqual(['c/m4'])
    // Nothing reaches the "disk" before a flush.
    expect(ids(journal.load())).toEqual([])
    journal.flush()
    expect(ids(journal.load())).toEqual(['c/m4'])
  })

  it('does not touch the journal when it refuses', () => {
    const journal = createMemoryJournal()
    const b = box(journal, { perDestinationCount: 1 })
    b.hold('a', mail(1), T)
    expect(b.hold('a', mail(2), T)).toEqual({ type: 'refused', reason: 'destination-full' })
    expect(journal.pending).toBe(1)
  })

  it('restores in first-held order, drops expired mail (counted) and re-applies lowered budgets', () => {
    const journal = createMemoryJournal()
    const before = box(journal)
    before.hold('a', mail(1, { from: 'p' }), T)
    before.hold('b', mail(2, { expiresAt: T + 100 }), T) // expires while the relay is down
    before.hold('a', mail(3, { from: 'p' }), T)
    before.hold('a', mail(4), T)
    before.hold('c', mail(5, { size: 3 }), T)
    journal.close()

    const evicted: [string, string, EvictionReason][] = []
    const after = createMemoryJournal(journal.load())
    const b = box(after, {
      perDestinationCount: 2, // a/m4 no longer fits
      totalBytes: 4, // 5 bytes would be live: a/m1 (the oldest) goes for room
      maxHoldMs: 500, // every expiry clamps to now + 500
      onEvict: (d, e, r) => void evicted.push([d, e.id, r]),
    })
    expect(b.restore(T + 200)).toEqual({ restored: 2, expired: 1, refused: 1 })
    expect(evicted).toEqual([
      ['b', 'm2', 'expired'],
      ['a', 'm1', 'evicted-for-room'],
    ])
    expect(b.stats()).toMatchObject({ envelopes: 2, bytes: 4, held: 4, refused: { 'destination-full': 1 }, evicted: { expired: 1, 'evicted-for-room': 1 } })
    expect(ids(after.current())).toEqual(['a/m3', 'c/m5'])
    expect(after.current().map((r) => r.envelope.expiresAt)).toEqual([T + 700, T + 700])
    // Still oldest first after the restart: a/m3 goes before c/m5.
    b.hold('d', mail(6), T + 200)
    expect(ids(after.current())).toEqual(['c/m5', 'd/m6'])
    expect(() => b.restore(T + 200)).toThrow(/once/)
  })

  it('a restored mailbox takes and evicts exactly as the one that wrote the journal (property)', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('hold' as const), d: fc.integer({ min: 0, max: 3 }), n: fc.integer({ min: 0, max: 12 }), size: fc.integer({ min: 1, max: 4 }), ttl: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ t: fc.constant('take' as const), d: fc.integer({ min: 0, max: 3 }), odd: fc.boolean() }),
      fc.record({ t: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ t: fc.constant('flush' as const) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const journal = createMemoryJournal()
        const limits = { totalBytes: 12, perDestinationCount: 3 }
        const original = box(journal, limits)
        let now = T
        for (const o of ops) {
          if (o.t === 'hold') original.hold(`d${o.d}`, mail(o.n, { size: o.size, expiresAt: now + o.ttl }), now)
          else if (o.t === 'take') original.take(`d${o.d}`, now, (e) => o.odd === (e.bytes[0]! % 2 === 1))
          else if (o.t === 'tick') now += o.dt
          else journal.flush()
        }
        journal.flush()
        const restored = box(createMemoryJournal(journal.load()), limits)
        restored.restore(now)
        original.prune(now)
        expect(restored.size).toBe(original.size)
        // The same oldest-first victims: a big hold pushes out the same envelopes from both.
        original.hold('z', mail(99, { size: 9 }), now)
        restored.hold('z', mail(99, { size: 9 }), now)
        for (const d of ['d0', 'd1', 'd2', 'd3', 'z']) {
          expect(restored.take(d, now).map((e) => [e.id, e.bytes.length, e.expiresAt])).toEqual(
            original.take(d, now).map((e) => [e.id, e.bytes.length, e.expiresAt]),
          )
        }
      }),
      { numRuns: 200 },
    )
  })
})

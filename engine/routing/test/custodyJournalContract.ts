/**
 * The contract every CustodyJournal keeps, run against each implementation (the
 * in-memory one here, node:sqlite in native/node/test): records round-trip
 * exactly, in first-held order, a replacement keeps its place, and what a crash
 * leaves is exactly what was flushed.
 */
import { expect, it } from 'vitest'
import type { CustodyJournal, JournalRecord } from '../custodyJournal.ts'
import type { HeldEnvelope } from '../mailbox.ts'

export interface JournalHarness {
  /** A fresh, empty journal. */
  open(): CustodyJournal
  /** A new journal on what `journal` left, as after a crash: it is not closed first. */
  crash(journal: CustodyJournal): CustodyJournal
  /** Closes `journal` and opens it again. */
  reopen(journal: CustodyJournal): CustodyJournal
}

const held = (id: string, fill: number, m: Partial<HeldEnvelope> = {}): HeldEnvelope => ({
  id,
  bytes: new Uint8Array(m.bytes?.length ?? 3).fill(fill),
  expiresAt: m.expiresAt ?? 1_700_000_000_000,
  localId: m.localId ?? null,
  from: m.from === undefined ? 'f1' : m.from,
})
const summary = (records: Iterable<JournalRecord>): string[] =>
  [...records].map((r) => `${r.destination}/${r.envelope.id}:${r.envelope.bytes[0]}`)

export function custodyJournalContract(harness: JournalHarness): void {
  it('round-trips every field exactly', () => {
    const j = harness.open()
    const a = held('01ab', 7, { bytes: new Uint8Array(1_000), expiresAt: 2 ** 47 + 3, localId: '01ab', from: null })
    const b = held('02cd', 9, { localId: null, from: 'ee'.repeat(32) })
    j.put('d1', a)
    j.put('d2', b)
    const back = [...harness.reopen(j).load()]
    expect(back.map((r) => r.destination)).toEqual(['d1', 'd2'])
    expect(back[0]!.envelope).toEqual(a)
    expect(back[1]!.envelope).toEqual(b)
    expect(back[0]!.envelope.bytes).toBeInstanceOf(Uint8Array)
  })

  it('keeps first-held order: a replacement keeps its place, a removed and re-held record goes last', () => {
    let j = harness.open()
    j.put('a', held('1', 1))
    j.put('b', held('2', 2))
    j.put('a', held('3', 3))
    j.flush()
    j.put('a', held('1', 11)) // a retry replaces the held copy
    j.remove('b', '2')
    j.put('c', held('4', 4))
    j.remove('a', '3')
    j.put('a', held('3', 33)) // taken, then held again
    j.flush()
    expect(summary(j.load())).toEqual(['a/1:11', 'c/4:4', 'a/3:33'])
    j = harness.reopen(j)
    expect(summary(j.load())).toEqual(['a/1:11', 'c/4:4', 'a/3:33'])
    j.close()
  })

  it('after a crash holds exactly what was flushed', () => {
    const j = harness.open()
    j.put('a', held('1', 1))
    j.put('a', held('2', 2))
    j.flush()
    j.put('a', held('3', 3))
    j.remove('a', '1')
    const after = harness.crash(j)
    expect(summary(after.load())).toEqual(['a/1:1', 'a/2:2'])
    after.close()
  })

  it('the same id for two destinations is two records', () => {
    const j = harness.open()
    j.put('a', held('1', 1))
    j.put('b', held('1', 2))
    j.remove('a', '1')
    expect(summary(harness.reopen(j).load())).toEqual(['b/1:2'])
  })
}

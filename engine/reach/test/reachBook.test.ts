import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import type { Identity } from '../../identity/identity.ts'
import { flipBit } from '../../wire/test/arbitraries.ts'
import { createReachBook } from '../reachBook.ts'
import type { ReachBook } from '../reachBook.ts'
import { MAX_REACH_LIFETIME_MS, signReachRecord } from '../reachRecord.ts'
import { alice, countingCrypto, crypto, DAY, identityOf, MINUTE, relay1, relay2, relay3, relayAt, T0 } from './reachKit.ts'

const hex = (identity: Identity): string => toHex(identity.signingKey.publicKey)
const home1 = [relayAt(relay1, 'wss://one.example.org')]
const home2 = [relayAt(relay2, 'wss://two.example.org'), relayAt(relay3, 'wss://three.example.org')]

/** A record of `who` at `seqno`, issued at T0, expiring `lifetime` later. */
function record(who: Identity, seqno: number, lifetime = DAY, relays = home1): Uint8Array {
  return signReachRecord(crypto, who, { seqno, issuedAt: T0, expiresAt: T0 + lifetime, relays })
}

describe('reach book', () => {
  it('keeps the newest record per identity and says which relays it names', () => {
    const book = createReachBook({ crypto })
    const first = record(alice, 1)
    expect(book.put(first, T0)).toMatchObject({ status: 'accepted', replacedSeqno: null, evicted: null })
    expect(book.namesRelay(hex(alice), hex(relay1), T0)).toBe(true)
    expect(book.namesRelay(hex(alice), hex(relay2), T0)).toBe(false)
    expect(book.namesRelay(hex(relay1), hex(relay1), T0)).toBe(false) // nobody registered as relay1
    const moved = record(alice, 2, DAY, home2)
    expect(book.put(moved, T0)).toMatchObject({ status: 'accepted', replacedSeqno: 1 })
    expect(book.namesRelay(hex(alice), hex(relay1), T0)).toBe(false) // moved away: no more custody there
    expect(book.namesRelay(hex(alice), hex(relay3), T0)).toBe(true)
    expect(book.get(hex(alice), T0)?.record.seqno).toBe(2)
    expect(book.get(hex(alice), T0)?.bytes).toEqual(moved)
    expect(book.size).toBe(1)
  })

  it('answers replays without verifying them: unchanged, stale, equal seqno', () => {
    const counting = countingCrypto()
    const book = createReachBook({ crypto: counting })
    const two = record(alice, 2)
    book.put(two, T0)
    expect(counting.verifications).toBe(1)
    expect(book.put(two.slice(), T0)).toEqual({ status: 'unchanged', seqno: 2 })
    expect(book.put(record(alice, 1), T0)).toEqual({ status: 'stale', heldSeqno: 2 })
    // Same seqno, other content (another device of the same user): the copy held first stays.
    expect(book.put(record(alice, 2, DAY, home2), T0)).toEqual({ status: 'stale', heldSeqno: 2 })
    expect(counting.verifications).toBe(1)
    expect(book.get(hex(alice), T0)?.bytes).toEqual(two)
  })

  it('keeps a private copy of the bytes', () => {
    const book = createReachBook({ crypto })
    const bytes = record(alice, 1)
    book.put(bytes, T0)
    bytes.fill(0)
    expect(book.get(hex(alice), T0)?.record.seqno).toBe(1)
    expect(book.get(hex(alice), T0)?.bytes[0]).toBe(1)
  })

  it('refuses invalid records with the reason, and keeps what it held', () => {
    const book = createReachBook({ crypto })
    const held = record(alice, 1)
    book.put(held, T0)
    const newer = record(alice, 5)
    expect(book.put(Uint8Array.of(1, 2, 3), T0)).toEqual({ status: 'invalid', reason: 'malformed' })
    expect(book.put(Uint8Array.of(9, ...newer.subarray(1)), T0)).toEqual({ status: 'invalid', reason: 'unsupported-version' })
    expect(book.put(flipBit(newer, (newer.length - 1) * 8), T0)).toEqual({ status: 'invalid', reason: 'bad-signature' })
    expect(book.put(newer, T0 + DAY)).toEqual({ status: 'invalid', reason: 'expired' })
    expect(book.put(newer, T0 - 5 * MINUTE - 1)).toEqual({ status: 'invalid', reason: 'from-future' })
    expect(book.get(hex(alice), T0)?.bytes).toEqual(held)
    const ahead = createReachBook({ crypto, maxAheadMs: 0 })
    expect(ahead.put(newer, T0 - 1)).toEqual({ status: 'invalid', reason: 'from-future' })
    expect(ahead.put(newer, T0)).toMatchObject({ status: 'accepted' })
  })

  it('drops expired records when touched and on prune, and not a millisecond early', () => {
    const book = createReachBook({ crypto })
    book.put(record(alice, 1, DAY), T0)
    book.put(record(relay1, 1, 2 * DAY), T0)
    book.put(record(relay2, 1, 3 * DAY), T0)
    expect(book.namesRelay(hex(alice), hex(relay1), T0 + DAY - 1)).toBe(true)
    expect(book.size).toBe(3)
    expect(book.namesRelay(hex(alice), hex(relay1), T0 + DAY)).toBe(false)
    expect(book.size).toBe(2) // dropped lazily
    expect(book.get(hex(relay1), T0 + 2 * DAY)).toBeUndefined()
    expect(book.size).toBe(1)
    expect(book.prune(T0 + 3 * DAY - 1)).toBe(0)
    expect(book.prune(T0 + 3 * DAY)).toBe(1)
    expect(book.size).toBe(0)
  })

  it('after the held record expired, takes any current one (why issuers never shorten an expiry)', () => {
    const book = createReachBook({ crypto })
    book.put(record(alice, 2, DAY), T0)
    expect(book.put(record(alice, 1, 2 * DAY), T0 + DAY)).toMatchObject({ status: 'accepted', replacedSeqno: null })
  })

  it('when full, evicts the record closest to expiry, and refuses a newcomer that would be it', () => {
    const counting = countingCrypto()
    const book = createReachBook({ crypto: counting, maxEntries: 3 })
    const [a, b, c, d] = ['book-a', 'book-b', 'book-c', 'book-d'].map((name) => identityOf(name)) as [Identity, Identity, Identity, Identity]
    book.put(record(a, 1, 3 * DAY), T0)
    book.put(record(b, 1, 2 * DAY), T0)
    book.put(record(c, 1, 4 * DAY), T0)
    const verified = counting.verifications
    // Expiring with b or before it: it would be the first evicted, so it is not let in, unverified.
    expect(book.put(record(d, 1, 2 * DAY), T0)).toEqual({ status: 'full' })
    expect(book.put(record(d, 1, DAY), T0)).toEqual({ status: 'full' })
    expect(counting.verifications).toBe(verified)
    // An update of a held identity never evicts.
    expect(book.put(record(a, 2, DAY), T0)).toMatchObject({ status: 'accepted', evicted: null })
    expect(book.put(record(d, 1, 2 * DAY + 1), T0)).toMatchObject({ status: 'accepted', evicted: hex(a) })
    expect(book.get(hex(a), T0)).toBeUndefined()
    expect(book.put(record(a, 3, MAX_REACH_LIFETIME_MS), T0)).toMatchObject({ status: 'accepted', evicted: hex(b) })
    expect(book.size).toBe(3)
    // An expired record makes room before anything current is evicted.
    expect(book.put(record(b, 2, 5 * DAY), T0 + 2 * DAY + 1)).toMatchObject({ status: 'accepted', evicted: null })
    expect([a, b, c, d].map((who) => book.get(hex(who), T0 + 2 * DAY + 1) !== undefined)).toEqual([true, true, true, false])
  })

  it('refuses a bound that is not a positive integer', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) expect(() => createReachBook({ crypto, maxEntries })).toThrow(RangeError)
  })

  it('holds, for every identity, the highest seqno put, in any order (no eviction)', () => {
    const who = [alice, relay1, relay2]
    const pool = who.flatMap((identity, i) => [1, 2, 3].map((seqno) => ({ i, seqno, bytes: record(identity, seqno, DAY + seqno) })))
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: 30 }), (picks) => {
        const book: ReachBook = createReachBook({ crypto, maxEntries: 3 })
        const best = new Map<number, number>()
        for (const pick of picks) {
          const { i, seqno, bytes } = pool[pick]!
          const result = book.put(bytes, T0)
          const before = best.get(i)
          expect(result.status).toBe(before === undefined || seqno > before ? 'accepted' : seqno === before ? 'unchanged' : 'stale')
          best.set(i, Math.max(before ?? 0, seqno))
        }
        expect(book.size).toBe(best.size)
        for (const [i, seqno] of best) expect(book.get(hex(who[i]!), T0)?.record.seqno).toBe(seqno)
      }),
      { numRuns: 100 },
    )
  })
})

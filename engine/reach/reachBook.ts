/**
 * The latest verified reach record per identity, bounded and in memory: what a
 * relay keeps for the users who registered with it (custody only for them,
 * issue 11) and what an engine keeps for its contacts (whose receipts count).
 * Time comes in as `now`; there are no timers. Expired records are dropped
 * when touched and by `prune`.
 *
 * Full, it evicts the record closest to expiry, the newcomer included. That
 * record is worth least: it stops counting soonest anyway, and its owner must
 * send a fresh one before then, so it comes back by itself. The order depends
 * only on the records, not on who read what, so a relay and the simulator
 * running this code evict alike. It is not a defence against a flood of
 * registrations (fresh identities are free): admission, one registration per
 * authenticated link within its budget, is the caller's job.
 */
import { equals, toHex } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'
import { createExpiryHeap } from '../expiryHeap.ts'
import { isReachError } from './errors.ts'
import { checkReachRecordSignature, checkReachRecordTimes, decodeReachRecord, isNewer } from './reachRecord.ts'
import type { DecodedReachRecord, VerifiedReachRecord } from './reachRecord.ts'

/** A relay serves ~10,000 peers per core (DESIGN.md §5); an engine has far fewer contacts. */
export const DEFAULT_REACH_BOOK_ENTRIES = 10_000

export interface ReachBookInit {
  readonly crypto: Crypto
  readonly maxEntries?: number
  /** Clock skew tolerated for a record issued in the future (validity.ts default otherwise). */
  readonly maxAheadMs?: number
}

export interface HeldReachRecord {
  readonly record: VerifiedReachRecord
  /** The signed bytes as received, to pass on unchanged (treat as read-only). */
  readonly bytes: Uint8Array
}

/** Why a record was refused as invalid: the verifier's error, by kind. */
export type ReachInvalidReason = 'malformed' | 'unsupported-version' | 'bad-signature' | 'expired' | 'from-future' | 'lifetime'

export type ReachPutResult =
  | {
      readonly status: 'accepted'
      readonly record: VerifiedReachRecord
      /** Seqno of the record it superseded, or null for a new identity. */
      readonly replacedSeqno: number | null
      /** Identity (hex) evicted to make room, or null. */
      readonly evicted: string | null
    }
  /** The very bytes already held: a repeated registration. */
  | { readonly status: 'unchanged'; readonly seqno: number }
  /** Not newer than the held record (an equal seqno included: the first held stays). */
  | { readonly status: 'stale'; readonly heldSeqno: number }
  /** Full, and this record expires no later than every held one. */
  | { readonly status: 'full' }
  | { readonly status: 'invalid'; readonly reason: ReachInvalidReason }

export interface ReachBook {
  /** Records held (expired ones not yet dropped included). */
  readonly size: number
  /**
   * Verifies `bytes` and keeps them when newer than the held record. Stale,
   * repeated and unplaceable records are answered before the signature is
   * checked, so replays cost no verification (and prove no hostility).
   */
  put(bytes: Uint8Array, now: number): ReachPutResult
  /** The current record of `identityHex` (lowercase, as toHex writes it), or undefined. */
  get(identityHex: string, now: number): HeldReachRecord | undefined
  /** True only while `identityHex` has a current record naming the relay `relayIdentityHex`. */
  namesRelay(identityHex: string, relayIdentityHex: string, now: number): boolean
  /** Drops every record expired at `now`; returns how many. */
  prune(now: number): number
}

interface Entry {
  expiresAt: number
  slot: number
  readonly hex: string
  readonly held: HeldReachRecord
  readonly relayHexes: readonly string[]
}

const INVALID_REASONS: Readonly<Record<string, ReachInvalidReason>> = {
  MalformedError: 'malformed',
  UnsupportedVersionError: 'unsupported-version',
  BadRecordSignatureError: 'bad-signature',
  RecordExpiredError: 'expired',
  RecordFromFutureError: 'from-future',
  RecordLifetimeError: 'lifetime',
}

function invalid(err: unknown): ReachPutResult {
  // Anything else is a bug here, not hostile input: let it surface.
  if (!isReachError(err)) throw err
  return { status: 'invalid', reason: INVALID_REASONS[(err as Error).name]! }
}

class Book implements ReachBook {
  readonly #crypto: Crypto
  readonly #maxEntries: number
  readonly #maxAheadMs: number | undefined
  readonly #entries = new Map<string, Entry>()
  readonly #byExpiry = createExpiryHeap<Entry>()

  constructor(init: ReachBookInit) {
    const max = init.maxEntries ?? DEFAULT_REACH_BOOK_ENTRIES
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxEntries must be a positive integer')
    this.#crypto = init.crypto
    this.#maxEntries = max
    this.#maxAheadMs = init.maxAheadMs
  }

  get size(): number {
    return this.#entries.size
  }

  put(bytes: Uint8Array, now: number): ReachPutResult {
    let decoded: DecodedReachRecord
    try {
      decoded = decodeReachRecord(bytes)
      const options = this.#maxAheadMs === undefined ? { now } : { now, maxAheadMs: this.#maxAheadMs }
      checkReachRecordTimes(decoded.record, options)
    } catch (err) {
      return invalid(err)
    }
    const hex = toHex(decoded.record.identity)
    const held = this.#live(hex, now)
    if (held && equals(held.held.bytes, bytes)) return { status: 'unchanged', seqno: held.held.record.seqno }
    if (held && !isNewer(decoded.record, held.held.record)) return { status: 'stale', heldSeqno: held.held.record.seqno }
    if (!held && this.#entries.size >= this.#maxEntries) {
      this.prune(now)
      const first = this.#byExpiry.peek()
      if (first && this.#entries.size >= this.#maxEntries && decoded.record.expiresAt <= first.expiresAt) return { status: 'full' }
    }
    let record: VerifiedReachRecord
    try {
      record = checkReachRecordSignature(this.#crypto, decoded)
    } catch (err) {
      return invalid(err)
    }
    let evicted: string | null = null
    if (held) this.#remove(held)
    else if (this.#entries.size >= this.#maxEntries) {
      const first = this.#byExpiry.peek()!
      this.#remove(first)
      evicted = first.hex
    }
    const entry: Entry = {
      expiresAt: record.expiresAt,
      slot: 0,
      hex,
      // A private copy: the caller may reuse its buffer.
      held: { record, bytes: bytes.slice() },
      relayHexes: record.relays.map((relay) => toHex(relay.identity)),
    }
    this.#entries.set(hex, entry)
    this.#byExpiry.push(entry)
    return { status: 'accepted', record, replacedSeqno: held ? held.held.record.seqno : null, evicted }
  }

  get(identityHex: string, now: number): HeldReachRecord | undefined {
    return this.#live(identityHex, now)?.held
  }

  namesRelay(identityHex: string, relayIdentityHex: string, now: number): boolean {
    return this.#live(identityHex, now)?.relayHexes.includes(relayIdentityHex) ?? false
  }

  prune(now: number): number {
    let dropped = 0
    for (let first = this.#byExpiry.peek(); first && first.expiresAt <= now; first = this.#byExpiry.peek()) {
      this.#remove(first)
      dropped++
    }
    return dropped
  }

  /** The entry of `hex` unless it has expired, in which case it is dropped now. */
  #live(hex: string, now: number): Entry | undefined {
    const entry = this.#entries.get(hex)
    if (entry && entry.expiresAt <= now) {
      this.#remove(entry)
      return undefined
    }
    return entry
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.hex)
    this.#byExpiry.remove(entry)
  }
}

export function createReachBook(init: ReachBookInit): ReachBook {
  return new Book(init)
}

/**
 * Custody: envelopes held for destinations that have no route yet (DESIGN.md §5,
 * Budgets). Anyone can hand a relay mail, so what it holds is bounded four ways:
 * a total byte budget, a count and byte budget per destination, a byte budget per
 * neighbour the mail came from, and a clamped custody time. Regression (issue
 * 10): a hostile peer filled a relay with mail for 30,000 made-up destinations
 * (there was no total) and had an envelope with expiry 2^48 held forever.
 *
 * One copy per message id per destination: a sender's retry (the same envelope
 * with a higher attempt) replaces the held copy instead of taking a second slot.
 * In memory, mirrored to a `CustodyJournal` when one is given (a relay's store
 * on disk), from which `restore` rebuilds it after a restart.
 */
import type { CustodyJournal } from './custodyJournal.ts'
import { createExpiryHeap } from '../expiryHeap.ts'

export interface HeldEnvelope {
  /** Hex message id: what a retry of the same envelope shares with the original. */
  readonly id: string
  readonly bytes: Uint8Array
  /** When held, clamped to at most `maxHoldMs` after the first copy was held. */
  readonly expiresAt: number
  /** Hex id when this node originated it (so the sender can mark it sent). */
  readonly localId: string | null
  /** Hex id of the neighbour it came from, null when originated here: never flushed back to it. */
  readonly from: string | null
}

/** Why an envelope was not held: a typed answer the sender's outbox acts on. */
export type RefusalReason = 'destination-full' | 'sender-over-quota' | 'too-large' | 'expired'
/** Why held mail left custody without being taken. */
export type EvictionReason = 'expired' | 'evicted-for-room'

/** 'replaced': a copy with the same id was held and the new one took its place. */
export type HoldResult =
  | { readonly type: 'held' }
  | { readonly type: 'replaced' }
  | { readonly type: 'refused'; readonly reason: RefusalReason }

export interface MailboxInit {
  /** Bytes held in all, every destination and sender together. Default 64 MiB. */
  readonly totalBytes?: number
  /** Envelopes held per destination. Default 1,000. */
  readonly perDestinationCount?: number
  /** Bytes held per destination. Default 8 MiB. */
  readonly perDestinationBytes?: number
  /** Bytes held per neighbour the mail came from; mail originated here is exempt. Default 8 MiB. */
  readonly perSenderBytes?: number
  /** Longest custody: expiry is clamped to this long after the first hold. Default 14 days. */
  readonly maxHoldMs?: number
  /**
   * Bytes charged per envelope on top of its length, so that a flood of tiny
   * envelopes is bounded by the budget too (each costs objects, not just bytes).
   * Default 256.
   */
  readonly overheadBytes?: number
  /** Called for every envelope that leaves custody without being taken. */
  readonly onEvict?: (destination: string, envelope: HeldEnvelope, reason: EvictionReason) => void
  /** Where every hold, replacement and removal is mirrored, and what `restore` reads. */
  readonly journal?: CustodyJournal
}

export type CustodyLimits = Required<Omit<MailboxInit, 'onEvict' | 'journal'>>

export const DEFAULT_CUSTODY: CustodyLimits = {
  totalBytes: 64 * 1024 * 1024,
  perDestinationCount: 1_000,
  perDestinationBytes: 8 * 1024 * 1024,
  perSenderBytes: 8 * 1024 * 1024,
  maxHoldMs: 14 * 24 * 60 * 60_000,
  overheadBytes: 256,
}

export interface MailboxStats {
  /** Envelopes held now. */
  readonly envelopes: number
  /** Bytes charged now (lengths plus overhead). */
  readonly bytes: number
  /** Envelopes ever held (replacements not included). */
  readonly held: number
  readonly replaced: number
  /** Envelopes handed out by `take`. held = envelopes + taken + all evictions. */
  readonly taken: number
  readonly refused: Readonly<Record<RefusalReason, number>>
  readonly evicted: Readonly<Record<EvictionReason, number>>
}

/** What `restore` did with the journal's records. */
export interface RestoreResult {
  /** Held again, and still held once all were (room evictions come after their hold). */
  readonly restored: number
  /** Expired while the node was down: evicted as 'expired'. */
  readonly expired: number
  /** Over today's budgets (they may have been lowered): refused with the usual reason, and removed. */
  readonly refused: number
}

export interface Mailbox {
  /**
   * Holds `envelope` for `destination` at time `now`. A retry (same id) replaces
   * the held copy in place and needs no room in the destination or the total;
   * only a copy that grows, or that a different neighbour handed over, is checked
   * against the budgets it adds to. When the total is exceeded the oldest mail,
   * across all destinations, is evicted; a sender over its own budget is
   * refused instead, so it can never push others' mail out.
   */
  hold(destination: string, envelope: HeldEnvelope, now: number): HoldResult
  /** True when an envelope with message id `id` is held for `destination`. */
  has(destination: string, id: string): boolean
  /**
   * Removes and returns what is held for `destination`, unexpired (still live at
   * its expiry instant), oldest first; expired mail is evicted. With `select`,
   * only what it accepts is taken and the rest stays held in its place.
   */
  take(destination: string, now: number, select?: (envelope: HeldEnvelope) => boolean): HeldEnvelope[]
  /** What is held for `destination` now, oldest first, left in place (expired mail included until pruned). */
  peek(destination: string): HeldEnvelope[]
  /**
   * Holds again what the journal kept, in its first-held order, as of `now`:
   * expired mail is evicted, and the budgets of today apply (oldest-first
   * eviction included); whatever is dropped is removed from the journal too.
   * Call once, before anything is held. Without a journal it does nothing.
   */
  restore(now: number): RestoreResult
  /** Evicts everything expired at `now`; returns how many. O(k log n) for k expired. */
  prune(now: number): number
  destinations(): string[]
  stats(): MailboxStats
  /** Envelopes held now. */
  readonly size: number
}

/** One held envelope, linked into the global age order and the expiry heap. */
interface Entry {
  readonly destination: string
  envelope: HeldEnvelope
  cost: number
  older: Entry | null
  newer: Entry | null
  /** Index in the expiry heap. */
  slot: number
  expiresAt: number
}

interface Box {
  // By message id; a Map keeps first-held order through replacements.
  readonly entries: Map<string, Entry>
  bytes: number
}

const HELD = { type: 'held' } as const
const REPLACED = { type: 'replaced' } as const

export function createMailbox(init: MailboxInit = {}): Mailbox {
  // Not a spread of `init`: a key present but undefined must still get its default.
  const limit = (key: keyof CustodyLimits): number => init[key] ?? DEFAULT_CUSTODY[key]
  const limits: CustodyLimits = {
    totalBytes: limit('totalBytes'),
    perDestinationCount: limit('perDestinationCount'),
    perDestinationBytes: limit('perDestinationBytes'),
    perSenderBytes: limit('perSenderBytes'),
    maxHoldMs: limit('maxHoldMs'),
    overheadBytes: limit('overheadBytes'),
  }
  const boxes = new Map<string, Box>()
  const senders = new Map<string, number>()
  const expiries = createExpiryHeap<Entry>()
  // Oldest-first eviction across destinations in O(1): a list in first-held order.
  let oldest: Entry | null = null
  let newest: Entry | null = null
  let envelopes = 0
  let bytes = 0
  const counts = { held: 0, replaced: 0, taken: 0 }
  const refused: Record<RefusalReason, number> = { 'destination-full': 0, 'sender-over-quota': 0, 'too-large': 0, expired: 0 }
  const evicted: Record<EvictionReason, number> = { expired: 0, 'evicted-for-room': 0 }

  const charge = (from: string | null, delta: number): void => {
    if (from === null) return
    const next = (senders.get(from) ?? 0) + delta
    if (next === 0) senders.delete(from)
    else senders.set(from, next)
  }
  const remove = (entry: Entry): void => {
    if (entry.older) entry.older.newer = entry.newer
    else oldest = entry.newer
    if (entry.newer) entry.newer.older = entry.older
    else newest = entry.older
    expiries.remove(entry)
    const box = boxes.get(entry.destination)!
    box.entries.delete(entry.envelope.id)
    box.bytes -= entry.cost
    if (box.entries.size === 0) boxes.delete(entry.destination)
    charge(entry.envelope.from, -entry.cost)
    bytes -= entry.cost
    envelopes--
    init.journal?.remove(entry.destination, entry.envelope.id)
  }
  const evict = (entry: Entry, reason: EvictionReason): void => {
    remove(entry)
    evicted[reason]++
    init.onEvict?.(entry.destination, entry.envelope, reason)
  }
  const prune = (now: number): number => {
    let n = 0
    for (let e = expiries.peek(); e && e.expiresAt < now; e = expiries.peek(), n++) evict(e, 'expired')
    return n
  }
  const refuse = (reason: RefusalReason): HoldResult => {
    refused[reason]++
    return { type: 'refused', reason }
  }
  /** The budget `cost` would break (as if `previous`, the copy it replaces, were gone), or null. */
  const check = (box: Box | undefined, from: string | null, cost: number, previous: Entry | undefined): RefusalReason | null => {
    const ceiling = Math.min(limits.totalBytes, limits.perDestinationBytes, from === null ? Infinity : limits.perSenderBytes)
    if (cost > ceiling) return 'too-large'
    if (from !== null) {
      const refund = previous?.envelope.from === from ? previous.cost : 0
      if ((senders.get(from) ?? 0) - refund + cost > limits.perSenderBytes) return 'sender-over-quota'
    }
    if (!previous && (box?.entries.size ?? 0) >= limits.perDestinationCount) return 'destination-full'
    if ((box?.bytes ?? 0) - (previous?.cost ?? 0) + cost > limits.perDestinationBytes) return 'destination-full'
    return null
  }

  /** `hold`; `persist` false when the journal has the envelope already (restore). */
  const admit = (destination: string, envelope: HeldEnvelope, now: number, persist: boolean): HoldResult => {
    // Lazily first: expired mail must never cost live mail its room.
    prune(now)
    const cost = envelope.bytes.length + limits.overheadBytes
    const previous = boxes.get(destination)?.entries.get(envelope.id)
    // Clamped from the first copy's hold: retries must not extend custody.
    const expiresAt = Math.min(envelope.expiresAt, now + limits.maxHoldMs, previous?.expiresAt ?? Infinity)
    if (expiresAt < now) return refuse('expired')
    const reason = check(boxes.get(destination), envelope.from, cost, previous)
    if (reason) return refuse(reason)
    // cost <= totalBytes (else 'too-large'), so evicting all but `previous` always makes room.
    for (let e = oldest; e && bytes - (previous?.cost ?? 0) + cost > limits.totalBytes; ) {
      const victim = e
      e = e.newer
      if (victim !== previous) evict(victim, 'evicted-for-room')
    }
    if (previous) {
      const box = boxes.get(destination)!
      // Keep marking it sent if this node originated either copy.
      const next = { ...envelope, expiresAt, localId: envelope.localId ?? previous.envelope.localId }
      charge(previous.envelope.from, -previous.cost)
      charge(next.from, cost)
      box.bytes += cost - previous.cost
      bytes += cost - previous.cost
      previous.envelope = next
      previous.cost = cost
      previous.expiresAt = expiresAt
      expiries.update(previous)
      counts.replaced++
      if (persist) init.journal?.put(destination, next)
      return REPLACED
    }
    // Looked up again: eviction may have emptied and dropped this destination's box.
    let box = boxes.get(destination)
    if (!box) boxes.set(destination, (box = { entries: new Map(), bytes: 0 }))
    const entry: Entry = { destination, envelope: { ...envelope, expiresAt }, cost, older: newest, newer: null, slot: -1, expiresAt }
    if (newest) newest.newer = entry
    else oldest = entry
    newest = entry
    expiries.push(entry)
    box.entries.set(envelope.id, entry)
    box.bytes += cost
    charge(envelope.from, cost)
    bytes += cost
    envelopes++
    counts.held++
    if (persist) init.journal?.put(destination, entry.envelope)
    return HELD
  }

  return {
    hold: (destination, envelope, now) => admit(destination, envelope, now, true),
    has: (destination, id) => boxes.get(destination)?.entries.has(id) ?? false,
    peek(destination) {
      const box = boxes.get(destination)
      return box ? [...box.entries.values()].map((entry) => entry.envelope) : []
    },
    take(destination, now, select) {
      const box = boxes.get(destination)
      if (!box) return []
      const out: HeldEnvelope[] = []
      // Deleting the current entry while iterating a Map is well defined.
      for (const entry of box.entries.values()) {
        if (entry.expiresAt < now) evict(entry, 'expired')
        else if (!select || select(entry.envelope)) {
          remove(entry)
          out.push(entry.envelope)
        }
      }
      counts.taken += out.length
      return out
    },
    restore(now) {
      const journal = init.journal
      if (!journal) return { restored: 0, expired: 0, refused: 0 }
      if (counts.held > 0) throw new Error('Mailbox.restore runs once, before anything is held')
      let expired = 0
      let dropped = 0
      for (const { destination, envelope } of journal.load()) {
        if (envelope.expiresAt < now) {
          // Held before the restart, so counted as held: held = envelopes + taken + evictions still adds up.
          counts.held++
          evicted.expired++
          expired++
          journal.remove(destination, envelope.id)
          init.onEvict?.(destination, envelope, 'expired')
          continue
        }
        const result = admit(destination, envelope, now, false)
        if (result.type === 'refused') {
          dropped++
          journal.remove(destination, envelope.id)
          continue
        }
        // A lowered maxHoldMs clamps the expiry further: the journal must say so too.
        const entry = boxes.get(destination)!.entries.get(envelope.id)!
        if (result.type === 'replaced' || entry.expiresAt !== envelope.expiresAt) journal.put(destination, entry.envelope)
      }
      return { restored: envelopes, expired, refused: dropped }
    },
    prune,
    destinations: () => [...boxes.keys()],
    stats: () => ({ envelopes, bytes, ...counts, refused: { ...refused }, evicted: { ...evicted } }),
    get size() {
      return envelopes
    },
  }
}

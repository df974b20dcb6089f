/**
 * The outbox's decisions as pure functions over a plain array of entries: when each
 * envelope is due again, when it expires, when it gives up. No clock and no I/O:
 * `now` and jitter come in, the new entries and the callbacks to run come out, so
 * machines/outbox.ts stays a thin timer around them and these are tested directly.
 */

export interface OutboxItem {
  /** Hex id of the stored envelope. */
  readonly envelopeId: string
  /** ms epoch; from then on the item fails with 'expired'. */
  readonly expiresAt: number
  /** Transmissions already made (persisted by the host; 0 = never sent). */
  readonly attempts: number
  /** A custodian (relay) acknowledged a copy. */
  readonly relayed: boolean
  /** Default true; false = bytes unknown (legacy): never transmitted, only waits for receipt or expiry. */
  readonly sendable?: boolean
}

export interface OutboxPolicy {
  /** Delay after the first transmission (before jitter). */
  readonly baseMs: number
  /** Largest delay between two transmissions (before jitter). */
  readonly capMs: number
  /** Transmissions after which an item parks (relayed) or fails 'unreachable'. */
  readonly maxAttempts: number
}

export const DEFAULT_OUTBOX_POLICY: OutboxPolicy = { baseMs: 1_000, capMs: 300_000, maxAttempts: 12 }

export type OutboxFailure = 'expired' | 'unreachable'

/** One queued item as the machine's context shows it. */
export interface OutboxEntry {
  readonly envelopeId: string
  readonly expiresAt: number
  readonly attempts: number
  readonly relayed: boolean
  readonly sendable: boolean
  /** When the next transmission is due; null = never (not sendable, or parked after maxAttempts). */
  readonly dueAt: number | null
  /** The `attempts` count the backoff doubles from: 0, or the count before the last REACHABLE. */
  readonly backoffFrom: number
}

/** A callback the machine owes the host, in the order the entries were processed. */
export type OutboxEffect =
  | { readonly kind: 'transmit'; readonly envelopeId: string; readonly attempt: number; readonly attempts: number }
  | { readonly kind: 'failed'; readonly envelopeId: string; readonly reason: OutboxFailure }

export interface OutboxStep {
  readonly entries: readonly OutboxEntry[]
  readonly effects: readonly OutboxEffect[]
}

/** The envelope's attempt field is one byte. */
const MAX_ATTEMPT_BYTE = 255

/**
 * Delay before the next transmission once `attemptsMade` (≥ 1) have been made:
 * `min(capMs, baseMs · 2^(attemptsMade-1))`, scaled by `0.5 + jitter` so that
 * senders who lost the same link do not retry in lockstep (1 s ±50 %, 2 s ±50 % …).
 */
export function backoffDelay(policy: OutboxPolicy, attemptsMade: number, jitter: number): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** (Math.max(1, attemptsMade) - 1))
  return Math.round(step * (0.5 + jitter))
}

/** A new or restored item: a sendable one is due at once, the rest only wait. */
export function admitItem(item: OutboxItem, now: number): OutboxEntry {
  const sendable = item.sendable ?? true
  return {
    envelopeId: item.envelopeId,
    expiresAt: item.expiresAt,
    attempts: item.attempts,
    relayed: item.relayed,
    sendable,
    dueAt: sendable ? now : null,
    backoffFrom: 0,
  }
}

function transmitted(
  entry: OutboxEntry,
  now: number,
  policy: OutboxPolicy,
  jitter: () => number,
  backoffFrom: number,
): { entry: OutboxEntry; effect: OutboxEffect } {
  const attempts = entry.attempts + 1
  const effect: OutboxEffect = {
    kind: 'transmit',
    envelopeId: entry.envelopeId,
    attempt: Math.min(MAX_ATTEMPT_BYTE, entry.attempts),
    attempts,
  }
  const dueAt = now + backoffDelay(policy, attempts - backoffFrom, jitter())
  return { entry: { ...entry, attempts, dueAt, backoffFrom }, effect }
}

/**
 * Everything that is due at `now`, in queue order: expired items fail, due items are
 * transmitted, and those that have used up maxAttempts park (relayed: a custodian
 * holds a copy, so the receipt may still come) or fail 'unreachable'.
 */
export function settleDue(
  entries: readonly OutboxEntry[],
  now: number,
  policy: OutboxPolicy,
  jitter: () => number,
): OutboxStep {
  const kept: OutboxEntry[] = []
  const effects: OutboxEffect[] = []
  for (const entry of entries) {
    if (entry.expiresAt <= now) {
      effects.push({ kind: 'failed', envelopeId: entry.envelopeId, reason: 'expired' })
    } else if (entry.dueAt === null || entry.dueAt > now) {
      kept.push(entry)
    } else if (entry.attempts < policy.maxAttempts) {
      const next = transmitted(entry, now, policy, jitter, entry.backoffFrom)
      kept.push(next.entry)
      effects.push(next.effect)
    } else if (entry.relayed) {
      kept.push({ ...entry, dueAt: null })
    } else {
      effects.push({ kind: 'failed', envelopeId: entry.envelopeId, reason: 'unreachable' })
    }
  }
  return { entries: kept, effects }
}

/**
 * A route to the destination appeared: transmit every sendable item now, parked ones
 * included, whatever its count (the link is new, so earlier failures say nothing about
 * it), and restart its backoff from the base. maxAttempts is checked again only when
 * the next transmission falls due.
 */
export function transmitWaiting(
  entries: readonly OutboxEntry[],
  now: number,
  policy: OutboxPolicy,
  jitter: () => number,
): OutboxStep {
  const effects: OutboxEffect[] = []
  const next = entries.map((entry) => {
    if (!entry.sendable || entry.expiresAt <= now) return entry
    const sent = transmitted(entry, now, policy, jitter, entry.attempts)
    effects.push(sent.effect)
    return sent.entry
  })
  return { entries: next, effects }
}

/** The earliest instant at which something happens: a due transmission or an expiry. */
export function nextDeadline(entries: readonly OutboxEntry[]): number {
  let deadline = Number.POSITIVE_INFINITY
  for (const entry of entries) deadline = Math.min(deadline, entry.expiresAt, entry.dueAt ?? Number.POSITIVE_INFINITY)
  return deadline
}

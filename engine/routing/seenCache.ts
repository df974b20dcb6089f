/**
 * Transmissions seen recently (for `windowMs`), so a duplicate is dropped and never
 * re-forwarded (DESIGN.md §5). A transmission is a message id plus its attempt
 * (the envelope's retransmission counter): a loop brings back the same attempt
 * and is dropped, while a sender's retry carries a higher attempt and passes
 * each node once. Bounded in size: the oldest transmissions go first.
 */
export interface SeenCache {
  /**
   * Records attempt `attempt` of message `id`, or refuses it as a duplicate
   * (false, nothing recorded). 'exact' refuses only that very attempt seen
   * within `windowMs`; 'newer' also refuses any attempt not above the highest
   * one seen for `id`, so a stale retry that arrives late is a duplicate too.
   */
  add(id: string, attempt: number, now: number, rule: DuplicateRule): boolean
  /** True when that very attempt of `id` was seen within `windowMs`. */
  has(id: string, attempt: number, now: number): boolean
  /** The highest attempt of `id` seen within `windowMs`, or undefined. */
  highest(id: string, now: number): number | undefined
  /** Transmissions remembered, at most `maxEntries`. */
  readonly size: number
}

export type DuplicateRule = 'exact' | 'newer'

export interface SeenCacheInit {
  readonly windowMs: number
  /** Bound on transmissions (id and attempt pairs) remembered. */
  readonly maxEntries: number
}

const keyOf = (id: string, attempt: number): string => `${id}:${attempt}`

export function createSeenCache(init: SeenCacheInit): SeenCache {
  // Insertion order is expiry order because every entry is kept for the same span.
  const expiries = new Map<string, number>()
  // The attempts of each id that `expiries` holds (a handful: one per retry), so
  // the highest is found without scanning every entry. Mirrors `expiries`, so it
  // shares its bound.
  const attemptsOf = new Map<string, number[]>()
  const forget = (id: string, attempt: number): void => {
    if (!expiries.delete(keyOf(id, attempt))) return
    const rest = attemptsOf.get(id)!.filter((a) => a !== attempt)
    if (rest.length > 0) attemptsOf.set(id, rest)
    else attemptsOf.delete(id)
  }
  const forgetKey = (key: string): void => {
    const colon = key.lastIndexOf(':')
    forget(key.slice(0, colon), Number(key.slice(colon + 1)))
  }
  const evict = (now: number): void => {
    for (const [key, expiry] of expiries) {
      if (expiry > now && expiries.size <= init.maxEntries) break
      forgetKey(key)
    }
  }
  const live = (key: string, now: number): boolean => {
    const expiry = expiries.get(key)
    return expiry !== undefined && expiry > now
  }
  const highest = (id: string, now: number): number | undefined => {
    let top: number | undefined
    for (const a of attemptsOf.get(id) ?? []) if (live(keyOf(id, a), now) && (top === undefined || a > top)) top = a
    return top
  }
  return {
    add(id, attempt, now, rule) {
      evict(now)
      const key = keyOf(id, attempt)
      if (live(key, now)) return false
      const top = highest(id, now)
      if (rule === 'newer' && top !== undefined && attempt <= top) return false
      forget(id, attempt)
      expiries.set(key, now + init.windowMs)
      attemptsOf.set(id, [...(attemptsOf.get(id) ?? []), attempt])
      if (expiries.size > init.maxEntries) evict(now)
      return true
    },
    has: (id, attempt, now) => live(keyOf(id, attempt), now),
    highest,
    get size() {
      return expiries.size
    },
  }
}

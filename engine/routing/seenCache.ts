/**
 * Message ids seen within a time window, so a duplicate is dropped and never
 * re-forwarded (DESIGN.md §5). Bounded in size: the oldest ids go first.
 */
export interface SeenCache {
  /** Records `id`; false when it was already seen within the retention span. */
  add(id: string, now: number): boolean
  has(id: string, now: number): boolean
  readonly size: number
}

export interface SeenCacheInit {
  readonly windowMs: number
  readonly maxEntries: number
}

export function createSeenCache(init: SeenCacheInit): SeenCache {
  // Insertion order is expiry order because every entry is kept for the same span.
  const expiries = new Map<string, number>()
  const evict = (now: number): void => {
    for (const [id, expiry] of expiries) {
      if (expiry > now && expiries.size <= init.maxEntries) break
      expiries.delete(id)
    }
  }
  return {
    add(id, now) {
      evict(now)
      const expiry = expiries.get(id)
      if (expiry !== undefined && expiry > now) return false
      expiries.delete(id)
      expiries.set(id, now + init.windowMs)
      if (expiries.size > init.maxEntries) evict(now)
      return true
    },
    has(id, now) {
      const expiry = expiries.get(id)
      return expiry !== undefined && expiry > now
    },
    get size() {
      return expiries.size
    },
  }
}

/**
 * Destinations whose mail waits at this relay for a link to one of their home relays
 * (issue 11: relays dial each other on demand). When a link to relay R opens, the
 * forwarder takes R's waiters and hands their mail over. Bounded both ways: a dial
 * that never opens is forgotten after `forgetAfterMs` (its mail expires from custody on
 * its own, PENDING_DIAL_HOLD_MS), and past `maxRelays` the oldest wait goes first, so
 * reach records naming endless relays cost a bounded table, not memory without end.
 */
export interface PendingDials {
  /** `destination`'s mail waits for any of `relayIds`. */
  wait(relayIds: readonly string[], destination: string, now: number): void
  /** The destinations waiting for `relayId` (whose link just opened); they wait no more for it. */
  take(relayId: string): string[]
  /** True while `destination`'s mail waits for a link to `relayId`. */
  has(relayId: string, destination: string): boolean
  /** Forgets waits older than `forgetAfterMs`. */
  prune(now: number): void
  /** Relays waited for. */
  readonly size: number
}

interface Wait {
  readonly since: number
  readonly destinations: Set<string>
}

export function createPendingDials(init: { readonly forgetAfterMs: number; readonly maxRelays?: number; readonly maxPerRelay?: number }): PendingDials {
  const maxRelays = init.maxRelays ?? 1_024
  const maxPerRelay = init.maxPerRelay ?? 4_096
  // Insertion order is age order: a relay's entry is created once and never moved.
  const waits = new Map<string, Wait>()
  return {
    wait(relayIds, destination, now) {
      for (const id of relayIds) {
        let w = waits.get(id)
        if (!w) {
          if (waits.size >= maxRelays) waits.delete(waits.keys().next().value as string)
          waits.set(id, (w = { since: now, destinations: new Set() }))
        }
        if (w.destinations.size < maxPerRelay) w.destinations.add(destination)
      }
    },
    take(relayId) {
      const w = waits.get(relayId)
      if (!w) return []
      waits.delete(relayId)
      return [...w.destinations]
    },
    has: (relayId, destination) => waits.get(relayId)?.destinations.has(destination) ?? false,
    prune(now) {
      for (const [id, w] of waits) {
        if (now - w.since < init.forgetAfterMs) break
        waits.delete(id)
      }
    },
    get size() {
      return waits.size
    },
  }
}

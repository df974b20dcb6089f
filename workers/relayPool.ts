/**
 * Links to other relays opened on demand (issue 11): a relay forwarding mail to a
 * user's home relay dials it by the address in the user's reach record, and a user
 * whose own relays are all down dials the recipient's. The pool is bounded (least
 * recently used goes first), a link unused for `idleMs` is closed, and a dial whose
 * relay has not proved the expected identity within `dialTimeoutMs` is given up: the
 * address was down, or answered with another key (mail only ever goes to a hop by the
 * identity its handshake proved, so a wrong answer gets nothing; it just stops here).
 */
import type { HomeHint } from '../engine/routing/index.ts'
import { relayUrlProblem } from '../engine/wire/index.ts'

export interface RelayPoolInit {
  readonly connect: (address: string) => void
  readonly disconnect: (address: string) => void
  /** True while a link to this relay (hex id) is open, however it was made. */
  readonly linked: (id: string) => boolean
  /** Addresses the node keeps links to by choice: never pooled, never closed here. */
  readonly kept: (address: string) => boolean
  readonly maxLinks: number
  /** The host's rule on which addresses it may dial (a relay: not into its private network, native/node/dialPolicy.ts). */
  readonly allowed?: (address: string) => boolean
  /** A dial was given up: the mail waiting for that relay learns it (forwarder.unreachable). */
  readonly onGaveUp?: (id: string) => void
  readonly idleMs?: number
  readonly dialTimeoutMs?: number
}

export interface RelayPoolStats {
  readonly links: number
  readonly dialed: number
  readonly gaveUp: number
  readonly closedIdle: number
  readonly evicted: number
  /** Dials not made: not a relay address, or one the host's rule forbids. */
  readonly refused: number
}

export interface RelayPool {
  /** Open a link to one of these relays (those not linked yet), for mail that waits. */
  ensure(relays: readonly HomeHint[], now: number): void
  /** Mail went out on the link to `id`: it stays in the pool. */
  used(id: string, now: number): void
  /** Closes idle links and gives up dials that did not open. Call every few seconds. */
  tick(now: number): void
  stats(): RelayPoolStats
}

interface Entry {
  readonly id: string
  readonly address: string
  readonly since: number
  lastUsed: number
}

export const DEFAULT_RELAY_POOL_IDLE_MS = 5 * 60_000
export const DEFAULT_RELAY_DIAL_TIMEOUT_MS = 20_000

export function createRelayPool(init: RelayPoolInit): RelayPool {
  const idleMs = init.idleMs ?? DEFAULT_RELAY_POOL_IDLE_MS
  const dialTimeoutMs = init.dialTimeoutMs ?? DEFAULT_RELAY_DIAL_TIMEOUT_MS
  // By address, in least-recently-used order (an entry is moved to the end when used).
  const entries = new Map<string, Entry>()
  const byId = new Map<string, Entry>()
  const counts = { dialed: 0, gaveUp: 0, closedIdle: 0, evicted: 0, refused: 0 }

  const drop = (entry: Entry): void => {
    entries.delete(entry.address)
    if (byId.get(entry.id) === entry) byId.delete(entry.id)
    init.disconnect(entry.address)
  }
  return {
    ensure(relays, now) {
      for (const relay of relays) {
        if (init.linked(relay.id) || entries.has(relay.address) || init.kept(relay.address)) continue
        // Records are signed by their users, not checked by anyone: dial only what a relay address can be.
        if (relayUrlProblem(relay.address) !== undefined || init.allowed?.(relay.address) === false) {
          counts.refused++
          continue
        }
        if (entries.size >= init.maxLinks) {
          drop(entries.values().next().value as Entry)
          counts.evicted++
        }
        const entry: Entry = { id: relay.id, address: relay.address, since: now, lastUsed: now }
        entries.set(relay.address, entry)
        byId.set(relay.id, entry)
        counts.dialed++
        init.connect(relay.address)
      }
    },
    used(id, now) {
      const entry = byId.get(id)
      if (!entry) return
      entry.lastUsed = now
      entries.delete(entry.address)
      entries.set(entry.address, entry)
    },
    tick(now) {
      for (const entry of [...entries.values()]) {
        if (!init.linked(entry.id)) {
          if (now - entry.since >= dialTimeoutMs && now - entry.lastUsed >= dialTimeoutMs) {
            drop(entry)
            counts.gaveUp++
            init.onGaveUp?.(entry.id)
          }
        } else if (now - entry.lastUsed >= idleMs) {
          drop(entry)
          counts.closedIdle++
        }
      }
    },
    stats: () => ({ links: entries.size, ...counts }),
  }
}

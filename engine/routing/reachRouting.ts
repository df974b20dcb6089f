/**
 * Where mail for a destination goes by its reach record (issue 11), as the data plane asks:
 * - `homesOf`: the destination's home relays — on a user's node from its contact's record
 *   (`reachOf`), on a relay from the records senders passed ahead (a bounded, verified book)
 *   or, for a user who moved away, from the newer record their registration holds;
 * - `passAhead`: a user's mail leaving on a relay link takes the contact's record first, once
 *   per link and record, unless that relay is one of the contact's own home relays;
 * - `learn`: a 'reach' frame on a relay — the sender's own record is a registration, anyone
 *   else's a record passed ahead of their mail.
 */
import { toHex } from '../bytes.ts'
import type { Clock, Crypto } from '../ports/index.ts'
import { createReachBook, decodeReachRecord, isReachError } from '../reach/index.ts'
import type { HomeRegistry } from '../reach/index.ts'
import type { LinkFrame } from '../wire/index.ts'
import type { HomeHint, Hop } from './forwarder.ts'

export interface ReachRoutingInit {
  readonly crypto: Crypto
  readonly clock: Clock
  /** A relay's registrations; absent on a user's node. */
  readonly homes?: HomeRegistry
  /** A user's node: a contact's verified record by hex id (the same bytes object while it is the same record). */
  readonly reachOf?: (destination: string) => Uint8Array | null
  /** Others' records a relay keeps (default 10,000). */
  readonly maxLearnedRecords?: number
}

export interface ReachRouting {
  homesOf(destination: string, now: number): readonly HomeHint[] | null
  /** Before mail for `destination` goes on `hop` (neighbour `peerId`): the contact's record first, when that relay needs it. */
  passAhead(peerId: string, hop: Hop & { frame(frame: LinkFrame): void }, destination: string): void
  /**
   * A 'reach' frame from `peerId`. Returns whether an honest peer could have sent it, and the
   * identity (hex) whose mail may now go somewhere new (a registration that left, a record
   * learned), or null.
   */
  learn(peerId: string, record: Uint8Array, now: number): { readonly honest: boolean; readonly moved: string | null }
  prune(now: number): void
  /** Others' records held (0 on a user's node). */
  readonly learnedRecords: number
}

/** A record's home relays as the forwarder reads them, made once per record (keyed by the object that holds it). */
const hintsCache = new WeakMap<object, readonly HomeHint[]>()
function hintsOf(key: object, bytes: () => Uint8Array): readonly HomeHint[] | null {
  let hints = hintsCache.get(key)
  if (hints) return hints
  try {
    hints = decodeReachRecord(bytes()).record.relays.map((r) => ({ id: toHex(r.identity), address: r.address }))
  } catch {
    return null
  }
  hintsCache.set(key, hints)
  return hints
}

const isShapeError = (error: unknown): boolean =>
  isReachError(error) || (error as Error).name === 'MalformedError' || (error as Error).name === 'UnsupportedVersionError'

export function createReachRouting(init: ReachRoutingInit): ReachRouting {
  const homes = init.homes
  // A relay keeps the records senders pass ahead of their mail (verified, newest wins, bounded).
  const learned = homes ? createReachBook({ crypto: init.crypto, maxEntries: init.maxLearnedRecords ?? 10_000 }) : null
  /** The records passed to each neighbour already, by destination. */
  const passed = new WeakMap<Hop, Map<string, Uint8Array>>()

  const homesOf = (destination: string, now: number): readonly HomeHint[] | null => {
    if (homes && learned) {
      // Registered here: this relay keeps their mail (keepFor), it sends it nowhere else.
      if (homes.isHome(destination, now)) return null
      const held = learned.get(destination, now)
      if (held) return hintsOf(held.record, () => held.bytes)
      // A user who moved away: their newer record names the relays to hand their mail over to.
      const moved = homes.recordOf(destination, now)
      return moved ? hintsOf(moved, () => moved) : null
    }
    const bytes = init.reachOf?.(destination) ?? null
    return bytes === null ? null : hintsOf(bytes, () => bytes)
  }

  return {
    homesOf,
    passAhead(peerId, hop, destination) {
      const record = init.reachOf?.(destination) ?? null
      if (record === null) return
      let sent = passed.get(hop)
      if (!sent) passed.set(hop, (sent = new Map()))
      if (sent.get(destination) === record) return
      // The contact's own home relay has their registration; any other relay needs the record.
      if (homesOf(destination, init.clock.now())?.some((h) => h.id === peerId)) return
      sent.set(destination, record)
      hop.frame({ type: 'reach', record })
    },
    learn(peerId, record, now) {
      // A user's node keeps no one's record from a link (its contacts' come end to end).
      if (!homes || !learned) return { honest: true, moved: null }
      let identity: string
      try {
        identity = toHex(decodeReachRecord(record).record.identity)
      } catch (error) {
        if (!isShapeError(error)) throw error
        return { honest: false, moved: null }
      }
      if (identity === peerId) {
        const result = homes.register(peerId, record, now)
        // They moved: what this relay held for them goes to their new home relays (a handover).
        return { honest: result.ok || !result.hostile, moved: result.ok && result.status === 'left' ? identity : null }
      }
      const put = learned.put(record, now)
      // A forged or malformed one is hostile; a stale or expired one a replay or a slow path.
      return { honest: put.status !== 'invalid' || put.reason === 'expired', moved: put.status === 'accepted' ? identity : null }
    },
    prune(now) {
      learned?.prune(now)
    },
    get learnedRecords() {
      return learned?.size ?? 0
    },
  }
}

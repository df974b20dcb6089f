/**
 * The data plane of a mesh node: every envelope, local or from a neighbour, goes
 * through `route`. It is delivered locally when addressed to this node, else sent
 * to the destination when it is a neighbour, else to the next hop the router
 * chose (DESIGN.md §5), else to an upstream relay, else held (custody) until a
 * route appears. Every hop decrements the TTL. Pure data plus the hops' `send`,
 * so the simulator and the tests drive the very same code.
 *
 * Duplicates: a copy from a neighbour passes only when its attempt (the
 * envelope's retransmission counter) is above every attempt of its id seen
 * recently (`seenWindowMs`). So a loop copy (same attempt) and a stale retry that
 * arrives late (lower attempt) are dropped, while a sender's retry passes each
 * node once per attempt. This node's own envelopes are dropped only as exact
 * repeats of an attempt it already routed: its outbox decides what to resend.
 */
import { equals, toHex } from '../bytes.ts'
import type { Clock } from '../ports/index.ts'
import { decodeEnvelope, decrementTtl } from '../wire/index.ts'
import type { Envelope } from '../wire/index.ts'
import { createMailbox } from './mailbox.ts'
import type { EvictionReason, HeldEnvelope, MailboxInit, RefusalReason } from './mailbox.ts'
import { createSeenCache } from './seenCache.ts'

/** A neighbour's open link, as the data plane sees it. */
export interface Hop {
  /** 'upstream' links were dialed by this node (its relays); 'peer' links were accepted. */
  readonly kind: 'upstream' | 'peer'
  /** Queues envelopes on the link; it coalesces them into frames. */
  send(envelopes: readonly Uint8Array[]): void
}

/** 'refused': custody would break a budget; the reason goes to `onRefused`. */
export type RouteResult = 'local' | 'forwarded' | 'held' | 'refused' | 'dropped'

export interface ForwarderInit {
  readonly self: Uint8Array
  readonly clock: Clock
  /** Called with every valid envelope addressed to this node. */
  readonly deliverLocal: (envelope: Envelope) => void
  /** Called when an envelope this node originated is handed to a neighbour. */
  readonly onSent?: (messageId: string) => void
  /**
   * The router's next hop (a neighbour's hex id) toward `destination`, or null.
   * Consulted after a direct link and before an upstream relay.
   */
  readonly route?: (destination: string) => string | null
  /**
   * Called when an envelope from neighbour `from` is held here: a custodian acks its id to
   * `from` (or signs a receipt, when `destination`, hex, registered here). `expiresAt` is
   * the envelope's own; custody may clamp it further.
   */
  readonly onHeld?: (messageId: Uint8Array, from: string, destination: string, expiresAt: number) => void
  /**
   * Called when custody refused an envelope (from neighbour `from`, or this
   * node's own when null): the typed answer a sender's outbox acts on by keeping
   * the message and trying elsewhere or later (DESIGN.md §5, Budgets).
   */
  readonly onRefused?: (messageId: Uint8Array, from: string | null, reason: RefusalReason) => void
  readonly seenWindowMs?: number
  readonly maxSeen?: number
  /** Envelopes held per destination; `custody.perDestinationCount` wins when both are set. */
  readonly mailboxPerDestination?: number
  /** Custody budgets; defaults in `DEFAULT_CUSTODY`. */
  readonly custody?: Partial<MailboxInit>
  /**
   * True when this node is a home relay of `destination` (issue 11): its mail is held here
   * until the destination links to this node itself, even while a copy goes along a route.
   * A route learned from the mesh (a neighbour's claim) then never takes the mail away from
   * the custody the recipient asked for.
   */
  readonly keepFor?: (destination: string, now: number) => boolean
}

export interface ForwarderStats {
  readonly forwarded: number
  readonly delivered: number
  readonly held: number
  /** Bytes custody charges for what it holds now (lengths plus per-envelope overhead). */
  readonly heldBytes: number
  /** Everything routed that was not forwarded, delivered or is held now: refusals and evictions included. */
  readonly dropped: number
  /** Envelopes custody refused, by reason (a part of `dropped`). */
  readonly refused: Readonly<Record<RefusalReason, number>>
  /** Held envelopes that left custody unsent, by reason (a part of `dropped`). */
  readonly evicted: Readonly<Record<EvictionReason, number>>
}

export interface Forwarder {
  /** Routes bytes that came from neighbour `from` (hex id), or from this node when null. */
  route(bytes: Uint8Array, from: string | null): RouteResult
  addHop(peerId: string, hop: Hop): void
  removeHop(peerId: string, hop: Hop): void
  /** Offers what is held for `destination` to its current next hop: call when a route to it appears. */
  retry(destination: string): void
  /** Evicts expired custody now (routing does it too, lazily): call from a periodic tick. */
  prune(): void
  stats(): ForwarderStats
}

/**
 * Hops an envelope may still make after this one. Senders start at DEFAULT_TTL (16, engine/messenger);
 * a neighbour's TTL 255 (issue 10's fuzzed frames) would only buy a loop more rounds, so it is cut here.
 */
export const MAX_FORWARD_TTL = 15

export function createForwarder(init: ForwarderInit): Forwarder {
  const selfHex = toHex(init.self)
  const hops = new Map<string, Hop>()
  const seen = createSeenCache({ windowMs: init.seenWindowMs ?? 10 * 60_000, maxEntries: init.maxSeen ?? 100_000 })
  const counts = { forwarded: 0, delivered: 0, dropped: 0 }
  const mailbox = createMailbox({
    ...init.custody,
    perDestinationCount: init.custody?.perDestinationCount ?? init.mailboxPerDestination,
    onEvict: (destination, envelope, reason) => {
      // It was counted as held; now it is dropped, so the stats still add up.
      counts.dropped++
      init.custody?.onEvict?.(destination, envelope, reason)
    },
  })
  // Mail a relay held before it restarted (custody.journal), held again as of now.
  mailbox.restore(init.clock.now())

  const upstream = (exclude: string | null): Hop | undefined => {
    for (const [id, hop] of hops) if (hop.kind === 'upstream' && id !== exclude) return hop
    return undefined
  }
  const nextHop = (destination: string, from: string | null): Hop | undefined => {
    const direct = hops.get(destination)
    if (direct) return direct
    const via = init.route?.(destination) ?? null
    // Never back to the neighbour it came from: its seen-cache would drop it as a duplicate.
    const routed = via !== null && via !== from ? hops.get(via) : undefined
    return routed ?? upstream(from)
  }

  const transmit = (hop: Hop, held: HeldEnvelope): void => {
    hop.send([held.bytes])
    counts.forwarded++
    if (held.localId !== null) init.onSent?.(held.localId)
  }
  /** Hands what is held for `destination` to `hop` (neighbour `peerId`), or to its current next hop. */
  const flush = (destination: string, now: number, peerId?: string, hop?: Hop): void => {
    // A home relay gives up what it keeps only to the destination's own link.
    if (init.keepFor?.(destination, now) && (hop ? peerId !== destination : !hops.has(destination))) return
    const hopsFor: Hop[] = []
    // Hops are chosen before anything is sent, and what has none stays held in its
    // place (keeping its age for eviction): a send can re-enter route() on this
    // node, as around a ring of relays.
    const live = mailbox.take(destination, now, (held) => {
      // Not back to the neighbour that handed it to us (a relay that reconnects):
      // it would drop it as a duplicate and the mail would be lost, not held.
      const to = hop ? (held.from === peerId ? undefined : hop) : nextHop(destination, held.from)
      if (to) hopsFor.push(to)
      return to !== undefined
    })
    live.forEach((held, i) => transmit(hopsFor[i]!, held))
  }

  return {
    route(bytes, from) {
      let envelope: Envelope
      try {
        envelope = decodeEnvelope(bytes)
      } catch {
        counts.dropped++
        return 'dropped'
      }
      const now = init.clock.now()
      mailbox.prune(now)
      const { header } = envelope
      const id = toHex(header.id)
      if (header.expiresAt < now || !seen.add(id, header.attempt, now, from === null ? 'exact' : 'newer')) {
        counts.dropped++
        return 'dropped'
      }
      if (equals(header.destination, init.self)) {
        counts.delivered++
        init.deliverLocal(envelope)
        return 'local'
      }
      const destination = toHex(header.destination)
      let out = bytes
      if (from !== null) {
        // A neighbour's mail addressed to itself has nowhere to go but back: a reflection.
        if (destination === from) {
          counts.dropped++
          return 'dropped'
        }
        if (header.ttl === 0) {
          counts.dropped++
          return 'dropped'
        }
        out = decrementTtl(bytes, MAX_FORWARD_TTL)
      }
      const held: HeldEnvelope = { id, bytes: out, expiresAt: header.expiresAt, localId: from === null ? id : null, from }
      const hop = nextHop(destination, from)
      const keep = hop !== undefined && hop !== hops.get(destination) && (init.keepFor?.(destination, now) ?? false)
      if (hop) {
        transmit(hop, held)
        if (!keep) return 'forwarded'
      }
      const result = mailbox.hold(destination, held, now)
      // Custody full, but a copy went along the route: that is a forward, not a refusal.
      if (result.type === 'refused' && keep) return 'forwarded'
      if (result.type === 'refused') {
        counts.dropped++
        init.onRefused?.(header.id, from, result.reason)
        return 'refused'
      }
      // A retry replaced the copy held before: that one is dropped, so held + dropped still adds up.
      if (result.type === 'replaced') counts.dropped++
      // Acked again on a retry too: the sender retransmits because it missed the first ack.
      if (from !== null) init.onHeld?.(header.id, from, destination, header.expiresAt)
      return 'held'
    },
    addHop(peerId, hop) {
      if (peerId === selfHex) return
      hops.set(peerId, hop)
      const now = init.clock.now()
      flush(peerId, now, peerId, hop)
      // A new relay is a route to everyone this node could not reach before.
      if (hop.kind === 'upstream') {
        for (const destination of mailbox.destinations()) flush(destination, now, peerId, hop)
      }
    },
    retry(destination) {
      flush(destination, init.clock.now())
    },
    prune() {
      mailbox.prune(init.clock.now())
    },
    removeHop(peerId, hop) {
      if (hops.get(peerId) === hop) hops.delete(peerId)
    },
    stats() {
      const { envelopes, bytes, refused, evicted } = mailbox.stats()
      return { ...counts, held: envelopes, heldBytes: bytes, refused, evicted }
    },
  }
}

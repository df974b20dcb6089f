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
import { equals, fromHex, toHex } from '../bytes.ts'
import type { Clock } from '../ports/index.ts'
import { decodeEnvelope, decrementTtl } from '../wire/index.ts'
import type { Envelope, RefuseReason } from '../wire/index.ts'
import { createMailbox } from './mailbox.ts'
import type { EvictionReason, HeldEnvelope, MailboxInit, RefusalReason } from './mailbox.ts'
import { createPendingDials } from './pendingDials.ts'
import { createSeenCache } from './seenCache.ts'

/** A neighbour's open link, as the data plane sees it. */
export interface Hop {
  /** 'upstream' links were dialed by this node (its relays); 'peer' links were accepted. */
  readonly kind: 'upstream' | 'peer'
  /** Queues envelopes on the link; it coalesces them into frames. */
  send(envelopes: readonly Uint8Array[]): void
}

/** A home relay of a destination, from the destination's verified reach record (engine/reach). */
export interface HomeHint {
  /** Hex identity the relay proves in its link handshake. */
  readonly id: string
  /** Where to dial it (ws:// or wss://). */
  readonly address: string
}

/** How long a relay queues mail for someone else's home relay while its link to it is being dialed. */
export const PENDING_DIAL_HOLD_MS = 30_000

/** 'refused': custody would break a budget, or is not this node's to give; the reason goes to `onRefused`. */
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
  readonly onRefused?: (messageId: Uint8Array, from: string | null, reason: RefuseReason) => void
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
  /**
   * The home relays of `destination` from its verified reach record, or null when none is
   * known (issue 11): mail goes to one of them by address, not along global routes.
   */
  readonly homesOf?: (destination: string, now: number) => readonly HomeHint[] | null
  /**
   * Set on relays: custody only for the destinations this returns true for (the users who
   * registered it as a home relay). Other mail is forwarded, queued briefly while a link to
   * one of the destination's home relays is dialed, or refused 'no-custody'. Absent: this
   * node holds whatever has no hop (a user's own outgoing mail).
   */
  readonly custodyFor?: (destination: string, now: number) => boolean
  /** Asks the host to open links to these relays (none is open); mail waits for the first. */
  readonly dial?: (relays: readonly HomeHint[]) => void
  /**
   * Whether what has no better hop goes to a relay this node dialed (default true). A user's
   * engine: yes, its relays carry its mail. A relay: no, its dialed links lead to other
   * relays' users, and mail for a destination goes only to that destination's own relays.
   */
  readonly upstreamFallback?: boolean
  /**
   * A user's own relays among its upstream links. Mail goes through them first, so the
   * recipient's relay never learns the sender's address (private routing); a contact's relay
   * this node also dialed is used directly only when no own relay is open. Absent: every
   * upstream link is the node's own.
   */
  readonly ownRelay?: (peerId: string) => boolean
  /** Called before envelopes for `destination` go to neighbour `peerId` (the data plane passes reach records ahead). */
  readonly beforeSend?: (peerId: string, hop: Hop, destination: string) => void
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
  /** Envelopes refused because this relay is not the destination's home (a part of `dropped`, not of `refused`). */
  readonly noCustody: number
  /** Envelopes queued while a link to the destination's home relay was dialed (a part of `held` while they wait). */
  readonly pendingDial: number
}

export interface Forwarder {
  /** Routes bytes that came from neighbour `from` (hex id), or from this node when null. */
  route(bytes: Uint8Array, from: string | null): RouteResult
  addHop(peerId: string, hop: Hop): void
  removeHop(peerId: string, hop: Hop): void
  /** Offers what is held for `destination` to its current next hop: call when a route to it appears. */
  retry(destination: string): void
  /**
   * A dial to relay `relayId` was given up. Mail that waited for it alone, with no other home
   * relay of its destination linked or dialed, is refused 'home-unreachable' (this node's own
   * mail and what it holds in custody stay held; the sender still hears why).
   */
  unreachable(relayId: string): void
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
  const counts = { forwarded: 0, delivered: 0, dropped: 0, noCustody: 0, pendingDial: 0 }
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

  const upstreamFallback = init.upstreamFallback ?? true
  const pending = createPendingDials({ forgetAfterMs: PENDING_DIAL_HOLD_MS })

  const upstream = (exclude: string | null, own: boolean): [string, Hop] | undefined => {
    for (const [id, hop] of hops) {
      if (hop.kind === 'upstream' && id !== exclude && (!own || (init.ownRelay?.(id) ?? true))) return [id, hop]
    }
    return undefined
  }
  /** An open link to one of `homes` (not `from`), among those `pick` accepts. */
  const linkedHome = (homes: readonly HomeHint[] | null, from: string | null, pick: (id: string) => boolean): [string, Hop] | undefined => {
    if (homes === null) return undefined
    for (const { id } of homes) {
      const hop = id !== from ? hops.get(id) : undefined
      if (hop && pick(id)) return [id, hop]
    }
    return undefined
  }
  /**
   * Where mail for `destination` goes next (issue 11): its own link; one of its home relays
   * when this node shares it (a user on the same relay; a relay with a link to it); a local
   * route; the user's own relay (private routing: the recipient's relay hears from relays
   * only); any of the recipient's home relays linked; any relay this node dialed.
   */
  const nextHop = (destination: string, from: string | null, homes: readonly HomeHint[] | null): [string, Hop] | undefined => {
    const direct = hops.get(destination)
    if (direct) return [destination, direct]
    const shared = linkedHome(homes, from, (id) => init.ownRelay?.(id) ?? true)
    if (shared) return shared
    const via = init.route?.(destination) ?? null
    // Never back to the neighbour it came from: its seen-cache would drop it as a duplicate.
    const routed = via !== null && via !== from ? hops.get(via) : undefined
    if (routed) return [via!, routed]
    if (!upstreamFallback) return linkedHome(homes, from, () => true)
    return upstream(from, true) ?? linkedHome(homes, from, () => true) ?? upstream(from, false)
  }
  /** Home relays of `destination` this node could dial (not itself); asks for them and records the wait. */
  const dialHomes = (destination: string, homes: readonly HomeHint[] | null, now: number): boolean => {
    if (!init.dial || homes === null) return false
    const others = homes.filter((h) => h.id !== selfHex)
    if (others.length === 0) return false
    pending.wait(others.map((h) => h.id), destination, now)
    init.dial(others)
    return true
  }

  const transmit = (peerId: string, hop: Hop, held: HeldEnvelope, destination: string): void => {
    init.beforeSend?.(peerId, hop, destination)
    hop.send([held.bytes])
    counts.forwarded++
    if (held.localId !== null) init.onSent?.(held.localId)
  }
  /** Hands what is held for `destination` to `hop` (neighbour `peerId`), or to its current next hop. */
  const flush = (destination: string, now: number, peerId?: string, hop?: Hop): void => {
    // A home relay gives up what it keeps only to the destination's own link.
    if (init.keepFor?.(destination, now) && (hop ? peerId !== destination : !hops.has(destination))) return
    const homes = hop ? null : (init.homesOf?.(destination, now) ?? null)
    const hopsFor: [string, Hop][] = []
    let stuck = false
    // Hops are chosen before anything is sent, and what has none stays held in its
    // place (keeping its age for eviction): a send can re-enter route() on this
    // node, as around a ring of relays.
    const live = mailbox.take(destination, now, (held) => {
      // Not back to the neighbour that handed it to us (a relay that reconnects):
      // it would drop it as a duplicate and the mail would be lost, not held.
      const to: [string, Hop] | undefined = hop ? (held.from === peerId ? undefined : [peerId!, hop]) : nextHop(destination, held.from, homes)
      if (to) hopsFor.push(to)
      else stuck = true
      return to !== undefined
    })
    live.forEach((held, i) => transmit(hopsFor[i]![0], hopsFor[i]![1], held, destination))
    // What found no hop waits for a link to one of the destination's home relays, dialed now.
    if (stuck) dialHomes(destination, homes, now)
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
      const homes = init.homesOf?.(destination, now) ?? null
      const next = nextHop(destination, from, homes)
      const keep = next !== undefined && next[1] !== hops.get(destination) && (init.keepFor?.(destination, now) ?? false)
      if (next) {
        transmit(next[0], next[1], held, destination)
        if (!keep) return 'forwarded'
      }
      // Custody is the recipient's choice: a relay holds only for those who registered it.
      // (A node's own mail always waits here: its outbox decides when to give up.)
      const custody = keep || from === null || (init.custodyFor?.(destination, now) ?? true)
      const dialing = !next && dialHomes(destination, homes, now)
      if (!custody && !dialing) {
        counts.dropped++
        counts.noCustody++
        init.onRefused?.(header.id, from, 'no-custody')
        return 'refused'
      }
      // Queued for a link being dialed, not in custody: briefly, and acknowledged by nobody here.
      const queued: HeldEnvelope = custody ? held : { ...held, expiresAt: Math.min(held.expiresAt, now + PENDING_DIAL_HOLD_MS) }
      const result = mailbox.hold(destination, queued, now)
      // Custody full, but a copy went along the route: that is a forward, not a refusal.
      if (result.type === 'refused' && keep) return 'forwarded'
      if (result.type === 'refused') {
        counts.dropped++
        init.onRefused?.(header.id, from, result.reason)
        return 'refused'
      }
      // A retry replaced the copy held before: that one is dropped, so held + dropped still adds up.
      if (result.type === 'replaced') counts.dropped++
      if (!custody) {
        counts.pendingDial++
        return 'held'
      }
      // Acked again on a retry too: the sender retransmits because it missed the first ack.
      if (from !== null) init.onHeld?.(header.id, from, destination, header.expiresAt)
      return 'held'
    },
    addHop(peerId, hop) {
      if (peerId === selfHex) return
      hops.set(peerId, hop)
      const now = init.clock.now()
      flush(peerId, now, peerId, hop)
      // Mail that waited for this relay's link (it is one of their home relays).
      for (const destination of pending.take(peerId)) flush(destination, now, peerId, hop)
      // A new relay is a route to everyone this node could not reach before.
      if (hop.kind === 'upstream' && upstreamFallback) {
        for (const destination of mailbox.destinations()) flush(destination, now, peerId, hop)
      }
    },
    retry(destination) {
      flush(destination, init.clock.now())
    },
    unreachable(relayId) {
      const now = init.clock.now()
      for (const destination of pending.take(relayId)) {
        const homes = init.homesOf?.(destination, now) ?? null
        // Another home relay is linked (it takes the mail now) or still being dialed (it waits for that one).
        if (homes?.some((h) => h.id !== relayId && hops.has(h.id))) {
          flush(destination, now)
          continue
        }
        if (homes?.some((h) => h.id !== relayId && pending.has(h.id, destination))) continue
        if (init.custodyFor?.(destination, now) ?? true) {
          // What this node keeps stays (its own mail: the outbox decides); its sender still hears why.
          for (const held of mailbox.peek(destination)) if (held.from === null) init.onRefused?.(fromHex(held.id), null, 'home-unreachable')
          continue
        }
        // What only waited for the dial goes back to its senders.
        const given = mailbox.take(destination, now)
        for (const held of given) init.onRefused?.(fromHex(held.id), held.from, 'home-unreachable')
        counts.dropped += given.length
      }
    },
    prune() {
      const now = init.clock.now()
      mailbox.prune(now)
      pending.prune(now)
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

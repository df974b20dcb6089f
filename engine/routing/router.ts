/**
 * The control plane of a mesh node: a Babel-style distance-vector router
 * (RFC 8966 §2–3) over signed origin announcements (DESIGN.md §5). Every node
 * announces itself with a fresh seqno each interval; neighbours pass the
 * announcement on with their hop count, and each node keeps, per destination,
 * the feasible route of least metric. Pure data driven by its caller: it sends
 * nothing itself but returns the 'announce' frames to send, so meshNode and
 * the simulator run the very same code.
 *
 * Routes are local (issue 11, "a local mesh that stays local"): they cover the
 * direct links between users and plain mesh nodes, `scopeHops` hops at most.
 * A node takes a neighbour's update only when it puts the origin within scope,
 * and passes a route on only when it arrives within scope; past that, mail
 * goes to the home relays named in the recipient's signed reach record, and
 * relays dial each other by address. A custodian (relay) announces itself and
 * learns the routes of its neighbourhood, but passes no other origin on.
 */
import { toHex } from '../bytes.ts'
import type { Identity } from '../identity/identity.ts'
import type { Clock, Crypto } from '../ports/index.ts'
import type { PublicSignedPrekey } from '../session/prekeys.ts'
import { MalformedError } from '../wire/errors.ts'
import { createAnnouncement } from './announcement.ts'
import type { Announcement } from './announcement.ts'
import { createAnnouncementVerifier } from './announcementVerifier.ts'
import { createRouteTable, INFINITY, seqnoNewer } from './routeTable.ts'
import type { SelectedRoute } from './routeTable.ts'

/** The 'announce' link frame (engine/wire/linkFrame.ts). */
export interface AnnounceFrame {
  readonly type: 'announce'
  readonly announcement: Uint8Array
  readonly metric: number
}

/** A frame for the caller to send on its link to neighbour `to` (hex id). */
export interface Outgoing {
  readonly to: string
  readonly frame: AnnounceFrame
}

export interface RouteView {
  readonly destination: string
  readonly nextHop: string
  /** Hops to the destination. */
  readonly metric: number
  readonly seqno: number
  readonly custodian: boolean
}

/**
 * Hops a route may span (issue 11): a node keeps routes to origins at most this
 * far and passes on only those that arrive within it. Four covers a household's
 * or a street's direct links; anyone farther is reached through home relays.
 */
export const DEFAULT_ANNOUNCE_SCOPE = 4

export interface RouterInit {
  readonly self: Identity
  readonly crypto: Crypto
  readonly clock: Clock
  /**
   * This node offers custody (holds mail for others): set on relays. A custodian
   * announces itself and learns its neighbours' routes but passes none of them on.
   */
  readonly custodian: boolean
  /** This node's current signed prekey, read at every announcement; a new id is announced at the next tick. */
  readonly prekey: () => PublicSignedPrekey | null
  /** Own announcement period (default 30 s, RFC 8966 Appendix B's update interval uses 4 s on wired links). */
  readonly announceIntervalMs?: number
  /** A route not refreshed for this long expires (default 3.5 intervals, RFC 8966 §3.5.3). */
  readonly routeTimeoutMs?: number
  /** Called when the next hop to a destination changes; null when it became unreachable. */
  readonly onRouteChange?: (destination: string, nextHop: string | null) => void
  /** Destinations (and their latest announcements) kept at most (default 10,000). */
  readonly maxOrigins?: number
  /**
   * A route is kept only when its metric here is at most this, and advertised only when
   * it is below it, so that it arrives within scope (default `DEFAULT_ANNOUNCE_SCOPE`).
   */
  readonly scopeHops?: number
}

export interface Router {
  /**
   * A link to `peerId` opened: returns this node's announcement and every route it
   * advertises for that neighbour (within scope; none on a custodian), and a fresh own
   * announcement for every neighbour when due.
   */
  linkUp(peerId: string): Outgoing[]
  /** A link closed: routes through it go, and the retractions or new routes that follow are returned. */
  linkDown(peerId: string): Outgoing[]
  /**
   * A neighbour's 'announce' frame; returns the triggered updates to send now.
   * Throws a typed error (see `isAnnouncementError`) on a malformed, stale or
   * forged announcement, and then changes nothing.
   */
  receive(fromPeer: string, announcement: Uint8Array, metric: number): Outgoing[]
  /** Periodic work: own announcement with a fresh seqno when due, route expiry. Call every second or so. */
  tick(now: number): Outgoing[]
  /** The neighbour to hand mail for `destination` to, or null. */
  nextHop(destination: string): string | null
  /** Reachable destinations that announced custodian = true, nearest first. */
  custodians(): string[]
  /** Latest verified signed prekey of `origin` (hex id). */
  prekeyOf(origin: string): PublicSignedPrekey | null
  routes(): RouteView[]
}

/** Re-announcements a lost link triggers come at most once per this fraction of the interval. */
const REANNOUNCE_HOLD_FRACTION = 6

export function createRouter(init: RouterInit): Router {
  const selfHex = toHex(init.self.signingKey.publicKey)
  const interval = init.announceIntervalMs ?? 30_000
  const routeTimeout = init.routeTimeoutMs ?? Math.round(interval * 3.5)
  const maxOrigins = init.maxOrigins ?? 10_000
  const scope = init.scopeHops ?? DEFAULT_ANNOUNCE_SCOPE
  // Past INFINITY - 2 a metric one more hop makes infinite anyway (a retraction).
  if (!Number.isInteger(scope) || scope < 1 || scope > INFINITY - 2) throw new RangeError(`scopeHops ${scope} out of range`)
  // RFC 8966 Appendix B: SOURCE_GC_TIME 3 minutes; never shorter than a route's life.
  const table = createRouteTable({ sourceGcMs: Math.max(180_000, 2 * routeTimeout) })
  const verifier = createAnnouncementVerifier(init.crypto, { maxEntries: Math.min(4 * maxOrigins, 65_536) })
  /** Open links per neighbour: a reconnect may open the new link before the old one reports down. */
  const links = new Map<string, number>()
  const origins = new Map<string, Announcement>()
  let own: { bytes: Uint8Array; seqno: number; prekeyId: number | null; at: number } | null = null
  // A link went down since the last own announcement: a fresh seqno is owed to the mesh.
  let reannounceDue = false
  let lastTriggered = -Infinity
  const hold = interval / REANNOUNCE_HOLD_FRACTION

  const frame = (announcement: Uint8Array, metric: number): AnnounceFrame => ({ type: 'announce', announcement, metric })
  const toAll = (announcement: Uint8Array, metric: number, skip: (peer: string) => boolean = () => false): Outgoing[] =>
    [...links.keys()].filter((peer) => !skip(peer)).map((to) => ({ to, frame: frame(announcement, metric) }))

  /**
   * Signs a new own announcement. The seqno never falls behind the clock in
   * seconds, so a node that restarted without its state still announces a
   * newer seqno than any it sent before (RFC 8966 §3.2.2 keeps it in stable
   * storage instead).
   */
  const announceSelf = (now: number): Uint8Array => {
    const prekey = init.prekey()
    const second = Math.floor(now / 1000) >>> 0
    const next = own === null ? second : (own.seqno + 1) >>> 0
    const seqno = own === null || seqnoNewer(second, next) ? second : next
    const bytes = createAnnouncement(init.crypto, init.self, { seqno, issuedAt: now, custodian: init.custodian, prekey })
    own = { bytes, seqno, prekeyId: prekey?.id ?? null, at: now }
    if (reannounceDue) lastTriggered = now
    reannounceDue = false
    return bytes
  }

  /**
   * True when a new own announcement is due. Besides the period and a new
   * prekey: after a lost link, nodes that reached us across it may hold only
   * unfeasible routes to us. RFC 8966 §3.8.2 has them ask the origin for a new
   * seqno; the origin knows it lost a link, so it issues one unasked (held
   * down, so that a flapping link cannot flood the mesh).
   */
  const announceDue = (now: number): boolean =>
    own === null ||
    now - own.at >= interval ||
    (init.prekey()?.id ?? null) !== own.prekeyId ||
    (reannounceDue && now - lastTriggered >= hold)

  /**
   * Whether a selected route is passed on to the neighbours. Only within scope: at
   * `scope - 1` hops here it arrives at `scope`, the farthest a neighbour keeps.
   *
   * A custodian passes on no route but its own announcement (announceSelf). Its
   * neighbours are its own users and their local mesh, and it could pass their
   * routes to other relays and their users, who would pass on theirs: every relay
   * would keep a route to every user of the network and hear every one of their
   * announcements each interval, and one peer signing fake origins at one relay
   * would have them verified, stored and forwarded network-wide. Instead relays
   * find each other's users through reach records (engine/reach): a relay's route
   * state and announcement traffic grow with its neighbourhood, not the network,
   * and a flood of fake origins at one relay reaches nobody else.
   */
  const advertised = (route: SelectedRoute | undefined): route is SelectedRoute =>
    route !== undefined && !init.custodian && route.metric < scope

  /** What the neighbours must hear after the selection for `origin` went from `before` to `after`. */
  const advertise = (origin: string, before: SelectedRoute | undefined, after: SelectedRoute | undefined): Outgoing[] => {
    if (before?.nextHop !== after?.nextHop) init.onRouteChange?.(origin, after?.nextHop ?? null)
    if (!advertised(after)) {
      // RFC 8966 §3.7.2: a lost route is retracted at once, so nobody keeps routing through us.
      // So is one that grew out of scope (it is still ours to use, no longer theirs): what the
      // neighbours hold through us must go. A route never advertised needs no retraction.
      return advertised(before) ? toAll(before.announcement, INFINITY, (peer) => peer === origin) : []
    }
    // Out of scope or absent before: no neighbour holds it through us, all of them must hear it.
    const news = !advertised(before) || before.seqno !== after.seqno || before.metric !== after.metric
    // RFC 8966 §3.7.4 split horizon: never advertise a route to its own next hop. When only
    // the next hop changed, the old next hop is the one neighbour that has not heard it.
    const skip = (peer: string): boolean =>
      peer === after.nextHop || peer === origin || (!news && peer !== before?.nextHop)
    return toAll(after.announcement, after.metric, skip)
  }

  const reselect = (origin: string, now: number): Outgoing[] => {
    const before = table.selected(origin)
    return advertise(origin, before, table.select(origin, now))
  }

  const remember = (origin: string, announcement: Announcement): void => {
    const known = origins.get(origin)
    if (known && !seqnoNewer(announcement.seqno, known.seqno)) return
    origins.delete(origin)
    origins.set(origin, announcement)
    if (origins.size > maxOrigins) origins.delete(origins.keys().next().value!)
  }

  return {
    linkUp(peerId) {
      if (peerId === selfHex) return []
      links.set(peerId, (links.get(peerId) ?? 0) + 1)
      const now = init.clock.now()
      const out: Outgoing[] = announceDue(now) ? toAll(announceSelf(now), 0) : [{ to: peerId, frame: frame(own!.bytes, 0) }]
      // A full dump for the new neighbour (RFC 8966 §3.7.1's periodic update, sent at once):
      // what this node advertises, so none of it on a custodian and only routes within scope.
      for (const [origin, route] of table.selectedRoutes()) {
        if (advertised(route) && route.nextHop !== peerId && origin !== peerId) out.push({ to: peerId, frame: frame(route.announcement, route.metric) })
      }
      return out
    },

    linkDown(peerId) {
      const count = links.get(peerId)
      if (count === undefined) return []
      if (count > 1) {
        links.set(peerId, count - 1)
        return []
      }
      links.delete(peerId)
      const now = init.clock.now()
      const out: Outgoing[] = []
      for (const origin of table.dropNeighbour(peerId)) out.push(...reselect(origin, now))
      // A relay's neighbours reach it over their own link, never across one it lost (it passes
      // no routes on), so a lost link owes them nothing: no re-announcement. Its pool of links
      // to other relays churns all the time, and each loss re-announced to every phone on it
      // (bench/sim/homeSim.md: 500–620 announcements per user per hour at 100–1,000 relays).
      if (!init.custodian) reannounceDue = true
      if (links.size > 0 && announceDue(now)) out.push(...toAll(announceSelf(now), 0))
      return out
    },

    receive(fromPeer, announcement, metric) {
      if (!Number.isInteger(metric) || metric < 0 || metric > INFINITY) throw new MalformedError('announce metric must be a u16')
      if (!links.has(fromPeer)) return []
      const now = init.clock.now()
      const verified = verifier.verify(announcement, now)
      const origin = toHex(verified.announcement.origin)
      if (origin === selfHex) return []
      // A retraction, a metric that one more hop makes infinite, or an origin out of scope:
      // the neighbour's route goes (it may have been within scope before), and nothing is kept.
      if (metric >= INFINITY - 1 || metric + 1 > scope) return table.retract(origin, fromPeer) ? reselect(origin, now) : []
      // Keys are free to make: past maxOrigins, a new origin is ignored rather than let the table grow.
      if (!table.has(origin) && table.size >= maxOrigins) return []
      remember(origin, verified.announcement)
      const { seqno } = verified.announcement
      const expiresAt = now + routeTimeout
      table.update(origin, fromPeer, { seqno, advertised: metric, metric: metric + 1, announcement: verified.bytes, expiresAt })
      return reselect(origin, now)
    },

    tick(now) {
      const out: Outgoing[] = []
      // Nobody to tell, nothing to sign: linkUp signs afresh when the last one is old.
      if (links.size > 0 && announceDue(now)) out.push(...toAll(announceSelf(now), 0))
      for (const origin of table.expire(now)) out.push(...reselect(origin, now))
      return out
    },

    nextHop(destination) {
      if (links.has(destination)) return destination
      return table.selected(destination)?.nextHop ?? null
    },

    custodians() {
      return [...table.selectedRoutes()]
        .filter(([origin]) => origins.get(origin)?.custodian === true)
        .sort(([a, x], [b, y]) => x.metric - y.metric || (a < b ? -1 : 1))
        .map(([origin]) => origin)
    },

    prekeyOf: (origin) => origins.get(origin)?.prekey ?? null,

    routes() {
      return [...table.selectedRoutes()].map(([destination, r]) => ({
        destination,
        nextHop: r.nextHop,
        metric: r.metric,
        seqno: r.seqno,
        custodian: origins.get(destination)?.custodian ?? false,
      }))
    },
  }
}

/**
 * The route and source tables of a Babel-style distance-vector router
 * (RFC 8966 §3.2), as plain data. Destinations are origins (hex identity
 * ids); the metric is a hop count. For every (origin, neighbour) the table
 * keeps the neighbour's latest update; per origin it keeps the feasibility
 * distance, the best (seqno, metric) this node has advertised, and it only
 * ever selects a feasible route, which is what keeps routes loop-free while
 * the mesh changes (RFC 8966 §2.4, §3.5.1; DSDV's seqnos alone do not).
 */
import { RETRACTION_METRIC } from '../wire/linkFrame.ts'

/** RFC 8966 §2.1: the infinite metric; routes with it are unreachable. */
export const INFINITY = RETRACTION_METRIC

/** RFC 8966 §3.2.1, modulo 2^32 instead of 2^16: true when seqno `a` is newer than `b`. */
export function seqnoNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0
  return d !== 0 && d < 0x80000000
}

/** A neighbour's latest update for an origin (RFC 8966 §3.2.6). */
export interface RouteEntry {
  readonly seqno: number
  /** The metric the neighbour advertised: its own hop count to the origin. */
  readonly advertised: number
  /** Hops from this node: `advertised` + 1 (every link costs 1). */
  readonly metric: number
  /** The origin's signed announcement, passed on unchanged when this route is advertised. */
  readonly announcement: Uint8Array
  readonly expiresAt: number
}

export interface SelectedRoute extends RouteEntry {
  readonly nextHop: string
}

/** A feasibility distance (RFC 8966 §3.2.5): the best this node advertised for the origin. */
interface Source {
  seqno: number
  metric: number
  expiresAt: number
}

export interface RouteTable {
  /** RFC 8966 §3.5.3: records a finite update (an infinite one is `retract`). */
  update(origin: string, neighbour: string, entry: RouteEntry): void
  /** Forgets the neighbour's route to `origin`; true when it had one. */
  retract(origin: string, neighbour: string): boolean
  /** Forgets every route through `neighbour` (its link went down); returns the origins affected. */
  dropNeighbour(neighbour: string): string[]
  /** Forgets routes not refreshed by `now` and idle sources; returns the origins whose routes expired. */
  expire(now: number): string[]
  /**
   * RFC 8966 §3.6: selects the feasible route of least metric (the current one
   * on a tie) and lowers the feasibility distance to it (§3.7.3 — done here
   * because this router advertises every change at once). Returns the selection.
   */
  select(origin: string, now: number): SelectedRoute | undefined
  selected(origin: string): SelectedRoute | undefined
  /** Every origin with a selected route. */
  selectedRoutes(): IterableIterator<[string, SelectedRoute]>
  /** True when an update (seqno, advertised) would pass the feasibility condition. */
  feasible(origin: string, seqno: number, advertised: number): boolean
  /** True when some neighbour has a route to `origin`. */
  has(origin: string): boolean
  /** Origins some neighbour has a route to. */
  readonly size: number
}

export interface RouteTableInit {
  /** RFC 8966 Appendix B: SOURCE_GC_TIME, 3 minutes. */
  readonly sourceGcMs: number
}

export function createRouteTable(init: RouteTableInit): RouteTable {
  const routes = new Map<string, Map<string, RouteEntry>>()
  const sources = new Map<string, Source>()
  const chosen = new Map<string, SelectedRoute>()
  // No route expires before this: most ticks skip the scan.
  let earliest = Infinity
  let nextSourceCheck = 0

  const feasible = (origin: string, seqno: number, advertised: number): boolean => {
    // RFC 8966 §3.5.1: newer seqno, or same seqno and strictly smaller metric.
    if (advertised >= INFINITY) return false
    const source = sources.get(origin)
    if (source === undefined) return true
    return seqnoNewer(seqno, source.seqno) || (seqno === source.seqno && advertised < source.metric)
  }

  const remove = (origin: string, neighbour: string): boolean => {
    const byNeighbour = routes.get(origin)
    if (!byNeighbour?.delete(neighbour)) return false
    if (byNeighbour.size === 0) routes.delete(origin)
    return true
  }

  return {
    update(origin, neighbour, entry) {
      let byNeighbour = routes.get(origin)
      if (!byNeighbour) routes.set(origin, (byNeighbour = new Map()))
      byNeighbour.set(neighbour, entry)
      earliest = Math.min(earliest, entry.expiresAt)
    },
    retract: remove,
    dropNeighbour(neighbour) {
      const affected: string[] = []
      for (const origin of [...routes.keys()]) if (remove(origin, neighbour)) affected.push(origin)
      return affected
    },
    expire(now) {
      const affected = new Set<string>()
      if (now < earliest && now < nextSourceCheck) return []
      earliest = Infinity
      for (const [origin, byNeighbour] of routes) {
        for (const [neighbour, entry] of byNeighbour) {
          if (entry.expiresAt <= now) {
            byNeighbour.delete(neighbour)
            affected.add(origin)
          } else earliest = Math.min(earliest, entry.expiresAt)
        }
        if (byNeighbour.size === 0) routes.delete(origin)
      }
      nextSourceCheck = now + init.sourceGcMs / 4
      // A source outlives its routes (RFC 8966 §3.2.5): forgetting it early would
      // let a stale, longer route back in, the start of a count to infinity.
      for (const [origin, source] of sources) {
        if (source.expiresAt <= now && !routes.has(origin) && !chosen.has(origin)) sources.delete(origin)
      }
      return [...affected]
    },
    select(origin, now) {
      const current = chosen.get(origin)
      let best: SelectedRoute | undefined
      for (const [nextHop, entry] of routes.get(origin) ?? []) {
        if (!feasible(origin, entry.seqno, entry.advertised)) continue
        const better =
          best === undefined ||
          entry.metric < best.metric ||
          (entry.metric === best.metric && nextHop === current?.nextHop)
        if (better) best = { ...entry, nextHop }
      }
      if (best === undefined) {
        chosen.delete(origin)
        return undefined
      }
      chosen.set(origin, best)
      const source = sources.get(origin)
      const expiresAt = now + init.sourceGcMs
      if (source === undefined || seqnoNewer(best.seqno, source.seqno)) {
        sources.set(origin, { seqno: best.seqno, metric: best.metric, expiresAt })
      } else {
        if (best.seqno === source.seqno && best.metric < source.metric) source.metric = best.metric
        source.expiresAt = expiresAt
      }
      return best
    },
    selected: (origin) => chosen.get(origin),
    selectedRoutes: () => chosen.entries(),
    feasible,
    has: (origin) => routes.has(origin),
    get size() {
      return routes.size
    },
  }
}

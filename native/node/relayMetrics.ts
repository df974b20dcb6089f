/**
 * The relay's Prometheus metrics (issue 10), served at `GET /metrics`. Every metric is
 * read from its source when scraped (prom-client `collect` callbacks): nothing here runs
 * per frame, per link event or on a timer, so a relay under attack pays only for scrapes.
 *
 * One Registry per relay (tests start several relays in one process); Node's process
 * metrics (event-loop lag, RSS, heap, GC, open fds) are per process, so they live in a
 * single process-wide registry, appended to every relay's page.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { RegistrationStats } from '../../engine/reach/index.ts'
import type { ForwarderStats } from '../../engine/routing/forwarder.ts'
import type { WsLinkStats } from './wsTransport.ts'
import type { RelayPoolStats } from '../../workers/relayPool.ts'

/**
 * What `mesh.defence.stats()` reports (workers/startMesh.ts, issue 10). The last three
 * are optional so this compiles against every version of it.
 */
export interface DefenceStats {
  /** Items shed per link action (frames, bytes, envelopes, announcements, handshakes). */
  readonly shed: Readonly<Record<string, number>>
  /** Links closed by the defence, by reason. */
  readonly closes: Readonly<Record<string, number>>
  /** Neighbours graylisted now. */
  readonly graylisted?: number
  /** The current score of every neighbour the node keeps one for. */
  readonly scores?: readonly number[]
  readonly backpressureDrops?: number
}

export interface RelayMetricsSources {
  /** The mesh's links, each with its state (`mesh.links()`); scanned per scrape only. */
  links(): readonly { readonly state: string }[]
  connections(): WsLinkStats
  /** `mesh.forwarder.stats()`; `heldBytes` is read when a forwarder reports it. */
  forwarder(): ForwarderStats & { readonly heldBytes?: number }
  defence?: () => DefenceStats
  /** Home registrations (engine/reach/homeRegistry.ts): users who name this relay as a home relay. */
  homes?: () => RegistrationStats
  /** Destinations the router keeps a route to (one per origin whose announcements it accepted). */
  routes?: () => number
  /** Others' reach records kept to forward their mail to their home relays (engine/routing/dataPlane.ts). */
  learnedRecords?: () => number
  /** Links to other relays dialed on demand (workers/relayPool.ts). */
  pool?: () => RelayPoolStats
}

export interface RelayMetrics {
  readonly contentType: string
  /** The Prometheus text page: this relay's metrics, then the process's. */
  metrics(): Promise<string>
}

const PREFIX = 'sovereign_relay_'
export const LINK_STATES = ['connecting', 'handshaking', 'open', 'waiting', 'closed'] as const
/**
 * Score buckets around engine/routing/peerScore.ts's defaults: disconnect at -100,
 * graylist at -50, rewards capped at +10.
 */
const SCORE_BUCKETS = [-100, -75, -50, -25, -10, -1, 0, 5, 10]

let processRegistry: Registry | undefined

/** Counters whose source keeps the running total: set to it at each scrape. */
function setCounter<L extends string>(counter: Counter<L>, values: Readonly<Record<string, number>>, label: L): void {
  counter.reset()
  for (const [key, value] of Object.entries(values)) {
    if (Number.isFinite(value) && value >= 0) counter.inc({ [label]: key } as Partial<Record<L, string>>, value)
  }
}

/** Each source is read once per scrape, on first use, however many metrics it feeds. */
interface ScrapeCache {
  connections?: WsLinkStats
  forwarder?: ReturnType<RelayMetricsSources['forwarder']>
  defence?: DefenceStats
}

export function createRelayMetrics(sources: RelayMetricsSources): RelayMetrics {
  const registry = new Registry()
  const registers = [registry]
  let cache: ScrapeCache = {}

  new Gauge({
    name: `${PREFIX}links`,
    help: 'Mesh links by state',
    labelNames: ['state'],
    registers,
    collect() {
      const counts = Object.fromEntries(LINK_STATES.map((s) => [s, 0])) as Record<string, number>
      for (const link of sources.links()) counts[link.state] = (counts[link.state] ?? 0) + 1
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n)
    },
  })

  // Admission (connectionGate.ts) and link traffic on /link (wsTransport.ts).
  const connections = (): WsLinkStats => (cache.connections ??= sources.connections())
  const counter = (name: string, help: string, read: (s: WsLinkStats) => number): void => {
    new Counter({
      name: `${PREFIX}${name}`,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(read(connections()))
      },
    })
  }
  new Gauge({
    name: `${PREFIX}connections_open`,
    help: 'Admitted TCP connections open now (links, upgrades in progress, plain HTTP)',
    registers,
    collect() {
      this.set(connections().open)
    },
  })
  counter('connections_accepted_total', 'TCP connections admitted', (s) => s.admitted)
  new Counter({
    name: `${PREFIX}connections_refused_total`,
    help: 'Connections and upgrades refused before a WebSocket existed, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      setCounter(this, connections().refused, 'reason')
    },
  })
  counter('connections_timed_out_total', 'Connections closed for sending no request head or completing no upgrade in time', (s) => s.timedOut)
  counter('handshakes_started_total', 'WebSocket links accepted, each starting a Noise handshake', (s) => s.upgrades)
  counter('frames_received_total', 'Link frames received on accepted links', (s) => s.framesIn)
  counter('frames_sent_total', 'Link frames sent on accepted links', (s) => s.framesOut)
  counter('frame_bytes_received_total', 'Bytes of link frames received on accepted links', (s) => s.bytesIn)
  counter('frame_bytes_sent_total', 'Bytes of link frames sent on accepted links', (s) => s.bytesOut)

  // Custody and routing (engine/routing/forwarder.ts).
  const forwarder = (): ReturnType<RelayMetricsSources['forwarder']> => (cache.forwarder ??= sources.forwarder())
  new Gauge({
    name: `${PREFIX}custody_envelopes`,
    help: 'Envelopes held in custody now',
    registers,
    collect() {
      this.set(forwarder().held)
    },
  })
  // Only where this build's forwarder reports custody bytes (its stats have a fixed shape).
  if (sources.forwarder().heldBytes !== undefined) {
    new Gauge({
      name: `${PREFIX}custody_bytes`,
      help: 'Bytes charged to custody now',
      registers,
      collect() {
        this.set(forwarder().heldBytes ?? 0)
      },
    })
  }
  new Counter({
    name: `${PREFIX}custody_evictions_total`,
    help: 'Held envelopes that left custody unsent, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      setCounter(this, forwarder().evicted, 'reason')
    },
  })
  new Counter({
    name: `${PREFIX}custody_refusals_total`,
    help: 'Envelopes custody refused, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      // 'no-custody': mail for someone who did not name this relay (issue 11), beside the budgets' reasons.
      setCounter(this, { ...forwarder().refused, 'no-custody': forwarder().noCustody }, 'reason')
    },
  })
  new Counter({
    name: `${PREFIX}envelopes_total`,
    help: 'Envelopes routed, by outcome',
    labelNames: ['outcome'],
    registers,
    collect() {
      const { forwarded, delivered, dropped } = forwarder()
      setCounter(this, { forwarded, delivered, dropped }, 'outcome')
    },
  })

  const readRoutes = sources.routes
  if (readRoutes) {
    new Gauge({
      name: `${PREFIX}routes`,
      help: 'Destinations this relay keeps a route to now (origins whose announcements it accepted)',
      registers,
      collect() {
        this.set(readRoutes())
      },
    })
  }
  const readLearned = sources.learnedRecords
  if (readLearned) {
    new Gauge({
      name: `${PREFIX}reach_records_learned`,
      help: "Others' reach records held to forward their mail to their home relays",
      registers,
      collect() {
        this.set(readLearned())
      },
    })
  }
  const readPool = sources.pool
  if (readPool) {
    new Gauge({
      name: `${PREFIX}relay_pool_links`,
      help: 'Links to other relays dialed on demand, open or opening',
      registers,
      collect() {
        this.set(readPool().links)
      },
    })
    new Counter({
      name: `${PREFIX}relay_pool_total`,
      help: 'Relay pool events: dialed, gave-up (no link with the expected identity in time), closed-idle, evicted (pool full), refused (not an address it may dial)',
      labelNames: ['event'],
      registers,
      collect() {
        const { dialed, gaveUp, closedIdle, evicted, refused } = readPool()
        setCounter(this, { dialed, 'gave-up': gaveUp, 'closed-idle': closedIdle, evicted, refused }, 'event')
      },
    })
  }
  const readHomes = sources.homes
  if (readHomes) {
    new Gauge({
      name: `${PREFIX}home_registrations`,
      help: 'Reach records held now: users who named this relay (and, until their record expires, those who moved away)',
      registers,
      collect() {
        this.set(readHomes().held)
      },
    })
    new Counter({
      name: `${PREFIX}home_registrations_total`,
      help: 'Reach record registrations, by outcome (accepted, left: a newer record no longer names this relay, or the refusal reason)',
      labelNames: ['outcome'],
      registers,
      collect() {
        const { accepted, left, refused } = readHomes()
        setCounter(this, { accepted, left, ...refused }, 'outcome')
      },
    })
  }

  const readDefence = sources.defence
  if (readDefence) addDefenceMetrics(registry, () => (cache.defence ??= readDefence()))

  processRegistry ??= defaultMetricsRegistry()
  const processMetrics = processRegistry
  return {
    contentType: registry.contentType,
    async metrics() {
      cache = {}
      return `${await registry.metrics()}\n${await processMetrics.metrics()}`
    },
  }
}

/** Budgets and scores of the node's neighbours (machines/linkDefence.ts). */
function addDefenceMetrics(registry: Registry, defence: () => DefenceStats): void {
  const registers = [registry]
  new Counter({
    name: `${PREFIX}shed_total`,
    help: 'Items shed over budget, by link action (bytes in bytes)',
    labelNames: ['action'],
    registers,
    collect() {
      setCounter(this, defence().shed, 'action')
    },
  })
  new Counter({
    name: `${PREFIX}link_closes_total`,
    help: 'Links closed by the defence, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      setCounter(this, defence().closes, 'reason')
    },
  })
  new Gauge({
    name: `${PREFIX}graylisted`,
    help: 'Neighbours graylisted now (the relay does not relay for them)',
    registers,
    collect() {
      this.set(defence().graylisted ?? 0)
    },
  })
  new Counter({
    name: `${PREFIX}backpressure_drops_total`,
    help: 'Envelopes a link writer dropped because the neighbour did not read',
    registers,
    collect() {
      this.reset()
      this.inc(defence().backpressureDrops ?? 0)
    },
  })
  new Histogram({
    name: `${PREFIX}peer_scores`,
    help: 'Current scores of the neighbours the relay keeps one for',
    buckets: SCORE_BUCKETS,
    registers,
    collect() {
      // A snapshot of the score book, not a stream of observations: rebuilt at each scrape.
      this.reset()
      for (const score of defence().scores ?? []) this.observe(score)
    },
  })
}

function defaultMetricsRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}

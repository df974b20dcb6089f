/** What a mesh simulation run counts, and how the figures are derived from the counts. */
import type { ForwarderStats } from '../../engine/routing/index.ts'

export type SimCounters = Record<
  | 'transmissions'
  | 'lostInFlight'
  | 'ttlExhausted'
  | 'ttlExhaustedConnected'
  | 'announceFrames'
  | 'announceBytes'
  | 'announceRejected'
  | 'signatures'
  | 'verifications',
  number
>

/** One message, from its sending to its (first) delivery. */
export interface MessageRecord {
  readonly sentAt: number
  /** Sender and recipient were connected (over links up) when it was sent. */
  readonly connected: boolean
  /** Shortest path in hops at send time (0 when not connected). */
  readonly shortest: number
  deliveries: number
  latency: number
}

export interface MeshSimResult {
  readonly nodes: number
  readonly links: number
  readonly churnEvents: number
  readonly sent: number
  /** Distinct messages that reached their recipient. */
  readonly delivered: number
  readonly deliveredPercent: number
  /** Messages whose sender and recipient were connected when it was sent, and how many of those arrived. */
  readonly connectedAtSend: number
  readonly deliveredConnected: number
  /** Deliveries beyond the first of a message. */
  readonly duplicates: number
  /** Envelopes that reached a relay with no hops left, all / of connected-at-send messages. */
  readonly ttlExhausted: number
  readonly ttlExhaustedConnected: number
  /** Envelopes on the wire between neighbours (one per hop), and per delivered message. */
  readonly transmissions: number
  readonly transmissionsPerDelivered: number
  /** Shortest path (hops) at send time, summed over delivered messages: transmissions / this is the stretch. */
  readonly shortestHops: number
  readonly stretch: number
  /** Envelopes lost with a link that dropped under them. */
  readonly lostInFlight: number
  /** Still held somewhere at the end. */
  readonly heldAtEnd: number
  /** Envelopes the forwarders dropped (duplicates by id, expired, no hops left, mailbox full). */
  readonly dropped: number
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number }
  readonly announceFrames: number
  readonly announceBytes: number
  readonly announceRejected: number
  /** Ed25519 operations of all nodes together (announcements; identities excluded). */
  readonly signatures: number
  readonly verifications: number
  readonly virtualMs: number
}

export function summarize(run: {
  readonly nodes: number
  readonly links: number
  readonly churnEvents: number
  readonly counters: SimCounters
  readonly messages: readonly MessageRecord[]
  readonly forwarders: readonly ForwarderStats[]
  readonly virtualMs: number
}): MeshSimResult {
  const delivered = run.messages.filter((m) => m.deliveries > 0)
  const latencies = delivered.map((m) => m.latency).sort((a, b) => a - b)
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  const shortestHops = delivered.reduce((sum, m) => sum + m.shortest, 0)
  const { transmissions } = run.counters
  return {
    nodes: run.nodes,
    links: run.links,
    churnEvents: run.churnEvents,
    sent: run.messages.length,
    delivered: delivered.length,
    deliveredPercent: (100 * delivered.length) / Math.max(1, run.messages.length),
    connectedAtSend: run.messages.filter((m) => m.connected).length,
    deliveredConnected: delivered.filter((m) => m.connected).length,
    duplicates: run.messages.reduce((sum, m) => sum + Math.max(0, m.deliveries - 1), 0),
    ttlExhausted: run.counters.ttlExhausted,
    ttlExhaustedConnected: run.counters.ttlExhaustedConnected,
    transmissions,
    transmissionsPerDelivered: transmissions / Math.max(1, delivered.length),
    shortestHops,
    stretch: transmissions / Math.max(1, shortestHops),
    lostInFlight: run.counters.lostInFlight,
    heldAtEnd: run.forwarders.reduce((sum, f) => sum + f.held, 0),
    dropped: run.forwarders.reduce((sum, f) => sum + f.dropped, 0),
    latencyMs: { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? 0 },
    announceFrames: run.counters.announceFrames,
    announceBytes: run.counters.announceBytes,
    announceRejected: run.counters.announceRejected,
    signatures: run.counters.signatures,
    verifications: run.counters.verifications,
    virtualMs: run.virtualMs,
  }
}

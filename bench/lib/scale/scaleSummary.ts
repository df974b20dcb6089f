/**
 * The relay-scale benchmark's figures: one run's summary from the relay's stats
 * and the clients' answers, and the table rows (medians per variant over the
 * rounds, and the defence-on ÷ defence-off ratio of each).
 */
import { median, percentile, round } from '../stats.ts'
import type { Metric } from '../table.ts'
import type { ConnectResult, DisconnectResult, ForwardResult } from './peerClient.ts'
import type { RelayStats } from './relayChild.ts'

export type Variant = 'on' | 'off'

export interface ScaleRun {
  readonly variant: Variant
  readonly round: number
  readonly peers: { readonly requested: number; readonly opened: number; readonly failed: Record<string, number> }
  readonly connect: {
    readonly wallMs: number
    readonly handshakesPerSecond: number
    readonly relayCpuMs: number
    readonly relayCpuMsPerHandshake: number
    readonly clientCpuMs: number
    readonly handshakeP50Ms: number
    readonly handshakeP99Ms: number
  }
  readonly memory: {
    readonly rssEmptyMiB: number
    readonly rssWithPeersMiB: number
    readonly rssPerPeerKB: number
    readonly heapPerPeerKB: number
    /** Heap committed per peer (used + free space in V8's pages). */
    readonly heapCommittedPerPeerKB: number
    /** (all peers − none) ÷ peers: includes the heap's one-off growth, so above the slope. */
    readonly rssPerPeerFromEmptyKB: number
    readonly heapPerPeerFromEmptyKB: number
    readonly externalPerPeerKB: number
    readonly rssAfterForwardMiB: number
  }
  /** All peers connected, no traffic: keepalives (pings) and the periodic tick. */
  readonly quiet: { readonly wallMs: number; readonly relayCpuShare: number; readonly relayCpuUsPerPeerPerSecond: number }
  readonly forward: {
    readonly pairs: number
    readonly offeredPerSecond: number
    readonly sent: number
    readonly skipped: number
    readonly received: number
    readonly lost: number
    readonly closedLinks: number
    readonly messagesPerSecond: number
    readonly p50Ms: number
    readonly p99Ms: number
    readonly relayCpuMs: number
    readonly relayCpuUsPerMessage: number
    /** Less the quiet spell's CPU rate over the same time: the forwarding alone. */
    readonly relayCpuUsPerMessageNet: number
    readonly relayLoopUtilisation: number
    readonly relayLoopDelayP99Ms: number
    readonly clientCpuMs: number
    /** Clients' CPU over (wall × client processes): near 1 would mean the clients were the limit. */
    readonly clientCpuShare: number
  }
  readonly disconnect: DisconnectResult
  /** The relay closed every link and exited when asked (not killed). */
  readonly relayStoppedCleanly: boolean
  /** Non-zero shed / close / refusal / envelope counters from the relay's /metrics after forwarding. */
  readonly relayCounters: Record<string, number>
}

export interface RunInputs {
  readonly variant: Variant
  readonly round: number
  readonly requested: number
  readonly connectWallMs: number
  readonly connects: readonly ConnectResult[]
  readonly forwards: readonly ForwardResult[]
  readonly disconnects: readonly DisconnectResult[]
  /**
   * Relay stats: no peers (after gc); the first half connected (at once, then after gc); the
   * second half connected (at once, then after gc); after a quiet spell; end of forwarding.
   */
  readonly empty: RelayStats
  readonly halfConnected: RelayStats
  readonly half: RelayStats
  /** Peers open after the first half connected. */
  readonly halfOpened: number
  readonly connected: RelayStats
  readonly settled: RelayStats
  readonly quiet: RelayStats
  readonly forwarded: RelayStats
  readonly rateOffered: number
  readonly relayStoppedCleanly: boolean
  readonly relayCounters: Record<string, number>
}

const cpuMs = (s: RelayStats): number => (s.cpuUserUs + s.cpuSystemUs) / 1000
/** Time the relay's event loop saw pass between two stats (ms). */
const elapsedMs = (a: RelayStats, b: RelayStats): number => b.eluActiveMs + b.eluIdleMs - a.eluActiveMs - a.eluIdleMs
const MiB = 2 ** 20
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
const concat = (arrays: readonly Float64Array[]): number[] => arrays.flatMap((a) => Array.from(a))

export function summarizeRun(r: RunInputs): ScaleRun {
  const opened = sum(r.connects.map((c) => c.opened))
  const failed: Record<string, number> = {}
  for (const c of r.connects) for (const [k, v] of Object.entries(c.failed)) failed[k] = (failed[k] ?? 0) + v
  const handshakeMs = concat(r.connects.map((c) => c.handshakeMs))
  // Relay CPU of both connect steps, less the collection between them.
  const relayConnectMs = cpuMs(r.halfConnected) - cpuMs(r.empty) + cpuMs(r.connected) - cpuMs(r.half)
  const perPeer = (a: number, b: number): number => (opened > 0 ? (b - a) / opened / 1024 : Number.NaN)
  const added = opened - r.halfOpened
  /** The slope from half the peers to all of them: what one more peer costs. */
  const perAddedPeer = (a: number, b: number): number => (added > 0 ? (b - a) / added / 1024 : Number.NaN)

  const f = r.forwards
  const sent = sum(f.map((x) => x.sent))
  const received = sum(f.map((x) => x.received))
  const inWindow = sum(f.map((x) => x.receivedInWindow))
  const windowMs = Math.max(...f.map((x) => x.sendWindowMs))
  const latency = concat(f.map((x) => x.latencyMs))
  const quietShare = (cpuMs(r.quiet) - cpuMs(r.settled)) / elapsedMs(r.settled, r.quiet)
  const relayForwardMs = cpuMs(r.forwarded) - cpuMs(r.quiet)
  const forwardElapsedMs = elapsedMs(r.quiet, r.forwarded)
  const active = r.forwarded.eluActiveMs - r.quiet.eluActiveMs
  const clientCpuMs = sum(f.map((x) => x.cpuMs))
  const clientWallMs = sum(f.map((x) => x.wallMs))
  const pairs = sum(f.map((x) => x.pairs))
  return {
    variant: r.variant,
    round: r.round,
    peers: { requested: r.requested, opened, failed },
    connect: {
      wallMs: round(r.connectWallMs),
      handshakesPerSecond: round((opened / r.connectWallMs) * 1000, 1),
      relayCpuMs: round(relayConnectMs),
      relayCpuMsPerHandshake: round(relayConnectMs / opened, 4),
      clientCpuMs: round(sum(r.connects.map((c) => c.cpuMs))),
      handshakeP50Ms: round(median(handshakeMs)),
      handshakeP99Ms: round(percentile(handshakeMs, 99)),
    },
    quiet: {
      wallMs: round(elapsedMs(r.settled, r.quiet)),
      relayCpuShare: round(quietShare, 4),
      relayCpuUsPerPeerPerSecond: round((quietShare * 1e6) / Math.max(opened, 1), 3),
    },
    memory: {
      rssEmptyMiB: round(r.empty.rss / MiB, 1),
      rssWithPeersMiB: round(r.settled.rss / MiB, 1),
      rssPerPeerKB: round(perAddedPeer(r.half.rss, r.settled.rss), 2),
      heapPerPeerKB: round(perAddedPeer(r.half.heapUsed, r.settled.heapUsed), 2),
      heapCommittedPerPeerKB: round(perAddedPeer(r.half.heapTotal, r.settled.heapTotal), 2),
      rssPerPeerFromEmptyKB: round(perPeer(r.empty.rss, r.settled.rss), 2),
      heapPerPeerFromEmptyKB: round(perPeer(r.empty.heapUsed, r.settled.heapUsed), 2),
      externalPerPeerKB: round(perPeer(r.empty.external, r.settled.external), 2),
      rssAfterForwardMiB: round(r.forwarded.rss / MiB, 1),
    },
    forward: {
      pairs,
      offeredPerSecond: round(pairs * r.rateOffered, 1),
      sent,
      skipped: sum(f.map((x) => x.skipped)),
      received,
      lost: sent - received,
      closedLinks: sum(f.map((x) => x.closed)),
      messagesPerSecond: round((inWindow / windowMs) * 1000, 1),
      p50Ms: round(median(latency)),
      p99Ms: round(percentile(latency, 99)),
      relayCpuMs: round(relayForwardMs),
      relayCpuUsPerMessage: round((relayForwardMs * 1000) / Math.max(received, 1), 2),
      relayCpuUsPerMessageNet: round(((relayForwardMs - quietShare * forwardElapsedMs) * 1000) / Math.max(received, 1), 2),
      relayLoopUtilisation: round(active / forwardElapsedMs, 3),
      relayLoopDelayP99Ms: round(r.forwarded.loopDelayP99Ms),
      clientCpuMs: round(clientCpuMs),
      clientCpuShare: round(clientCpuMs / clientWallMs, 3),
    },
    disconnect: {
      closed: sum(r.disconnects.map((d) => d.closed)),
      protocolErrors: sum(r.disconnects.map((d) => d.protocolErrors)),
      pingsAnswered: sum(r.disconnects.map((d) => d.pingsAnswered)),
    },
    relayStoppedCleanly: r.relayStoppedCleanly,
    relayCounters: r.relayCounters,
  }
}

interface Figure {
  readonly label: string
  readonly unit: string
  readonly pick: (run: ScaleRun) => number
}

/** The figures the table shows, each for defence on, defence off and their ratio. */
function figures(peers: number, pairs: number, offered: number): Figure[] {
  return [
    {
      label: `relay RSS per peer (slope ${Math.floor(peers / 2).toLocaleString('en-US')} → ${peers.toLocaleString('en-US')} peers, after gc)`,
      unit: 'KB',
      pick: (r) => r.memory.rssPerPeerKB,
    },
    { label: 'relay JS heap per peer (same slope)', unit: 'KB', pick: (r) => r.memory.heapPerPeerKB },
    { label: 'relay RSS per peer, all ÷ count (with the heap\'s one-off growth)', unit: 'KB', pick: (r) => r.memory.rssPerPeerFromEmptyKB },
    { label: 'handshakes/s (all peers connecting)', unit: 'handshakes/s', pick: (r) => r.connect.handshakesPerSecond },
    { label: 'relay CPU per handshake', unit: 'ms', pick: (r) => r.connect.relayCpuMsPerHandshake },
    {
      label: `forwarded (${pairs.toLocaleString('en-US')} pairs, ${offered.toLocaleString('en-US')} msg/s offered)`,
      unit: 'msg/s',
      pick: (r) => r.forward.messagesPerSecond,
    },
    { label: 'relay CPU, all peers connected and quiet', unit: '% of a core', pick: (r) => r.quiet.relayCpuShare * 100 },
    { label: 'relay CPU per forwarded message', unit: 'µs', pick: (r) => r.forward.relayCpuUsPerMessage },
    { label: 'relay CPU per forwarded message, less the quiet rate', unit: 'µs', pick: (r) => r.forward.relayCpuUsPerMessageNet },
    { label: 'relay event-loop utilisation while forwarding', unit: 'share', pick: (r) => r.forward.relayLoopUtilisation },
    { label: 'latency p50 (sender to receiver)', unit: 'ms', pick: (r) => r.forward.p50Ms },
    { label: 'latency p99', unit: 'ms', pick: (r) => r.forward.p99Ms },
  ]
}

/** Medians over the rounds of each variant, then on ÷ off: under 1.1 (costs) or over 0.9 (rates) is the goal. */
export function scaleMetrics(runs: readonly ScaleRun[], peers: number, pairs: number, rate: number): { metrics: Metric[]; medians: Record<Variant, Record<string, number>> } {
  const metrics: Metric[] = []
  const medians: Record<Variant, Record<string, number>> = { on: {}, off: {} }
  for (const f of figures(peers, pairs, pairs * rate)) {
    const of = (v: Variant): number => median(runs.filter((r) => r.variant === v).map(f.pick))
    const on = of('on')
    const off = of('off')
    medians.on[f.label] = on
    medians.off[f.label] = off
    metrics.push({ metric: `${f.label}, defence on`, value: on, unit: f.unit })
    metrics.push({ metric: `${f.label}, defence off`, value: off, unit: f.unit })
    metrics.push({ metric: `${f.label}: on ÷ off`, value: on / off, unit: 'ratio' })
  }
  return { metrics, medians }
}

/**
 * What a home-relay simulation run reports (runHomeSim, homeSim.ts): the result's shape, the
 * counts the parts keep, per-relay samples, and the figures derived from them at the end.
 */
import { PENDING_DIAL_HOLD_MS } from '../../engine/routing/index.ts'
import type { MessageStore } from './homeMessages.ts'
import type { RelaySim } from './homeRelay.ts'
import type { HomeWorld } from './homeWorld.ts'
import { T0 } from './homeWorld.ts'

/** Max and mean over the relays that are up. */
export interface Spread {
  readonly max: number
  readonly mean: number
}

export interface RelayState {
  /** Users registered here (home registry). */
  readonly registrations: Spread
  /** Others' reach records learned from 'reach' frames passed ahead of mail. */
  readonly learnedRecords: Spread
  /** Envelopes in the mailbox: custody for registered users plus mail queued while a dial is under way. */
  readonly heldMail: Spread
  /** Of which queued for a dial (expiry ≤ 30 s out, not custody). */
  readonly queuedForDial: Spread
  /** Links the relay pool holds (dialed on demand). */
  readonly poolLinks: Spread
  /** Open links to other relays, dialed or accepted. */
  readonly relayLinks: Spread
  /** Open links from users. */
  readonly userLinks: Spread
  /** Routes in the relay's router (users run no router here, so relay↔relay only). */
  readonly routes: Spread
}

export interface HomeSimResult {
  readonly users: number
  readonly relays: number
  readonly hours: number
  readonly seed: number
  readonly virtualMs: number
  readonly options: Record<string, unknown>
  readonly messages: {
    readonly sent: number
    readonly delivered: number
    readonly deliveredPercent: number
    /** The same transmission (id and attempt) reaching its recipient twice: the network copied it. */
    readonly duplicates: number
    /** Copies of an already delivered message with a new attempt (a retry that crossed the receipt): recognised by id and acknowledged again, shown once. */
    readonly redelivered: number
    /** Senders whose outbox gave up (12 attempts without a custody receipt, or expiry). */
    readonly outboxFailed: number
    /** Messages whose end-to-end receipt reached the sender. */
    readonly confirmed: number
    /** Undelivered at the end, by where they stood. */
    readonly undelivered: Record<string, number>
    readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
    /** Messages whose recipient was online when sent, and their latency. */
    readonly toOnline: { readonly sent: number; readonly delivered: number; readonly p50: number; readonly p99: number }
    readonly toOffline: { readonly sent: number; readonly delivered: number; readonly p50: number; readonly p99: number }
    readonly transmissionsPerMessage: number
    readonly envelopeHopsPerMessage: number
  }
  /** Per-relay state at the end of the send window, and the highest max seen at any sample. */
  readonly relayState: { readonly endOfWindow: RelayState; readonly peak: RelayState }
  /** Frames per user per hour of the send window (counts / users / hours). */
  readonly perUserHour: Record<string, number>
  /** Per relay per hour of the send window. */
  readonly perRelayHour: Record<string, number>
  /** Totals over the whole run. */
  readonly totals: Record<string, number>
  readonly churn: {
    readonly usersWentOffline: number
    readonly abrupt: number
    readonly relayFailures: number
    readonly custodyLost: number
  }
  /** Journal puts (custody or dial queue) for a destination that does not name the relay and was not a short dial queue: must be 0. */
  readonly heldForOthers: number
  /** Registrations and custody receipts refused, by reason (relays' and senders' rules). */
  readonly refusals: Record<string, number>
  readonly wallMs: number
  readonly heapUsedMiB: number
  readonly rssMiB: number
}

export const emptyCounters = () => ({
  messagesSent: 0,
  envelopeHops: 0,
  /** Envelopes a user put on a link (messages and end-to-end receipts) and the outbox's transmissions of messages. */
  transmissions: 0,
  messageTransmissions: 0,
  e2eReceipts: 0,
  registrations: 0,
  reachAhead: 0,
  custodyToUsers: 0,
  custodyBetweenRelays: 0,
  acks: 0,
  refusalFrames: 0,
  announceToUsers: 0,
  announceBetweenRelays: 0,
  modelAnnounceToUsers: 0,
  modelAnnounceBetweenRelays: 0,
  userLinkOpens: 0,
  userPoolDials: 0,
  relayPoolDials: 0,
  relayLinkOpens: 0,
  lostEnvelopes: 0,
  lostFrames: 0,
  signatures: 0,
  verifications: 0,
  custodyAccepted: 0,
  heldLocally: 0,
})
export type Counters = ReturnType<typeof emptyCounters>

const spread = (values: number[]): Spread => ({
  max: values.reduce((a, b) => Math.max(a, b), 0),
  mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0,
})

/** Per-relay state now, over the relays that are up. */
export function sampleRelays(relays: readonly RelaySim[], now: number): RelayState {
  const cols = { registrations: [] as number[], learnedRecords: [] as number[], heldMail: [] as number[], queuedForDial: [] as number[], poolLinks: [] as number[], relayLinks: [] as number[], userLinks: [] as number[], routes: [] as number[] }
  for (const relay of relays) {
    if (!relay.up || !relay.plane) continue
    cols.registrations.push(relay.homes!.stats().held)
    cols.learnedRecords.push(relay.plane.learnedRecords)
    cols.heldMail.push(relay.plane.forwarder.stats().held)
    let queued = 0
    for (const { envelope } of relay.journal.live.values()) if (envelope.expiresAt <= now + PENDING_DIAL_HOLD_MS) queued++
    cols.queuedForDial.push(queued)
    cols.poolLinks.push(relay.pool!.stats().links)
    let relayLinks = 0
    let users = 0
    for (const link of relay.links) {
      if (link.dialerRelay) relayLinks++
      else users++
    }
    cols.relayLinks.push(relayLinks)
    cols.userLinks.push(users)
    cols.routes.push(relay.plane.router.routes().length)
  }
  return {
    registrations: spread(cols.registrations),
    learnedRecords: spread(cols.learnedRecords),
    heldMail: spread(cols.heldMail),
    queuedForDial: spread(cols.queuedForDial),
    poolLinks: spread(cols.poolLinks),
    relayLinks: spread(cols.relayLinks),
    userLinks: spread(cols.userLinks),
    routes: spread(cols.routes),
  }
}

/** What the run leaves for the figures. */
export interface FigureInputs {
  readonly world: HomeWorld
  readonly messages: MessageStore
  /** Users online at the end. */
  readonly online: Uint8Array
  readonly meanContacts: number
  readonly samples: readonly RelayState[]
  readonly endOfWindow: RelayState | null
  /** The counters at the start and end of the send window (null: not reached). */
  readonly windowStart: Counters | null
  readonly windowEnd: Counters | null
  /** The end of the run, virtual time. */
  readonly end: number
  readonly heldForOthers: number
  readonly registrationRefusals: () => Record<string, number>
  readonly sample: () => RelayState
  /** performance.now() at the start, for the wall time. */
  readonly started: number
}

export function homeFigures(inputs: FigureInputs): HomeSimResult {
  const { world, messages, online, meanContacts, samples, endOfWindow, windowStart, windowEnd, end, heldForOthers, registrationRefusals, sample, started } = inputs
  const sent = messages.count
  const { config, counters, refusals, churn } = world
  const { users: N, relays: R, hours, seed, rate } = config
  const start = windowStart ?? emptyCounters()
  const stop = windowEnd ?? world.snapshot()
  const userHours = N * hours
  const relayHours = R * hours
  const d = (k: keyof Counters): number => stop[k] - start[k]
  const per = (v: number, by: number): number => Math.round((1000 * v) / by) / 1000
  const latencies: number[] = []
  const toOnline: number[] = []
  const toOffline: number[] = []
  let delivered = 0
  let confirmed = 0
  let outboxFailed = 0
  let sentOnline = 0
  const undelivered: Record<string, number> = {}
  for (let m = 0; m < sent; m++) {
    if (messages.toOnline[m]) sentOnline++
    if (messages.state[m] === 1) confirmed++
    if (messages.state[m] === 2) outboxFailed++
    if (messages.deliveredAt[m]! > 0) {
      delivered++
      const l = messages.deliveredAt[m]! - messages.sentAt[m]!
      latencies.push(l)
      ;(messages.toOnline[m] ? toOnline : toOffline).push(l)
    } else {
      const why =
        messages.state[m] === 2 ? 'outbox gave up' : online[messages.recipient[m]!] !== 1 ? 'recipient offline at end' : messages.relayed[m] ? 'relayed, not delivered' : 'in flight or lost'
      undelivered[why] = (undelivered[why] ?? 0) + 1
    }
  }
  const pct = (sorted: number[], q: number): number => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!) : 0)
  latencies.sort((a, b) => a - b)
  toOnline.sort((a, b) => a - b)
  toOffline.sort((a, b) => a - b)
  const peakOf = (key: keyof RelayState): Spread => ({
    max: samples.reduce((a, s) => Math.max(a, s[key].max), 0),
    mean: samples.reduce((a, s) => Math.max(a, s[key].mean), 0),
  })
  const peak = Object.fromEntries((Object.keys(samples[0] ?? sample()) as (keyof RelayState)[]).map((k) => [k, peakOf(k)])) as unknown as RelayState
  for (const [reason, n] of Object.entries(registrationRefusals())) refusals[`registration ${reason}`] = n
  const mem = process.memoryUsage()
  const control = d('registrations') + d('reachAhead') + d('custodyToUsers') + d('custodyBetweenRelays') + d('acks') + d('refusalFrames')
  return {
    users: N,
    relays: R,
    hours,
    seed,
    virtualMs: end - T0,
    options: {
      messagesPerUserHour: rate,
      secondHomeFraction: config.secondHome,
      contacts: [...config.contacts],
      reconnectPerHour: config.reconnect,
      offlineMs: [...config.offlineMs],
      abruptFraction: config.abruptFraction,
      relayFailures: config.failures,
      relayDownMs: [...config.relayDownMs],
      loseCustodyFraction: config.loseCustody,
      warmupMs: config.warmup,
      drainMs: config.drain,
      relayPoolLinks: config.poolLinks,
      localContacts: config.local,
      meanContacts,
    },
    messages: {
      sent,
      delivered,
      deliveredPercent: (100 * delivered) / Math.max(1, sent),
      duplicates: messages.duplicates,
      redelivered: messages.redelivered,
      outboxFailed,
      confirmed,
      undelivered,
      latencyMs: { p50: pct(latencies, 0.5), p90: pct(latencies, 0.9), p99: pct(latencies, 0.99), max: Math.round(latencies.at(-1) ?? 0) },
      toOnline: { sent: sentOnline, delivered: toOnline.length, p50: pct(toOnline, 0.5), p99: pct(toOnline, 0.99) },
      toOffline: { sent: sent - sentOnline, delivered: toOffline.length, p50: pct(toOffline, 0.5), p99: pct(toOffline, 0.99) },
      transmissionsPerMessage: per(counters.messageTransmissions, Math.max(1, sent)),
      envelopeHopsPerMessage: per(counters.envelopeHops, Math.max(1, sent)),
    },
    relayState: { endOfWindow: endOfWindow ?? sample(), peak },
    perUserHour: {
      controlFrames: per(control, userHours),
      registrations: per(d('registrations'), userHours),
      reachAhead: per(d('reachAhead'), userHours),
      custodyReceiptsToUsers: per(d('custodyToUsers'), userHours),
      custodyReceiptsBetweenRelays: per(d('custodyBetweenRelays'), userHours),
      acks: per(d('acks'), userHours),
      refusals: per(d('refusalFrames'), userHours),
      linkOpens: per(d('userLinkOpens'), userHours),
      userPoolDials: per(d('userPoolDials'), userHours),
      relayAnnouncementsToUser: per(d('modelAnnounceToUsers'), userHours),
      ...(config.realAnnouncements ? { relayAnnouncementsToUserRealRouter: per(d('announceToUsers'), userHours) } : {}),
      messagesSent: per(d('messagesSent'), userHours),
      endToEndReceipts: per(d('e2eReceipts'), userHours),
      envelopeHops: per(d('envelopeHops'), userHours),
    },
    perRelayHour: {
      poolDials: per(d('relayPoolDials'), relayHours),
      relayLinkOpens: per(d('relayLinkOpens'), relayHours),
      custodyReceiptFrames: per(d('custodyBetweenRelays') + d('custodyToUsers'), relayHours),
      announcementsBetweenRelays: per(d('modelAnnounceBetweenRelays'), relayHours),
      ...(config.realAnnouncements ? { announcementsBetweenRelaysRealRouter: per(d('announceBetweenRelays'), relayHours) } : {}),
      signatures: per(d('signatures'), relayHours),
      verifications: per(d('verifications'), relayHours),
    },
    totals: world.snapshot(),
    churn,
    heldForOthers,
    refusals,
    wallMs: Math.round(performance.now() - started),
    heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
    rssMiB: Math.round(mem.rss / 2 ** 20),
  }
}

/**
 * Connection quality of one neighbour link (DESIGN.md §4): round-trip time,
 * jitter, loss and throughput, measured from the link's own pings and byte
 * counts, and one grade a person can read. Pure: the caller passes every
 * timestamp, so the same samples always give the same view.
 *
 * Grades, best first; a link gets the best grade whose every limit it meets:
 *
 *   grade      rtt        jitter     loss
 *   excellent  < 50 ms    < 10 ms    < 1 %
 *   good       < 150 ms   < 30 ms    < 3 %
 *   fair       < 400 ms   < 100 ms   < 10 %
 *   poor       anything worse
 *   offline    the link is down, or no pong came back for 3 ping intervals
 *
 * Before the first round trip is measured, rtt and jitter are null and do not
 * count against the grade: the handshake that opened the link just made a round
 * trip, so a fresh link is 'good' until a sample says otherwise.
 */

export type QualityGrade = 'excellent' | 'good' | 'fair' | 'poor' | 'offline'

/** A plain, structured-clone-able snapshot of a link's quality. */
export interface QualityView {
  /** Smoothed round-trip time (RFC 6298 SRTT), ms; null before the first pong. */
  readonly rttMs: number | null
  /** Interarrival-style jitter of the RTT samples (RFC 3550 §6.4.1), ms; null before the second pong. */
  readonly jitterMs: number | null
  /** Share of the last `lossWindow` decided pings that were never answered in time, 0..1. */
  readonly loss: number
  /** Link bytes per second over the last `throughputWindowMs`. */
  readonly throughputBps: { readonly up: number; readonly down: number }
  readonly grade: QualityGrade
}

export interface GradeLimits {
  /** Strict upper bounds: a link meets a grade when rtt, jitter and loss are all below them. */
  readonly rttMs: number
  readonly jitterMs: number
  readonly loss: number
}

export const QUALITY_THRESHOLDS: Readonly<Record<'excellent' | 'good' | 'fair', GradeLimits>> = {
  excellent: { rttMs: 50, jitterMs: 10, loss: 0.01 },
  good: { rttMs: 150, jitterMs: 30, loss: 0.03 },
  fair: { rttMs: 400, jitterMs: 100, loss: 0.1 },
}

export const DEFAULT_PING_INTERVAL_MS = 5_000
/** Silence, counted in ping intervals, after which a link is graded offline. */
export const OFFLINE_AFTER_INTERVALS = 3

export interface LinkQualityInit {
  /** How often the link pings (default 5 s); sets the offline rule and the default timeout. */
  readonly pingIntervalMs?: number
  /** A ping whose pong has not come back after this long counts lost (default: one ping interval). */
  readonly pingTimeoutMs?: number
  /** Loss is measured over this many most recent decided pings (default 20). */
  readonly lossWindow?: number
  /** Throughput is averaged over this span (default 10 s), */
  readonly throughputWindowMs?: number
  /** in this many steps (default 10): the window moves by throughputWindowMs / buckets. */
  readonly throughputBuckets?: number
}

export interface LinkQuality {
  pingSent(nonce: number, at: number): void
  /**
   * Matches a pong to its ping by nonce. Returns the RTT sample in ms, or null
   * for a pong that answers no outstanding ping or came back after the timeout
   * (that ping already counts lost).
   */
  pongReceived(nonce: number, at: number): number | null
  bytesSent(n: number, at: number): void
  bytesReceived(n: number, at: number): void
  /** The link closed: the grade is offline from now on. */
  linkDown(): void
  view(now: number): QualityView
}

// RFC 6298 §2.3: alpha = 1/8, beta = 1/4.
const ALPHA = 1 / 8
const BETA = 1 / 4
// RFC 3550 §6.4.1: J += (|D| - J) / 16, a gain that damps noise but follows change.
const JITTER_GAIN = 1 / 16

interface RateWindow {
  add(n: number, at: number): void
  perSecond(now: number): number
}

/** Bytes per second over a window that slides in fixed steps, in constant memory. */
function createRateWindow(windowMs: number, buckets: number): RateWindow {
  const stepMs = windowMs / buckets
  const slots = new Array<number>(buckets).fill(-Infinity)
  const sums = new Array<number>(buckets).fill(0)
  const slotOf = (at: number): number => Math.floor(at / stepMs)
  return {
    add(n, at) {
      const slot = slotOf(at)
      const i = ((slot % buckets) + buckets) % buckets
      if (slots[i] === slot) sums[i]! += n
      else if (slots[i]! < slot) {
        slots[i] = slot
        sums[i] = n
      }
      // Older than what the bucket holds: outside the window already.
    },
    perSecond(now) {
      const newest = slotOf(now)
      let total = 0
      for (let i = 0; i < buckets; i++) {
        const slot = slots[i]!
        if (slot <= newest && slot > newest - buckets) total += sums[i]!
      }
      return total / (windowMs / 1000)
    },
  }
}

function meets(limits: GradeLimits, rtt: number | null, jitter: number | null, loss: number): boolean {
  return (rtt === null || rtt < limits.rttMs) && (jitter === null || jitter < limits.jitterMs) && loss < limits.loss
}

/**
 * Grades measured values against QUALITY_THRESHOLDS (offline is decided by the
 * caller). An unmeasured RTT (null) rules out 'excellent' and nothing else.
 */
export function gradeQuality(rttMs: number | null, jitterMs: number | null, loss: number): Exclude<QualityGrade, 'offline'> {
  for (const grade of rttMs === null ? (['good', 'fair'] as const) : (['excellent', 'good', 'fair'] as const)) {
    if (meets(QUALITY_THRESHOLDS[grade], rttMs, jitterMs, loss)) return grade
  }
  return 'poor'
}

export function createLinkQuality(init: LinkQualityInit = {}): LinkQuality {
  const intervalMs = init.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS
  const timeoutMs = init.pingTimeoutMs ?? intervalMs
  const lossWindow = init.lossWindow ?? 20
  const offlineAfterMs = OFFLINE_AFTER_INTERVALS * intervalMs
  const up = createRateWindow(init.throughputWindowMs ?? 10_000, init.throughputBuckets ?? 10)
  const down = createRateWindow(init.throughputWindowMs ?? 10_000, init.throughputBuckets ?? 10)

  /** Outstanding pings: nonce → when it went. Insertion order is send order. */
  const pending = new Map<number, number>()
  /** Outcomes of the last `lossWindow` decided pings: true = lost. */
  const outcomes: boolean[] = []
  let srtt: number | null = null
  let rttvar = 0
  let lastSample: number | null = null
  let jitter: number | null = null
  let firstPingAt: number | null = null
  let lastPongAt: number | null = null
  let linkIsDown = false

  const decide = (lost: boolean): void => {
    outcomes.push(lost)
    if (outcomes.length > lossWindow) outcomes.shift()
  }
  /** Pings past their timeout are lost, whether or not their pong still comes. */
  const expire = (now: number): void => {
    for (const [nonce, sentAt] of pending) {
      if (now - sentAt <= timeoutMs) break
      pending.delete(nonce)
      decide(true)
    }
  }
  const sample = (rtt: number): void => {
    if (srtt === null) {
      // RFC 6298 §2.2: the first measurement R sets SRTT = R, RTTVAR = R/2.
      srtt = rtt
      rttvar = rtt / 2
    } else {
      // RFC 6298 §2.3: RTTVAR is updated with the old SRTT, then SRTT.
      rttvar = (1 - BETA) * rttvar + BETA * Math.abs(srtt - rtt)
      srtt = (1 - ALPHA) * srtt + ALPHA * rtt
    }
    if (lastSample !== null) {
      // RFC 3550 §6.4.1 with the RTT in place of the transit time: D is the
      // difference between consecutive samples.
      const d = Math.abs(rtt - lastSample)
      jitter = (jitter ?? 0) + (d - (jitter ?? 0)) * JITTER_GAIN
    }
    lastSample = rtt
  }

  return {
    pingSent(nonce, at) {
      expire(at)
      firstPingAt ??= at
      // A reused nonce replaces the older ping, which then counts lost.
      if (pending.delete(nonce)) decide(true)
      pending.set(nonce, at)
    },
    pongReceived(nonce, at) {
      const sentAt = pending.get(nonce)
      if (sentAt === undefined) return null
      pending.delete(nonce)
      const rtt = Math.max(0, at - sentAt)
      if (rtt > timeoutMs) {
        decide(true)
        return null
      }
      decide(false)
      lastPongAt = Math.max(lastPongAt ?? at, at)
      sample(rtt)
      return rtt
    },
    bytesSent: (n, at) => up.add(n, at),
    bytesReceived: (n, at) => down.add(n, at),
    linkDown() {
      linkIsDown = true
    },
    view(now) {
      expire(now)
      const lost = outcomes.reduce((sum, l) => sum + (l ? 1 : 0), 0)
      const loss = outcomes.length === 0 ? 0 : lost / outcomes.length
      const silentSince = lastPongAt ?? firstPingAt
      const silent = silentSince !== null && now - silentSince >= offlineAfterMs
      return {
        rttMs: srtt,
        jitterMs: jitter,
        loss,
        throughputBps: { up: up.perSecond(now), down: down.perSecond(now) },
        grade: linkIsDown || silent ? 'offline' : gradeQuality(srtt, jitter, loss),
      }
    },
  }
}

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

/**
 * Bytes per second over a window that slides in fixed steps, in constant memory. Classes
 * here and below, not closures: every open link holds a meter and two windows for its
 * life (a relay, 10,000 links), and closures with their contexts cost several times more.
 */
class RateWindow {
  private readonly stepMs: number
  private readonly buckets: number
  private readonly windowMs: number
  private readonly slots: number[]
  private readonly sums: number[]

  constructor(windowMs: number, buckets: number) {
    this.windowMs = windowMs
    this.buckets = buckets
    this.stepMs = windowMs / buckets
    this.slots = new Array<number>(buckets).fill(-Infinity)
    this.sums = new Array<number>(buckets).fill(0)
  }

  add(n: number, at: number): void {
    const slot = Math.floor(at / this.stepMs)
    const i = ((slot % this.buckets) + this.buckets) % this.buckets
    if (this.slots[i] === slot) this.sums[i]! += n
    else if (this.slots[i]! < slot) {
      this.slots[i] = slot
      this.sums[i] = n
    }
    // Older than what the bucket holds: outside the window already.
  }

  perSecond(now: number): number {
    const newest = Math.floor(now / this.stepMs)
    let total = 0
    for (let i = 0; i < this.buckets; i++) {
      const slot = this.slots[i]!
      if (slot <= newest && slot > newest - this.buckets) total += this.sums[i]!
    }
    return total / (this.windowMs / 1000)
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
  return new QualityMeter(init)
}

class QualityMeter implements LinkQuality {
  private readonly timeoutMs: number
  private readonly lossWindow: number
  private readonly offlineAfterMs: number
  private readonly up: RateWindow
  private readonly down: RateWindow
  /**
   * Outstanding pings, oldest first: nonces and when each went. Two short arrays, not a
   * Map: a link has one or two pings out at a time, and an empty Map costs ~300 bytes.
   */
  private readonly pendingNonces: number[] = []
  private readonly pendingSentAt: number[] = []
  /** Outcomes of the last `lossWindow` decided pings: true = lost. */
  private readonly outcomes: boolean[] = []
  private srtt: number | null = null
  private rttvar = 0
  private lastSample: number | null = null
  private jitter: number | null = null
  private firstPingAt: number | null = null
  private lastPongAt: number | null = null
  private linkIsDown = false

  constructor(init: LinkQualityInit) {
    const intervalMs = init.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS
    this.timeoutMs = init.pingTimeoutMs ?? intervalMs
    this.lossWindow = init.lossWindow ?? 20
    this.offlineAfterMs = OFFLINE_AFTER_INTERVALS * intervalMs
    this.up = new RateWindow(init.throughputWindowMs ?? 10_000, init.throughputBuckets ?? 10)
    this.down = new RateWindow(init.throughputWindowMs ?? 10_000, init.throughputBuckets ?? 10)
  }

  pingSent(nonce: number, at: number): void {
    this.expire(at)
    this.firstPingAt ??= at
    // A reused nonce replaces the older ping, which then counts lost.
    if (this.takePending(nonce) !== undefined) this.decide(true)
    this.pendingNonces.push(nonce)
    this.pendingSentAt.push(at)
  }

  pongReceived(nonce: number, at: number): number | null {
    const sentAt = this.takePending(nonce)
    if (sentAt === undefined) return null
    const rtt = Math.max(0, at - sentAt)
    if (rtt > this.timeoutMs) {
      this.decide(true)
      return null
    }
    this.decide(false)
    this.lastPongAt = Math.max(this.lastPongAt ?? at, at)
    this.sample(rtt)
    return rtt
  }

  bytesSent(n: number, at: number): void {
    this.up.add(n, at)
  }

  bytesReceived(n: number, at: number): void {
    this.down.add(n, at)
  }

  linkDown(): void {
    this.linkIsDown = true
  }

  view(now: number): QualityView {
    this.expire(now)
    const lost = this.outcomes.reduce((sum, l) => sum + (l ? 1 : 0), 0)
    const loss = this.outcomes.length === 0 ? 0 : lost / this.outcomes.length
    const silentSince = this.lastPongAt ?? this.firstPingAt
    const silent = silentSince !== null && now - silentSince >= this.offlineAfterMs
    return {
      rttMs: this.srtt,
      jitterMs: this.jitter,
      loss,
      throughputBps: { up: this.up.perSecond(now), down: this.down.perSecond(now) },
      grade: this.linkIsDown || silent ? 'offline' : gradeQuality(this.srtt, this.jitter, loss),
    }
  }

  /** Removes the outstanding ping `nonce` and answers when it went, or undefined if none is out. */
  private takePending(nonce: number): number | undefined {
    const i = this.pendingNonces.indexOf(nonce)
    if (i < 0) return undefined
    const sentAt = this.pendingSentAt[i]!
    this.pendingNonces.splice(i, 1)
    this.pendingSentAt.splice(i, 1)
    return sentAt
  }

  private decide(lost: boolean): void {
    this.outcomes.push(lost)
    if (this.outcomes.length > this.lossWindow) this.outcomes.shift()
  }

  /** Pings past their timeout are lost, whether or not their pong still comes. */
  private expire(now: number): void {
    let expired = 0
    while (expired < this.pendingSentAt.length && now - this.pendingSentAt[expired]! > this.timeoutMs) expired++
    if (expired === 0) return
    this.pendingNonces.splice(0, expired)
    this.pendingSentAt.splice(0, expired)
    for (let i = 0; i < expired; i++) this.decide(true)
  }

  private sample(rtt: number): void {
    if (this.srtt === null) {
      // RFC 6298 §2.2: the first measurement R sets SRTT = R, RTTVAR = R/2.
      this.srtt = rtt
      this.rttvar = rtt / 2
    } else {
      // RFC 6298 §2.3: RTTVAR is updated with the old SRTT, then SRTT.
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - rtt)
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * rtt
    }
    if (this.lastSample !== null) {
      // RFC 3550 §6.4.1 with the RTT in place of the transit time: D is the
      // difference between consecutive samples.
      const d = Math.abs(rtt - this.lastSample)
      this.jitter = (this.jitter ?? 0) + (d - (this.jitter ?? 0)) * JITTER_GAIN
    }
    this.lastSample = rtt
  }
}

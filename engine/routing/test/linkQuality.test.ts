import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { QUALITY_THRESHOLDS, createLinkQuality, gradeQuality } from '../linkQuality.ts'
import type { LinkQuality, QualityGrade } from '../linkQuality.ts'

const INTERVAL = 1_000

/**
 * Pings every INTERVAL from t = INTERVAL; each entry is that ping's RTT in ms,
 * or null when its pong never comes. Returns the time of the last ping.
 */
function feed(q: LinkQuality, rtts: readonly (number | null)[], start = INTERVAL): number {
  let t = start
  let nonce = 1
  for (const rtt of rtts) {
    q.pingSent(nonce, t)
    if (rtt !== null) q.pongReceived(nonce, t + rtt)
    nonce++
    t += INTERVAL
  }
  return t - INTERVAL
}

const repeat = <T,>(value: T, n: number): T[] => Array.from({ length: n }, () => value)

describe('link quality: grades', () => {
  const cases: [QualityGrade, (number | null)[]][] = [
    ['excellent', repeat(20, 10)],
    ['good', repeat(100, 10)],
    ['fair', repeat(300, 10)],
    ['poor', repeat(600, 10)],
  ]
  for (const [grade, rtts] of cases) {
    it(`grades a steady ${rtts[0]} ms link ${grade}`, () => {
      const q = createLinkQuality({ pingIntervalMs: INTERVAL })
      const last = feed(q, rtts)
      const view = q.view(last + 700)
      expect(view.grade).toBe(grade)
      expect(view.rttMs).toBeCloseTo(rtts[0]!, 9)
      expect(view.jitterMs).toBe(0)
      expect(view.loss).toBe(0)
    })
  }

  it('is good before the first pong, with no RTT or jitter yet', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL })
    q.pingSent(1, 0)
    expect(q.view(10)).toEqual({ rttMs: null, jitterMs: null, loss: 0, throughputBps: { up: 0, down: 0 }, grade: 'good' })
  })

  it('is offline once no pong came back for 3 intervals, and good again when one does', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL })
    const last = feed(q, [20, 20])
    const lastPong = last + 20
    let t = last
    for (let nonce = 100; nonce < 103; nonce++) q.pingSent(nonce, (t += INTERVAL))
    expect(q.view(lastPong + 3 * INTERVAL - 1).grade).toBe('poor')
    expect(q.view(lastPong + 3 * INTERVAL).grade).toBe('offline')
    // The next ping is answered: back from offline, though the losses still weigh.
    q.pingSent(103, (t += INTERVAL))
    expect(q.pongReceived(103, t + 30)).toBe(30)
    const view = q.view(t + 30)
    expect(view.loss).toBeCloseTo(3 / 6, 9)
    expect(view.grade).toBe('poor')
  })

  it('is offline when no pong ever comes', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL })
    feed(q, [null, null, null]) // at 1, 2 and 3 intervals
    expect(q.view(4 * INTERVAL - 1).grade).toBe('poor')
    expect(q.view(4 * INTERVAL).grade).toBe('offline')
  })

  it('is offline after linkDown, whatever it measured', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL })
    const last = feed(q, repeat(5, 5))
    expect(q.view(last + 10).grade).toBe('excellent')
    q.linkDown()
    const view = q.view(last + 10)
    expect(view.grade).toBe('offline')
    expect(view.rttMs).toBeCloseTo(5, 9)
  })

  it('takes the worst of rtt, jitter and loss (limits are strict)', () => {
    const { excellent, good, fair } = QUALITY_THRESHOLDS
    expect(gradeQuality(excellent.rttMs - 1, 0, 0)).toBe('excellent')
    expect(gradeQuality(excellent.rttMs, 0, 0)).toBe('good')
    expect(gradeQuality(1, excellent.jitterMs, 0)).toBe('good')
    expect(gradeQuality(1, 0, excellent.loss)).toBe('good')
    expect(gradeQuality(1, good.jitterMs, 0)).toBe('fair')
    expect(gradeQuality(1, 0, good.loss)).toBe('fair')
    expect(gradeQuality(fair.rttMs, 0, 0)).toBe('poor')
    expect(gradeQuality(1, 0, fair.loss)).toBe('poor')
    expect(gradeQuality(null, null, 0)).toBe('good')
    expect(gradeQuality(null, null, good.loss)).toBe('fair')
  })
})

describe('link quality: RTT (RFC 6298)', () => {
  it('starts SRTT at the first sample and smooths later ones with alpha 1/8', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL })
    feed(q, [100])
    expect(q.view(2 * INTERVAL).rttMs).toBe(100)
    q.pingSent(2, 2 * INTERVAL)
    expect(q.pongReceived(2, 2 * INTERVAL + 180)).toBe(180)
    // SRTT = 7/8 · 100 + 1/8 · 180
    expect(q.view(2 * INTERVAL + 180).rttMs).toBe(110)
  })

  it('ignores a pong for no outstanding ping, and a second pong for the same one', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL })
    expect(q.pongReceived(7, 10)).toBeNull()
    q.pingSent(7, 100)
    expect(q.pongReceived(7, 140)).toBe(40)
    expect(q.pongReceived(7, 150)).toBeNull()
    expect(q.view(200).rttMs).toBe(40)
  })

  it('converges to a steady RTT from any start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 900 }), fc.integer({ min: 0, max: 900 }), (first, steady) => {
        const q = createLinkQuality({ pingIntervalMs: INTERVAL })
        const last = feed(q, [first, ...repeat(steady, 120)])
        expect(Math.abs(q.view(last + 950).rttMs! - steady)).toBeLessThan(0.01)
      }),
      { numRuns: 50 },
    )
  })
})

describe('link quality: jitter (RFC 3550 §6.4.1)', () => {
  it('follows |D| between consecutive RTT samples with gain 1/16', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL })
    feed(q, [20])
    expect(q.view(2 * INTERVAL).jitterMs).toBeNull()
    const last = feed(q, [52], 2 * INTERVAL)
    // J = 0 + (|52 - 20| - 0) / 16
    expect(q.view(last + 100).jitterMs).toBe(2)
  })

  it('takes an otherwise excellent link down to good, then fair, as its RTT swings', () => {
    const swing = (a: number, b: number, n: number): number[] => Array.from({ length: n }, (_, i) => (i % 2 ? a : b))
    const q = createLinkQuality({ pingIntervalMs: INTERVAL })
    let last = feed(q, swing(20, 40, 80)) // |D| = 20: J converges to 20 ms
    let view = q.view(last + 100)
    expect(view.jitterMs).toBeGreaterThan(19)
    expect(view.rttMs).toBeLessThan(50)
    expect(view.grade).toBe('good')
    const fair = createLinkQuality({ pingIntervalMs: INTERVAL })
    last = feed(fair, swing(30, 90, 60)) // |D| = 60
    view = fair.view(last + 100)
    expect(view.jitterMs).toBeGreaterThan(30)
    expect(view.rttMs).toBeLessThan(150)
    expect(view.grade).toBe('fair')
  })
})

describe('link quality: loss', () => {
  it('counts a ping lost once its timeout passes, not before', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL, pingTimeoutMs: 500 })
    q.pingSent(1, 0)
    expect(q.view(500).loss).toBe(0)
    expect(q.view(501).loss).toBe(1)
  })

  it('counts a pong that comes back after the timeout as lost, with no RTT sample', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL, pingTimeoutMs: 500 })
    q.pingSent(1, 0)
    expect(q.pongReceived(1, 501)).toBeNull()
    q.pingSent(2, 1000)
    expect(q.pongReceived(2, 1500)).toBe(500)
    const view = q.view(1500)
    expect(view.loss).toBe(0.5)
    expect(view.rttMs).toBe(500)
  })

  it('measures loss over the last N decided pings only', () => {
    const q = createLinkQuality({ pingIntervalMs: INTERVAL, lossWindow: 10 })
    let last = feed(q, [...repeat(null, 5), ...repeat(20, 5)])
    expect(q.view(last + 100).loss).toBeCloseTo(0.5, 9)
    // Ten answered pings push the five losses out of the window.
    last = feed(q, repeat(20, 10), last + INTERVAL)
    const view = q.view(last + 100)
    expect(view.loss).toBe(0)
    expect(view.grade).toBe('excellent')
  })

  it('grades by loss: 1 in 50 is good, 1 in 20 fair, 1 in 5 poor', () => {
    const graded = (lost: number, of: number): QualityGrade => {
      const q = createLinkQuality({ pingIntervalMs: INTERVAL, lossWindow: of })
      const last = feed(q, [...repeat(null, lost), ...repeat(10, of - lost)])
      return q.view(last + 100).grade
    }
    expect(graded(0, 50)).toBe('excellent')
    expect(graded(1, 50)).toBe('good')
    expect(graded(1, 20)).toBe('fair')
    expect(graded(1, 5)).toBe('poor')
  })

  it('stays between 0 and 1 whatever the sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 2_000 })), { maxLength: 60 }), (rtts) => {
        const q = createLinkQuality({ pingIntervalMs: INTERVAL })
        const view = q.view(feed(q, rtts) + 5_000)
        expect(view.loss).toBeGreaterThanOrEqual(0)
        expect(view.loss).toBeLessThanOrEqual(1)
        // Every ping is decided by now: the loss is the share unanswered within the timeout.
        const window = rtts.slice(-20)
        const lost = window.filter((r) => r === null || r > INTERVAL).length
        expect(view.loss).toBeCloseTo(window.length === 0 ? 0 : lost / window.length, 9)
      }),
    )
  })
})

describe('link quality: throughput', () => {
  it('averages bytes per second over the sliding window, each direction apart', () => {
    const q = createLinkQuality({ throughputWindowMs: 10_000, throughputBuckets: 10 })
    for (let t = 0; t < 10_000; t += 100) {
      q.bytesSent(1_000, t)
      q.bytesReceived(250, t)
    }
    expect(q.view(9_999).throughputBps).toEqual({ up: 10_000, down: 2_500 })
    // One step later the first second has left the window.
    expect(q.view(10_000).throughputBps).toEqual({ up: 9_000, down: 2_250 })
    expect(q.view(19_999).throughputBps).toEqual({ up: 0, down: 0 })
  })

  it('drops bytes stamped before the window, and ignores none inside it', () => {
    const q = createLinkQuality({ throughputWindowMs: 1_000, throughputBuckets: 4 })
    q.bytesSent(100, 5_000)
    q.bytesSent(50, 3_000) // older than the bucket it would share: already out of the window
    q.bytesSent(10, 4_800)
    expect(q.view(5_100).throughputBps.up).toBe(110)
  })
})

/**
 * Peer scores: penalties, rewards and decay; thresholds; strikes with a doubling
 * backoff; survival across reconnects; bounded memory; and a model-based property
 * (fast-check commands) against a plain reference model of the rules in the header.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_PEER_SCORE_PARAMS, createPeerScores } from '../peerScore.ts'
import type { Penalty, PeerKey, PeerScoreParams, PeerScores, ScoreDecision } from '../peerScore.ts'

const ALICE: PeerKey = { identity: 'alice', address: '10.0.0.1' }
const PENALTIES: readonly Penalty[] = ['invalidFrame', 'rejectedAnnouncement', 'shed', 'custodyAbuse']

describe('peer score', () => {
  it('knows nothing of an unknown peer, or of a peer with neither identity nor address', () => {
    const scores = createPeerScores()
    expect([scores.score(ALICE, 0), scores.decide(ALICE, 0), scores.refused('alice', '10.0.0.1', 0)]).toEqual([0, 'ok', false])
    expect(scores.nextChange(ALICE, 0)).toBe(Number.POSITIVE_INFINITY)
    expect(scores.penalize({}, 'invalidFrame', 0)).toBe('ok')
    expect(scores.size).toBe(0)
  })

  it('graylists below -50 and disconnects below -100 with the default weights', () => {
    const scores = createPeerScores()
    const decisions: ScoreDecision[] = []
    for (let i = 0; i < 11; i++) decisions.push(scores.penalize(ALICE, 'invalidFrame', 0))
    expect(decisions).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'graylist', 'graylist', 'graylist', 'graylist', 'graylist', 'disconnect'])
    expect(scores.refused('alice', '10.0.0.1', 0)).toBe(true)
  })

  it('weighs each offence as documented', () => {
    const scores = createPeerScores()
    const points = PENALTIES.map((penalty) => {
      scores.penalize({ identity: penalty }, penalty, 0)
      return scores.score({ identity: penalty }, 0)
    })
    expect(points).toEqual([-10, -5, -0.2, -20])
    expect(scores.penalize({ identity: 'bulk' }, 'shed', 0, 250)).toBe('ok')
    expect(scores.penalize({ identity: 'bulk' }, 'shed', 0, 1)).toBe('graylist')
  })

  it('decays toward 0 at 1 point/s, exactly, and says when the decision may change', () => {
    const scores = createPeerScores()
    scores.penalize(ALICE, 'invalidFrame', 1_000, 6)
    expect(scores.decide(ALICE, 1_000)).toBe('graylist')
    expect(scores.nextChange(ALICE, 1_000)).toBe(10_000)
    expect(scores.decide(ALICE, 10_999)).toBe('graylist')
    expect(scores.score(ALICE, 10_999)).toBe(-50.001)
    expect(scores.decide(ALICE, 11_000)).toBe('ok')
    expect(scores.score(ALICE, 61_000)).toBe(0)
    expect(scores.score(ALICE, 1e15)).toBe(0)
  })

  it('rewards useful traffic by 0.1 up to +10, and a reward offsets a penalty', () => {
    const scores = createPeerScores({ decayPerSecond: 0 })
    scores.reward(ALICE, 0, 50)
    expect(scores.score(ALICE, 0)).toBe(5)
    scores.reward(ALICE, 0, 1e9)
    expect(scores.score(ALICE, 0)).toBe(10)
    scores.penalize(ALICE, 'invalidFrame', 0, 6)
    expect(scores.score(ALICE, 0)).toBe(-50)
    expect(scores.decide(ALICE, 0)).toBe('ok')
  })

  it('refuses identity and address for the backoff, ignores offences meanwhile, then starts graylisted', () => {
    const scores = createPeerScores()
    scores.penalize(ALICE, 'custodyAbuse', 0, 6)
    expect(scores.nextChange(ALICE, 0)).toBe(60_000)
    expect(scores.penalize(ALICE, 'invalidFrame', 30_000, 100)).toBe('disconnect')
    expect(scores.reward(ALICE, 30_000, 1_000)).toBe('disconnect')
    expect(scores.refused('alice', undefined, 59_999)).toBe(true)
    expect(scores.refused(undefined, '10.0.0.1', 59_999)).toBe(true)
    expect(scores.decide(ALICE, 59_999)).toBe('disconnect')
    // Probation: the score waited at -100 through the refusal and decays only from its end.
    expect(scores.refused('alice', '10.0.0.1', 60_000)).toBe(false)
    expect(scores.score(ALICE, 60_000)).toBe(-100)
    expect(scores.decide(ALICE, 60_000)).toBe('graylist')
    expect(scores.nextChange(ALICE, 60_000)).toBe(50_000)
    expect(scores.decide(ALICE, 110_000)).toBe('ok')
  })

  it('doubles the backoff on each strike up to 1 h, and forgets strikes after a day', () => {
    const scores = createPeerScores()
    const backoffs: number[] = []
    let now = 0
    for (let i = 0; i < 9; i++) {
      scores.penalize(ALICE, 'custodyAbuse', now, 100)
      const end = now + scores.nextChange(ALICE, now)
      expect(scores.refused('alice', '10.0.0.1', end - 1)).toBe(true)
      expect(scores.refused('alice', '10.0.0.1', end)).toBe(false)
      backoffs.push(end - now)
      now = end
    }
    expect(backoffs).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60].map((m) => m * 60_000))
    now += DEFAULT_PEER_SCORE_PARAMS.strikeMemoryMs
    scores.penalize(ALICE, 'custodyAbuse', now, 100)
    expect(scores.nextChange(ALICE, now)).toBe(60_000)
  })

  it('keeps the score across a reconnect of the identity from elsewhere, and of a new identity from the address', () => {
    const scores = createPeerScores()
    scores.penalize(ALICE, 'invalidFrame', 0, 6)
    expect(scores.decide({ identity: 'alice', address: '192.168.1.9' }, 0)).toBe('graylist')
    expect(scores.decide({ identity: 'mallory', address: '10.0.0.1' }, 0)).toBe('graylist')
    expect(scores.decide({ address: '10.0.0.1' }, 0)).toBe('graylist')
    expect(scores.decide({ identity: 'bob', address: '192.168.1.9' }, 0)).toBe('ok')
    // A peer is judged by the worse of its two entries.
    scores.penalize({ identity: 'mallory', address: '10.0.0.1' }, 'invalidFrame', 0, 4)
    expect(scores.score({ identity: 'alice', address: '192.168.1.9' }, 0)).toBe(-60)
    expect(scores.score({ identity: 'alice', address: '10.0.0.1' }, 0)).toBe(-100)
    scores.penalize({ identity: 'mallory', address: '10.0.0.1' }, 'shed', 0)
    expect(scores.refused('alice', '10.0.0.1', 0)).toBe(true)
    // alice herself did nothing more: refused from that address only.
    expect(scores.refused('alice', '192.168.1.9', 0)).toBe(false)
    expect(scores.refused('mallory', '172.16.0.1', 0)).toBe(true)
    expect(scores.refused('carol', '172.16.0.1', 0)).toBe(false)
  })

  it('evicts the oldest neutral entry first, then the oldest that is not refused, never beyond maxEntries', () => {
    const scores = createPeerScores({ maxEntries: 4 })
    scores.penalize({ identity: 'bad' }, 'invalidFrame', 0, 3)
    scores.reward({ identity: 'n1' }, 0)
    scores.reward({ identity: 'n2' }, 0)
    scores.penalize({ identity: 'refused' }, 'custodyAbuse', 0, 10)
    expect(scores.size).toBe(4)
    // n1 and n2 have decayed to neutral at 1 s; 'bad' (-30 then -29) has not.
    scores.penalize({ identity: 'x1' }, 'shed', 1_000)
    scores.penalize({ identity: 'x2' }, 'shed', 1_000)
    expect(scores.size).toBe(4)
    expect(scores.score({ identity: 'bad' }, 1_000)).toBe(-29)
    // No neutral entry left: the oldest that is not refused ('bad') goes, the refused one stays.
    scores.penalize({ identity: 'x3' }, 'shed', 1_000)
    expect(scores.score({ identity: 'bad' }, 1_000)).toBe(0)
    expect(scores.refused('refused', undefined, 1_000)).toBe(true)
    expect(scores.size).toBe(4)
  })

  it('rejects parameters out of range', () => {
    const bad: Array<Partial<PeerScoreParams>> = [
      { graylist: 1 },
      { disconnect: -10, graylist: -10 },
      { maxEntries: 1 },
      { backoffCapMs: 1 },
      { decayPerSecond: 1e-9 },
    ]
    for (const init of bad) expect(() => createPeerScores(init)).toThrow(RangeError)
    expect(() => createPeerScores({ penalties: { shed: -1 } })).toThrow(RangeError)
  })
})

/** Smaller numbers than the defaults, so that short sequences reach every threshold and the backoff cap. */
const PARAMS: PeerScoreParams = {
  ...DEFAULT_PEER_SCORE_PARAMS,
  penalties: { invalidFrame: 10, rejectedAnnouncement: 5, shed: 0.2, custodyAbuse: 20 },
  reward: 0.5, rewardCap: 10, decayPerSecond: 2, graylist: -30, disconnect: -60,
  backoffBaseMs: 1_000, backoffCapMs: 8_000, strikeMemoryMs: 30_000,
}

/** The rules of the header, written out plainly over micro-points, with no eviction. */
class ScoreModel {
  readonly entries = new Map<string, { score: number; at: number; strikes: number; struckAt: number; until: number }>()
  readonly p = PARAMS
  private keys = (peer: PeerKey): string[] => [
    ...(peer.identity === undefined ? [] : [`i:${peer.identity}`]),
    ...(peer.address === undefined ? [] : [`a:${peer.address}`]),
  ]
  private valueAt(key: string, t: number): number {
    const e = this.entries.get(key)
    if (e === undefined) return 0
    const decay = Math.max(0, t - e.at) * this.p.decayPerSecond * 1_000
    return e.score < 0 ? Math.min(0, e.score + decay) : Math.max(0, e.score - decay)
  }
  refused = (peer: PeerKey, t: number): boolean => this.keys(peer).some((k) => (this.entries.get(k)?.until ?? 0) > t)
  worst = (peer: PeerKey, t: number): number => (this.keys(peer).length === 0 ? 0 : Math.min(...this.keys(peer).map((k) => this.valueAt(k, t))))
  decide(peer: PeerKey, t: number): ScoreDecision {
    if (this.refused(peer, t)) return 'disconnect'
    const s = this.worst(peer, t)
    return s < this.p.disconnect * 1e6 ? 'disconnect' : s < this.p.graylist * 1e6 ? 'graylist' : 'ok'
  }
  change(peer: PeerKey, t: number, delta: number, isReward: boolean): void {
    if (this.keys(peer).length === 0 || this.refused(peer, t)) return
    for (const k of this.keys(peer)) {
      const e = this.entries.get(k) ?? { score: 0, at: t, strikes: 0, struckAt: 0, until: 0 }
      const now = this.valueAt(k, t)
      e.score = isReward ? (now < this.p.rewardCap * 1e6 ? Math.min(this.p.rewardCap * 1e6, now + delta) : now) : now - delta
      e.at = Math.max(e.at, t)
      this.entries.set(k, e)
    }
    if (!this.keys(peer).some((k) => this.entries.get(k)!.score < this.p.disconnect * 1e6)) return
    for (const k of this.keys(peer)) {
      const e = this.entries.get(k)!
      e.strikes = e.strikes > 0 && t - e.struckAt < this.p.strikeMemoryMs ? e.strikes + 1 : 1
      e.struckAt = t
      e.until = t + Math.min(this.p.backoffCapMs, this.p.backoffBaseMs * 2 ** (e.strikes - 1))
      e.score = Math.max(e.score, this.p.disconnect * 1e6)
      e.at = e.until
    }
  }
}

const IDENTITIES = ['a', 'b', 'c', undefined]
const ADDRESSES = ['x', 'y', undefined]
const PEERS: PeerKey[] = IDENTITIES.flatMap((identity) => ADDRESSES.map((address) => ({ identity, address })))

interface Real {
  scores: PeerScores
  now: number
}

type ScoreCommand = fc.Command<ScoreModel, Real>

/** Every pool peer against the model, plus rules stated directly; one expect per step keeps it cheap. */
function checkAll(model: ScoreModel, real: Real): void {
  const t = real.now
  const observe = (peer: PeerKey) => {
    const decided = real.scores.decide(peer, t)
    const score = real.scores.score(peer, t)
    const next = real.scores.nextChange(peer, t)
    return {
      decided,
      score,
      refused: real.scores.refused(peer.identity, peer.address, t),
      // A score never rests below disconnect nor above the reward cap.
      inRange: score >= PARAMS.disconnect && score <= PARAMS.rewardCap,
      // Nothing changes on its own before nextChange says it may.
      steadyUntilNext: Number.isFinite(next)
        ? next > 0 && real.scores.decide(peer, t + next - 1) === decided
        : real.scores.decide(peer, t + 1e9) === decided,
    }
  }
  const expected = (peer: PeerKey): ReturnType<typeof observe> => ({
    decided: model.decide(peer, t),
    score: model.worst(peer, t) / 1e6,
    // 'disconnect' means a refusal is running, since no score rests below the threshold.
    refused: model.refused(peer, t),
    inRange: true,
    steadyUntilNext: true,
  })
  expect(PEERS.map(observe)).toEqual(PEERS.map(expected))
}

const commandArbs = [
  fc.record({ peer: fc.constantFrom(...PEERS), penalty: fc.constantFrom<Penalty>(...PENALTIES), n: fc.integer({ min: 0, max: 8 }) }).map(
    ({ peer, penalty, n }): ScoreCommand => ({
      check: () => true,
      run(model, real) {
        model.change(peer, real.now, Math.round(n * PARAMS.penalties[penalty] * 1e6), false)
        real.scores.penalize(peer, penalty, real.now, n)
        checkAll(model, real)
      },
      toString: () => `penalize(${JSON.stringify(peer)}, ${penalty}, ${n})`,
    }),
  ),
  fc.record({ peer: fc.constantFrom(...PEERS), n: fc.integer({ min: 0, max: 40 }) }).map(
    ({ peer, n }): ScoreCommand => ({
      check: () => true,
      run(model, real) {
        model.change(peer, real.now, Math.round(n * PARAMS.reward * 1e6), true)
        real.scores.reward(peer, real.now, n)
        checkAll(model, real)
      },
      toString: () => `reward(${JSON.stringify(peer)}, ${n})`,
    }),
  ),
  fc.integer({ min: 0, max: 20_000 }).map(
    (ms): ScoreCommand => ({
      check: () => true,
      run(model, real) {
        real.now += ms
        checkAll(model, real)
      },
      toString: () => `advance(${ms})`,
    }),
  ),
]

describe('peer score model', () => {
  it('matches the reference model: scores, thresholds, refusals and backoff, over any sequence', () => {
    fc.assert(
      fc.property(fc.commands(commandArbs, { maxCommands: 60, size: 'medium' }), (commands) => {
        fc.modelRun(() => ({ model: new ScoreModel(), real: { scores: createPeerScores(PARAMS), now: 0 } }), commands)
      }),
      { numRuns: 200 },
    )
  })

  it('never holds more than maxEntries, whatever the sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.tuple(fc.nat(30), fc.nat(30), fc.integer({ min: -3, max: 12 }), fc.nat(3_000)), { maxLength: 120 }),
        (maxEntries, steps) => {
          const scores = createPeerScores({ ...PARAMS, maxEntries })
          let now = 0
          for (const [identity, address, delta, ms] of steps) {
            now += ms
            const peer = { identity: `i${identity}`, address: `a${address}` }
            if (delta < 0) scores.reward(peer, now, -delta)
            else scores.penalize(peer, 'invalidFrame', now, delta)
            expect(scores.size).toBeLessThanOrEqual(maxEntries)
            // The peer just scored keeps its own entries: its decision is never lost to eviction.
            if (!scores.refused(peer.identity, peer.address, now) && delta > 1) expect(scores.score(peer, now)).toBeLessThan(0)
          }
        },
      ),
      { numRuns: 200 },
    )
  })
})

/**
 * The rate limiter on XState's SimulatedClock: budgets answered by the gate without
 * actor events, exact refill, shedding that walks the score to graylisted and closing,
 * decay and rewards that bring it back, refusals, and a model-based property
 * (fast-check commands) against BigInt buckets and a shadow score book.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SimulatedClock, createActor } from 'xstate'
import { createPeerScores } from '../../engine/routing/peerScore.ts'
import type { Penalty, PeerKey, PeerScoreParams, PeerScores } from '../../engine/routing/peerScore.ts'
import { LINK_ACTIONS } from '../../engine/routing/tokenBucket.ts'
import type { BucketSpec, BudgetTable, LinkAction, TrustTier } from '../../engine/routing/tokenBucket.ts'
import { rateLimiterMachine } from '../rateLimiter.ts'
import type { CloseReason, RateLimiterEmitted, RateLimiterInput } from '../rateLimiter.ts'

const PEER: PeerKey = { identity: 'peer', address: '10.0.0.7' }

const tier = (scale: number): Record<LinkAction, BucketSpec> => ({
  frames: { capacity: 5 * scale, refillPerSecond: 2 * scale },
  bytes: { capacity: 1_000 * scale, refillPerSecond: 500 * scale },
  envelopes: { capacity: 3 * scale, refillPerSecond: 1 * scale },
  announcements: { capacity: 2 * scale, refillPerSecond: 0.5 * scale },
  handshakes: { capacity: 1 * scale, refillPerSecond: 0.02 * scale },
})
const BUDGETS: BudgetTable<LinkAction> = { stranger: tier(1), contact: tier(2), chosenRelay: tier(4) }

/** Small numbers so that a few sheds already move the decision: 5 sheds graylist, 9 disconnect. */
const PARAMS: Partial<PeerScoreParams> = {
  penalties: { invalidFrame: 10, rejectedAnnouncement: 5, shed: 5, custodyAbuse: 20 },
  reward: 1, rewardCap: 10, decayPerSecond: 2, graylist: -20, disconnect: -40, backoffBaseMs: 1_000, backoffCapMs: 8_000,
}

/** A limiter started at `startAt` on a simulated clock, recording closes, answers and the events it receives. */
function harness(input: Partial<RateLimiterInput> = {}, startAt = 0) {
  const clock = new SimulatedClock()
  clock.set(startAt)
  const scores = input.scores ?? createPeerScores(PARAMS)
  const closes: CloseReason[] = []
  const answers: RateLimiterEmitted[] = []
  let events = 0
  const actor = createActor(rateLimiterMachine, {
    clock,
    input: { peer: PEER, scores, budgets: BUDGETS, close: (reason) => closes.push(reason), ...input },
    inspect: (ev) => {
      if (ev.type === '@xstate.event' && ev.actorRef === actor) events++
    },
  })
  actor.on('taken', (answer) => answers.push(answer))
  actor.start()
  const gate = actor.getSnapshot().context.gate
  const state = (): string => String(actor.getSnapshot().value)
  return { clock, scores, closes, answers, actor, gate, state, events: () => events }
}

describe('rateLimiter', () => {
  it('answers takes from the gate without an actor event, and refills exactly on the actor clock', () => {
    const h = harness()
    const before = h.events()
    expect([1, 2, 3, 4, 5, 6].map(() => h.gate.take('frames'))).toEqual([true, true, true, true, true, false])
    expect(h.gate.take('bytes', 1_000)).toBe(true)
    expect(h.events()).toBe(before)
    h.clock.set(499)
    expect(h.gate.take('frames')).toBe(false)
    h.clock.set(500)
    expect(h.gate.take('frames')).toBe(true)
    expect(h.gate.shed().items.frames).toBe(2)
    expect(h.state()).toBe('normal')
    expect(h.scores.score(PEER, 500)).toBe(-9)
    h.actor.stop()
  })

  it('answers a TAKE event with an emitted taken event before send returns', () => {
    const h = harness()
    h.actor.send({ type: 'TAKE', action: 'announcements', cost: 2 })
    h.actor.send({ type: 'TAKE', action: 'announcements' })
    expect(h.answers.map((a) => [a.action, a.cost, a.granted])).toEqual([['announcements', 2, true], ['announcements', 1, false]])
    h.actor.stop()
  })

  it('sheds a flood: graylisted at the 5th shed, closing at the 9th, then admits nothing', () => {
    const h = harness()
    for (let i = 0; i < 3; i++) h.gate.take('envelopes')
    const states: string[] = []
    for (let i = 0; i < 9; i++) {
      expect(h.gate.take('envelopes')).toBe(false)
      states.push(h.state())
    }
    expect(states).toEqual(['normal', 'normal', 'normal', 'normal', 'graylisted', 'graylisted', 'graylisted', 'graylisted', 'closing'])
    expect(h.closes).toEqual(['score'])
    expect(h.actor.getSnapshot().status).toBe('done')
    expect(h.actor.getSnapshot().output).toEqual({ reason: 'score' })
    expect(h.gate.relaying).toBe(false)
    h.clock.set(1_000_000)
    expect(h.gate.take('frames')).toBe(false)
    expect(h.scores.refused('peer', undefined, 0)).toBe(true)
    expect(h.scores.refused(undefined, '10.0.0.7', 0)).toBe(true)
  })

  it('stops relaying while graylisted and resumes exactly when decay lifts the score to the threshold', () => {
    const h = harness()
    h.clock.set(1_000)
    h.actor.send({ type: 'PENALIZE', penalty: 'rejectedAnnouncement', count: 5 })
    expect(h.state()).toBe('graylisted')
    expect(h.gate.relaying).toBe(false)
    // -25 decays at 2 points/s: -20 after 2.5 s.
    h.clock.set(3_499)
    expect(h.state()).toBe('graylisted')
    h.clock.set(3_500)
    expect(h.state()).toBe('normal')
    expect(h.gate.relaying).toBe(true)
    h.actor.stop()
  })

  it('lets useful traffic lift a graylisted peer at once; in normal a reward costs no event', () => {
    const h = harness()
    h.actor.send({ type: 'PENALIZE', penalty: 'invalidFrame', count: 3 })
    expect(h.state()).toBe('graylisted')
    h.gate.useful(9)
    expect(h.state()).toBe('graylisted')
    h.gate.useful(1)
    expect(h.state()).toBe('normal')
    const before = h.events()
    h.gate.useful(5)
    expect(h.events()).toBe(before)
    h.actor.send({ type: 'USEFUL', count: 10 })
    expect(h.scores.score(PEER, 0)).toBe(-5)
    h.actor.stop()
  })

  it('re-arms the recovery timer when a reward brings it earlier (model counterexample: recovery came 4 s late)', () => {
    const h = harness()
    h.gate.useful(6)
    h.actor.send({ type: 'PENALIZE', penalty: 'custodyAbuse', count: 2 })
    // -34 would take 7 s to reach -20; after +8 it takes 3 s.
    h.gate.useful(8)
    h.clock.set(2_999)
    expect(h.state()).toBe('graylisted')
    h.clock.set(3_000)
    expect(h.state()).toBe('normal')
    h.actor.stop()
  })

  it('closes at once, reason refused, for a peer that serves a backoff, at start or when identified', () => {
    const scores = createPeerScores(PARAMS)
    scores.penalize({ identity: 'banned' }, 'custodyAbuse', 0, 3)
    const atStart = harness({ scores, peer: { identity: 'banned' } })
    expect([atStart.state(), atStart.closes]).toEqual(['closing', ['refused']])
    const later = harness({ scores, peer: { address: '10.0.0.9' } })
    expect(later.state()).toBe('normal')
    later.actor.send({ type: 'IDENTIFIED', identity: 'banned', tier: 'contact' })
    expect([later.state(), later.closes]).toEqual(['closing', ['refused']])
    // The refusal ends after the 1 s backoff; then the identity starts graylisted.
    const back = harness({ scores, peer: { identity: 'banned' } }, 1_000)
    expect([back.state(), back.closes]).toEqual(['graylisted', []])
    back.actor.stop()
  })

  it('raises budgets on IDENTIFIED or RETIER, keeping the tokens already spent', () => {
    const h = harness({ peer: { address: '10.0.0.8' } })
    for (let i = 0; i < 5; i++) h.gate.take('frames')
    h.actor.send({ type: 'IDENTIFIED', identity: 'carol', tier: 'contact' })
    expect(h.actor.getSnapshot().context.peer).toEqual({ identity: 'carol', address: '10.0.0.8' })
    expect(h.gate.take('frames')).toBe(false)
    h.clock.set(1_000)
    expect([1, 2, 3, 4, 5].map(() => h.gate.take('frames'))).toEqual([true, true, true, true, false])
    h.actor.send({ type: 'RETIER', tier: 'chosenRelay' })
    h.clock.set(11_000)
    expect(h.actor.getSnapshot().context.budgets.available('frames', 11_000)).toBe(20)
    h.actor.stop()
  })

  it('decides again on CHECK when another link moved the score of the same address', () => {
    const h = harness()
    h.scores.penalize({ identity: 'other', address: '10.0.0.7' }, 'invalidFrame', 0, 3)
    expect(h.state()).toBe('normal')
    h.actor.send({ type: 'CHECK' })
    expect(h.state()).toBe('graylisted')
    h.actor.stop()
  })

  it('survives a close callback that throws', () => {
    const failing = (): never => {
      throw new Error('socket gone')
    }
    const h = harness({ close: failing })
    h.actor.send({ type: 'PENALIZE', penalty: 'custodyAbuse', count: 3 })
    expect([h.actor.getSnapshot().status, h.actor.getSnapshot().output]).toEqual(['done', { reason: 'score' }])
  })
})

// ---- model-based property ----

/** Micro-tokens, as BigInt so that the model itself cannot drift. */
type BucketModel = { level: bigint; at: number; capacity: bigint; perMs: bigint }
const micro = (spec: BucketSpec): { capacity: bigint; perMs: bigint } => ({
  capacity: BigInt(spec.capacity) * 1_000_000n,
  perMs: BigInt(Math.round(spec.refillPerSecond * 1_000)),
})
const refill = (b: BucketModel, now: number): void => {
  if (now <= b.at) return
  const next = b.level + BigInt(now - b.at) * b.perMs
  b.level = next < b.capacity ? next : b.capacity
  b.at = now
}

interface Model {
  buckets: Map<LinkAction, BucketModel>
  granted: Map<LinkAction, Array<{ at: number; cost: number }>>
  shadow: PeerScores
  closed: boolean
}
type Real = ReturnType<typeof harness>
type LimiterCommand = fc.Command<Model, Real>

const MODE = { ok: 'normal', graylist: 'graylisted', disconnect: 'closing' } as const

function settle(model: Model, real: Real): void {
  const now = real.clock.now()
  if (!model.closed && model.shadow.decide(PEER, now) === 'disconnect') model.closed = true
  const expected = model.closed ? 'closing' : MODE[model.shadow.decide(PEER, now)]
  expect([real.state(), real.gate.relaying, real.closes]).toEqual([expected, expected === 'normal', model.closed ? ['score'] : []])
}

/** What the limiter must answer, applied to the model: a BigInt bucket, and a shed penalised in the shadow book. */
function expectTake(model: Model, now: number, action: LinkAction, cost: number): boolean {
  if (model.closed) return false
  const b = model.buckets.get(action)!
  refill(b, now)
  const units = BigInt(cost) * 1_000_000n
  if (units <= b.level) {
    b.level -= units
    model.granted.get(action)!.push({ at: now, cost })
    return true
  }
  model.shadow.penalize(PEER, 'shed', now)
  return false
}

function checkWindows(model: Model, now: number, action: LinkAction): void {
  // Never more than the budget in any window ending now: capacity + rate × window.
  const b = model.buckets.get(action)!
  let sum = 0n
  const granted = model.granted.get(action)!
  for (let i = granted.length - 1; i >= 0; i--) {
    sum += BigInt(granted[i]!.cost) * 1_000_000n
    expect(sum).toBeLessThanOrEqual(b.capacity + BigInt(now - granted[i]!.at) * b.perMs)
  }
}

/** Each command acts on model and limiter alike, then checks the limiter's state against the model. */
const command = (label: string, run: (model: Model, real: Real) => void): LimiterCommand => ({
  check: () => true,
  run(model, real) {
    run(model, real)
    settle(model, real)
  },
  toString: () => label,
})
const live = (real: Real): boolean => real.actor.getSnapshot().status === 'active'

const takeArb = fc.record({ action: fc.constantFrom(...LINK_ACTIONS), cost: fc.nat(6), viaEvent: fc.boolean() }).map(({ action, cost, viaEvent }) =>
  command(`${viaEvent ? 'TAKE' : 'take'}(${action}, ${cost})`, (model, real) => {
    const now = real.clock.now()
    const units = action === 'bytes' ? cost * 150 : cost
    const wasLive = live(real)
    const expected = expectTake(model, now, action, units)
    if (!viaEvent) {
      expect(real.gate.take(action, units)).toBe(expected)
    } else if (wasLive) {
      const answered = real.answers.length
      real.actor.send({ type: 'TAKE', action, cost: units })
      expect(real.answers.slice(answered).map((a) => a.granted)).toEqual([expected])
    }
    checkWindows(model, now, action)
  }),
)
const usefulArb = fc.integer({ min: 1, max: 12 }).map((n) =>
  command(`useful(${n})`, (model, real) => {
    if (!model.closed) model.shadow.reward(PEER, real.clock.now(), n)
    real.gate.useful(n)
  }),
)
const penalizeArb = fc.tuple(fc.constantFrom<Penalty>('invalidFrame', 'rejectedAnnouncement', 'custodyAbuse'), fc.integer({ min: 1, max: 2 })).map(
  ([penalty, n]) =>
    command(`PENALIZE(${penalty}, ${n})`, (model, real) => {
      if (!model.closed) model.shadow.penalize(PEER, penalty, real.clock.now(), n)
      if (live(real)) real.actor.send({ type: 'PENALIZE', penalty, count: n })
    }),
)
const retierArb = fc.constantFrom<TrustTier>('stranger', 'contact', 'chosenRelay').map((next) =>
  command(`RETIER(${next})`, (model, real) => {
    if (!live(real)) return
    for (const action of LINK_ACTIONS) {
      const b = model.buckets.get(action)!
      refill(b, real.clock.now())
      Object.assign(b, micro(BUDGETS[next][action]))
      if (b.level > b.capacity) b.level = b.capacity
      // The level now fits the new capacity, so windows from here on obey the new budget.
      model.granted.set(action, [])
    }
    real.actor.send({ type: 'RETIER', tier: next })
  }),
)
const advanceArb = fc.nat(4_000).map((ms) => command(`advance(${ms})`, (_model, real) => real.clock.increment(ms)))

describe('rateLimiter model', () => {
  it('grants exactly what the BigInt buckets allow, never over budget, and follows the score to graylisted and closing', () => {
    fc.assert(
      fc.property(fc.commands([takeArb, usefulArb, penalizeArb, retierArb, advanceArb], { maxCommands: 80, size: 'medium' }), (commands) => {
        const buckets = new Map(LINK_ACTIONS.map((a) => [a, { level: micro(BUDGETS.stranger[a]).capacity, at: 0, ...micro(BUDGETS.stranger[a]) }]))
        const granted = new Map(LINK_ACTIONS.map((a) => [a, []]))
        const model: Model = { buckets, granted, shadow: createPeerScores(PARAMS), closed: false }
        fc.modelRun(() => ({ model, real: harness() }), commands)
      }),
      { numRuns: 200 },
    )
  })
})

/**
 * The rate limiter of one link (DESIGN.md §4, §5; issue 10): owns the link's budgets
 * (engine/routing/tokenBucket.ts) and follows the peer's score (engine/routing/peerScore.ts)
 * from `normal` to `graylisted` to `closing`.
 *
 * admitting  — transient: a peer whose identity or address serves a backoff goes straight to closing.
 * normal     — budgets apply; the node relays for the peer.
 * graylisted — the score is below `graylist`: budgets still apply, but `gate.relaying` is
 *              false, so the host stops relaying for the peer. A timer on the actor clock
 *              fires when decay may lift the score back, and the state is decided again.
 * closing    — final: the score fell below `disconnect` (or the peer was refused); the
 *              `close` callback tells the host to close the link. Every take is shed.
 *
 * Why a synchronous gate and not an event per frame: an XState event costs ~3 µs
 * (DESIGN.md §8), more than the decision itself, and payload bytes must stay out of
 * actor events. So the context holds a `gate` whose `take(action, cost)` answers at
 * once from the budgets (measured here: ~0.1 µs, against ~4 µs for the same take as a
 * TAKE event), penalises a shed in the score book, and sends the actor an event only
 * when the decision changes state (and, while graylisted, on a reward). The
 * `TAKE` event does the same for callers off the hot path and answers with an emitted
 * `taken` event before `send` returns. Refill is computed exactly from the actor
 * system's clock when a bucket is read (a SimulatedClock drives it in tests) rather than
 * by a periodic timer, which would cost one event per tick per link for nothing.
 *
 * The budgets are a mutable object held in context, deliberately: limiter snapshots are
 * never persisted, and copying five buckets on every frame would defeat the point.
 * The score book is node-wide (a score outlives the link), so it is passed in. When
 * another link's offences move this peer's score (same identity or address), the host
 * sends CHECK.
 */
import { assertEvent, assign, enqueueActions, setup } from 'xstate'
import { DEFAULT_LINK_BUDGETS, linkBudgets } from '../engine/routing/tokenBucket.ts'
import type { BudgetTable, Budgets, LinkAction, ShedCounts, TrustTier } from '../engine/routing/tokenBucket.ts'
import type { Penalty, PeerKey, PeerScores, ScoreDecision } from '../engine/routing/peerScore.ts'
import { actorSystemClock } from './linkActors.ts'

export type CloseReason = 'score' | 'refused'

/** The hot-path face of the limiter: plain calls, no actor events unless the state must change. */
export interface RateLimiterGate {
  /** Spends `cost` (default 1) of `action`'s budget; false = shed it (counted, and penalised in the score). */
  take(action: LinkAction, cost?: number): boolean
  /** Rewards `count` useful items (default 1) in the score. */
  useful(count?: number): void
  /** False while graylisted or closing: the host forwards nothing for this peer. */
  readonly relaying: boolean
  shed(): ShedCounts<LinkAction>
}

export interface RateLimiterInput {
  /** Identity if already known (else send IDENTIFIED after the handshake) and address as the host keys it. */
  readonly peer: PeerKey
  readonly scores: PeerScores
  readonly tier?: TrustTier
  /** Default DEFAULT_LINK_BUDGETS; loopback tests raise it with scaleBudgets. */
  readonly budgets?: BudgetTable<LinkAction>
  /** ms; defaults to the actor system's clock, so a SimulatedClock drives refill and decay alike. */
  readonly now?: () => number
  readonly close?: (reason: CloseReason) => void
}

export interface RateLimiterContext {
  readonly peer: PeerKey
  readonly scores: PeerScores
  readonly budgets: Budgets<LinkAction>
  readonly now: () => number
  readonly gate: RateLimiterGate
  readonly close: (reason: CloseReason) => void
  readonly reason: CloseReason | null
}

export type RateLimiterEvent =
  | { type: 'TAKE'; action: LinkAction; cost?: number }
  | { type: 'USEFUL'; count?: number }
  | { type: 'PENALIZE'; penalty: Penalty; count?: number }
  /** The handshake authenticated the peer: its identity's score and refusal now count, at this tier. */
  | { type: 'IDENTIFIED'; identity: string; tier?: TrustTier }
  | { type: 'RETIER'; tier: TrustTier }
  /** The peer's score may have moved elsewhere: decide again. */
  | { type: 'CHECK' }

export type RateLimiterEmitted = { type: 'taken'; action: LinkAction; cost: number; granted: boolean }

/** setTimeout treats a delay past 2^31-1 ms as 1 ms; a timer that fires early just decides again. */
const MAX_TIMER_MS = 2_147_483_647

const MODE: Readonly<Record<string, ScoreDecision>> = { normal: 'ok', graylisted: 'graylist' }

/** What the gate needs of its actor: the current state and a way to make it decide again. */
interface LimiterSelf {
  getSnapshot(): { readonly status: string; readonly value: unknown; readonly context: { readonly peer: PeerKey } }
  send(event: { type: 'CHECK' }): void
}

/**
 * The gate of one limiter. A class rather than closures over a literal: a relay holds one
 * per link, and a literal with a getter is kept in dictionary mode by V8 (~450 bytes more).
 */
class LimiterGate implements RateLimiterGate {
  private readonly self: LimiterSelf
  private readonly budgets: Budgets<LinkAction>
  private readonly scores: PeerScores
  private readonly now: () => number

  constructor(self: LimiterSelf, budgets: Budgets<LinkAction>, scores: PeerScores, now: () => number) {
    this.self = self
    this.budgets = budgets
    this.scores = scores
    this.now = now
  }

  take(action: LinkAction, cost = 1): boolean {
    const decision = this.decision()
    if (decision === undefined) return false
    const at = this.now()
    if (this.budgets.take(action, at, cost)) return true
    this.recheck(decision, this.scores.penalize(this.self.getSnapshot().context.peer, 'shed', at))
    return false
  }

  useful(count = 1): void {
    const decision = this.decision()
    if (decision === undefined) return
    const decided = this.scores.reward(this.self.getSnapshot().context.peer, this.now(), count)
    // While graylisted a reward brings the way back closer, so the timer must be re-armed.
    if (decision === 'graylist') this.self.send({ type: 'CHECK' })
    else this.recheck(decision, decided)
  }

  get relaying(): boolean {
    return this.decision() === 'ok'
  }

  shed(): ShedCounts<LinkAction> {
    return this.budgets.shed()
  }

  /** The current state as a decision (no allocation: this runs several times per frame), or undefined once the limiter admits nothing. */
  private decision(): ScoreDecision | undefined {
    const snapshot = this.self.getSnapshot()
    return snapshot.status === 'active' ? MODE[snapshot.value as string] : undefined
  }

  /** Only a change of decision costs an actor event; the states themselves decide again. */
  private recheck(current: ScoreDecision, decided: ScoreDecision): void {
    if (decided !== current) this.self.send({ type: 'CHECK' })
  }
}

export const rateLimiterMachine = setup({
  types: {
    context: {} as RateLimiterContext,
    events: {} as RateLimiterEvent,
    input: {} as RateLimiterInput,
    emitted: {} as RateLimiterEmitted,
    output: {} as { reason: CloseReason | null },
  },
  guards: {
    isRefused: ({ context }) => context.scores.refused(context.peer.identity, context.peer.address, context.now()),
    identityRefused: ({ context, event }) => {
      assertEvent(event, 'IDENTIFIED')
      return context.scores.refused(event.identity, context.peer.address, context.now())
    },
    decidesDisconnect: ({ context }) => context.scores.decide(context.peer, context.now()) === 'disconnect',
    decidesGraylist: ({ context }) => context.scores.decide(context.peer, context.now()) === 'graylist',
    decidesOk: ({ context }) => context.scores.decide(context.peer, context.now()) === 'ok',
  },
  delays: {
    untilScoreMayChange: ({ context }) => Math.min(MAX_TIMER_MS, context.scores.nextChange(context.peer, context.now())),
  },
  actions: {
    take: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'TAKE')
      const cost = event.cost ?? 1
      enqueue.emit({ type: 'taken', action: event.action, cost, granted: context.gate.take(event.action, cost) })
    }),
    useful: ({ context, event }) => {
      assertEvent(event, 'USEFUL')
      context.gate.useful(event.count)
    },
    penalize: ({ context, event }) => {
      assertEvent(event, 'PENALIZE')
      context.scores.penalize(context.peer, event.penalty, context.now(), event.count)
    },
    identify: assign({
      peer: ({ context, event }) => {
        assertEvent(event, 'IDENTIFIED')
        return { identity: event.identity, address: context.peer.address }
      },
    }),
    retier: ({ context, event }) => {
      assertEvent(event, ['IDENTIFIED', 'RETIER'])
      if (event.tier !== undefined) context.budgets.setTier(event.tier, context.now())
    },
    becauseRefused: assign({ reason: 'refused' }),
    becauseScore: assign({ reason: 'score' }),
    notifyClose: ({ context }) => {
      try {
        context.close(context.reason ?? 'score')
      } catch {
        // The host's close failing must not stop the actor; the link is condemned either way.
      }
    },
  },
}).createMachine({
  id: 'rateLimiter',
  context: ({ input, self }) => {
    const now = input.now ?? actorSystemClock(self.system).now
    const budgets = linkBudgets(input.tier ?? 'stranger', now(), input.budgets ?? DEFAULT_LINK_BUDGETS)
    const gate = new LimiterGate(self, budgets, input.scores, now)
    return { peer: input.peer, scores: input.scores, budgets, now, gate, close: input.close ?? (() => {}), reason: null }
  },
  initial: 'admitting',
  on: {
    TAKE: { actions: 'take' },
    USEFUL: { actions: 'useful' },
    PENALIZE: { actions: 'penalize' },
    RETIER: { actions: 'retier' },
    IDENTIFIED: [
      { guard: 'identityRefused', target: '.closing', actions: ['identify', 'becauseRefused'] },
      { actions: ['identify', 'retier'] },
    ],
    // A transition with no effect: it makes the eventless transitions below run again.
    CHECK: { actions: [] },
  },
  states: {
    admitting: {
      always: [{ guard: 'isRefused', target: 'closing', actions: 'becauseRefused' }, { target: 'normal' }],
    },
    normal: {
      always: [
        { guard: 'decidesDisconnect', target: 'closing', actions: 'becauseScore' },
        { guard: 'decidesGraylist', target: 'graylisted' },
      ],
    },
    graylisted: {
      always: [
        { guard: 'decidesDisconnect', target: 'closing', actions: 'becauseScore' },
        { guard: 'decidesOk', target: 'normal' },
      ],
      after: { untilScoreMayChange: { target: 'graylisted', reenter: true } },
      // Re-entering re-arms the timer: a reward may have moved the score's way back earlier.
      on: { CHECK: { target: 'graylisted', reenter: true } },
    },
    closing: {
      type: 'final',
      entry: 'notifyClose',
    },
  },
  output: ({ context }) => ({ reason: context.reason }),
})

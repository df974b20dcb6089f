/**
 * A node's defence against its neighbours (issue 10), shared by all its links: the
 * score book (a score outlives the link, and follows the identity and the address),
 * the budget table and how much each neighbour is trusted, and the counters a relay
 * exports (shed by action, closes by reason). Each open link runs a rateLimiter
 * machine (rateLimiter.ts) on top of it; this object only holds what is node-wide.
 *
 * Counters are plain numbers bumped on the hot path, read at scrape time: nothing
 * here costs an actor event or grows with traffic.
 */
import { DEFAULT_LINK_BUDGETS, LINK_ACTIONS } from '../engine/routing/tokenBucket.ts'
import type { BudgetTable, LinkAction, TrustTier } from '../engine/routing/tokenBucket.ts'
import { createPeerScores } from '../engine/routing/peerScore.ts'
import type { PeerScores, PeerScoresInit } from '../engine/routing/peerScore.ts'

/** Why a link was closed by this node's defence (or by the link's own checks). */
export type DefenceCloseReason = 'score' | 'refused' | 'protocol' | 'idle'

export interface DefenceStats {
  /** Items shed per action since the node started (frames, bytes in bytes, envelopes…). */
  readonly shed: Readonly<Record<LinkAction, number>>
  /** Links closed by the defence, by reason. */
  readonly closes: Readonly<Record<string, number>>
  /** Envelopes a link writer dropped because the neighbour did not read (its buffer was full). */
  readonly backpressureDrops: number
}

export interface LinkDefenceInit {
  /** Per-tier link budgets (default DEFAULT_LINK_BUDGETS); loopback tests raise them with scaleBudgets. */
  readonly budgets?: BudgetTable<LinkAction>
  readonly scores?: PeerScoresInit
  /**
   * How much the node trusts a neighbour. Default: a relay this node dialed (the user
   * chose it) is 'chosenRelay', anyone who dialed in is a 'stranger'.
   */
  readonly tierOf?: (peerId: string, outbound: boolean) => TrustTier
}

export interface LinkDefence {
  readonly scores: PeerScores
  readonly budgets: BudgetTable<LinkAction>
  tierOf(peerId: string, outbound: boolean): TrustTier
  countShed(action: LinkAction, amount?: number): void
  countClose(reason: DefenceCloseReason): void
  countBackpressureDrop(envelopes: number): void
  stats(): DefenceStats
}

const defaultTier = (_peerId: string, outbound: boolean): TrustTier => (outbound ? 'chosenRelay' : 'stranger')

export function createLinkDefence(init: LinkDefenceInit = {}): LinkDefence {
  const scores = createPeerScores(init.scores)
  const shed = Object.fromEntries(LINK_ACTIONS.map((a) => [a, 0])) as Record<LinkAction, number>
  const closes: Record<string, number> = {}
  let backpressureDrops = 0
  return {
    scores,
    budgets: init.budgets ?? DEFAULT_LINK_BUDGETS,
    tierOf: init.tierOf ?? defaultTier,
    countShed(action, amount = 1) {
      shed[action] += amount
    },
    countClose(reason) {
      closes[reason] = (closes[reason] ?? 0) + 1
    },
    countBackpressureDrop(envelopes) {
      backpressureDrops += envelopes
    },
    stats: () => ({ shed: { ...shed }, closes: { ...closes }, backpressureDrops }),
  }
}

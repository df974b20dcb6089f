/**
 * The outbox for one destination: decides when each stored envelope is (re)transmitted
 * and when it is given up. It holds ids, never bytes, and does no I/O: the host
 * (workers/) spawns one actor per destination, stores the envelopes before ENQUEUE,
 * and does the sending and the bookkeeping in the callbacks.
 *
 * idle   — nothing queued.
 * active — items queued; one timer for the earliest deadline (a due transmission or
 *          an expiry). Each time it fires, or an event changes what is due, the state
 *          is re-entered: everything due is settled in queue order and the timer re-armed.
 *
 * The decisions themselves are the pure functions in outboxPolicy.ts.
 */
import { assertEvent, assign, enqueueActions, setup } from 'xstate'
import { actorSystemClock } from './linkActors.ts'
import { DEFAULT_OUTBOX_POLICY, admitItem, nextDeadline, settleDue, transmitWaiting } from './outboxPolicy.ts'
import type { OutboxEffect, OutboxEntry, OutboxFailure, OutboxItem, OutboxPolicy, OutboxStep } from './outboxPolicy.ts'

export { DEFAULT_OUTBOX_POLICY, backoffDelay } from './outboxPolicy.ts'
export type { OutboxEntry, OutboxFailure, OutboxItem, OutboxPolicy } from './outboxPolicy.ts'

export interface OutboxInput {
  readonly destination: string
  /** Restored after a restart, in their original order: each is due at once (resume). */
  readonly items?: readonly OutboxItem[]
  readonly policy?: OutboxPolicy
  /** Uniform in [0, 1), injected so tests are deterministic. */
  readonly jitter: () => number
  /**
   * ms epoch, the same clock `expiresAt` is on and the timers run on. Defaults to the
   * actor system's clock (the `clock` given to createActor), so a SimulatedClock drives
   * both the timers and the due times without being passed twice.
   */
  readonly now?: () => number
  /** Transmit the envelope; `attempt` is 0 for the first transmission, 1 for the first retry … (clamped to 255). */
  readonly transmit: (envelopeId: string, attempt: number) => void
  /** After a transmission: the host persists `attempts` (so bounds survive restarts). */
  readonly attempted?: (envelopeId: string, attempts: number) => void
  /** The item is finished without a receipt: the host marks its messages failed with this reason and deletes the entry. */
  readonly failed: (envelopeId: string, reason: OutboxFailure) => void
}

export interface OutboxContext {
  readonly destination: string
  readonly policy: OutboxPolicy
  /** Queue order = enqueue/restore order; it is the transmission order within one instant. */
  readonly items: readonly OutboxEntry[]
  readonly jitter: () => number
  readonly now: () => number
  readonly transmit: OutboxInput['transmit']
  readonly attempted: NonNullable<OutboxInput['attempted']>
  readonly failed: OutboxInput['failed']
}

export type OutboxEvent =
  /** A fresh item (attempts 0): transmitted immediately. Ignored if its id is queued already. */
  | { type: 'ENQUEUE'; item: OutboxItem }
  /** End-to-end receipt: removed, never transmitted again. */
  | { type: 'DELIVERED'; envelopeId: string }
  /** A custodian holds a copy: after maxAttempts the item parks instead of failing. */
  | { type: 'RELAYED'; envelopeId: string }
  /** A link or route to the destination appeared: every waiting sendable item is sent now, backoff restarts. */
  | { type: 'REACHABLE' }
  /** The host dropped it (user deleted etc.): no callback. */
  | { type: 'REMOVE'; envelopeId: string }

export type OutboxState = 'idle' | 'active'

/**
 * setTimeout treats a delay past 2^31-1 ms (~24.8 days) as 1 ms, and an expiry a month
 * out is ordinary; a timer that fires early just settles nothing and re-arms.
 */
const MAX_TIMER_MS = 2_147_483_647

/**
 * A host callback that throws must not stop the actor and strand the whole queue; the
 * queue's own state does not depend on the host's bookkeeping, so there is nothing to undo.
 */
function safely(callback: () => void): void {
  try {
    callback()
  } catch {
    // A transmit that threw is a lost transmission, which is what the backoff is for.
  }
}

function perform(context: OutboxContext, effects: readonly OutboxEffect[]): void {
  for (const effect of effects) {
    if (effect.kind === 'transmit') {
      safely(() => context.transmit(effect.envelopeId, effect.attempt))
      safely(() => context.attempted(effect.envelopeId, effect.attempts))
    } else {
      safely(() => context.failed(effect.envelopeId, effect.reason))
    }
  }
}

const withoutItem = (items: readonly OutboxEntry[], envelopeId: string): readonly OutboxEntry[] =>
  items.filter((item) => item.envelopeId !== envelopeId)

export const outboxMachine = setup({
  types: {
    context: {} as OutboxContext,
    events: {} as OutboxEvent,
    input: {} as OutboxInput,
  },
  guards: {
    hasItems: ({ context }) => context.items.length > 0,
    isEmpty: ({ context }) => context.items.length === 0,
    isNewItem: ({ context, event }) => {
      assertEvent(event, 'ENQUEUE')
      return !context.items.some((item) => item.envelopeId === event.item.envelopeId)
    },
  },
  delays: {
    untilNextDeadline: ({ context }) =>
      Math.min(MAX_TIMER_MS, Math.max(0, nextDeadline(context.items) - context.now())),
  },
  actions: {
    enqueue: assign({
      items: ({ context, event }) => {
        assertEvent(event, 'ENQUEUE')
        return [...context.items, admitItem(event.item, context.now())]
      },
    }),
    forget: assign({
      items: ({ context, event }) => {
        assertEvent(event, ['DELIVERED', 'REMOVE'])
        return withoutItem(context.items, event.envelopeId)
      },
    }),
    markRelayed: assign({
      items: ({ context, event }) => {
        assertEvent(event, 'RELAYED')
        return context.items.map((item) => (item.envelopeId === event.envelopeId ? { ...item, relayed: true } : item))
      },
    }),
    settleDue: enqueueActions(({ context, enqueue }) => {
      const step: OutboxStep = settleDue(context.items, context.now(), context.policy, context.jitter)
      enqueue.assign({ items: step.entries })
      if (step.effects.length > 0) enqueue(() => perform(context, step.effects))
    }),
    transmitWaiting: enqueueActions(({ context, enqueue }) => {
      const step: OutboxStep = transmitWaiting(context.items, context.now(), context.policy, context.jitter)
      enqueue.assign({ items: step.entries })
      if (step.effects.length > 0) enqueue(() => perform(context, step.effects))
    }),
  },
}).createMachine({
  id: 'outbox',
  context: ({ input, self }) => {
    const now = input.now ?? actorSystemClock(self.system).now
    const at = now()
    return {
      destination: input.destination,
      policy: input.policy ?? DEFAULT_OUTBOX_POLICY,
      items: (input.items ?? []).map((item) => admitItem(item, at)),
      jitter: input.jitter,
      now,
      transmit: input.transmit,
      attempted: input.attempted ?? (() => {}),
      failed: input.failed,
    }
  },
  initial: 'idle',
  states: {
    idle: {
      // Restored items start the machine in active at once.
      always: { guard: 'hasItems', target: 'active' },
      on: { ENQUEUE: { target: 'active', actions: 'enqueue' } },
    },
    active: {
      entry: 'settleDue',
      always: { guard: 'isEmpty', target: 'idle' },
      after: { untilNextDeadline: { target: 'active', reenter: true } },
      on: {
        ENQUEUE: { guard: 'isNewItem', target: 'active', reenter: true, actions: 'enqueue' },
        REACHABLE: { target: 'active', reenter: true, actions: 'transmitWaiting' },
        // The timer may now fire before anything is due; it then settles nothing and re-arms.
        DELIVERED: { actions: 'forget' },
        REMOVE: { actions: 'forget' },
        RELAYED: { actions: 'markRelayed' },
      },
    },
  },
})

/**
 * One neighbour link: connecting → handshaking → open → (waiting → connecting …) →
 * closed. Outbound links (dialed to an address) come back after a failure with
 * exponential backoff and jitter; inbound links (accepted) end when they close.
 * The parent (meshNode) hears LINK_OPEN / LINK_DOWN / LINK_STATE. While open, the
 * session pings every PING_INTERVAL_MS and the hop carries the link's quality
 * (engine/routing/linkQuality.ts); a change of grade is a LINK_STATE too.
 */
import { assign, sendParent, setup } from 'xstate'
import type { ActorRefFrom, AnyActorRef } from 'xstate'
import type { Clock, Link } from '../engine/ports/index.ts'
import type { Hop } from '../engine/routing/index.ts'
import { DEFAULT_PING_INTERVAL_MS, createLinkQuality } from '../engine/routing/linkQuality.ts'
import type { QualityGrade } from '../engine/routing/linkQuality.ts'
import { createLinkChannel } from './linkChannel.ts'
import type { LinkChannel } from './linkChannel.ts'
import { actorSystemClock, createHop, dialActor, handshakeActor, sessionActor } from './linkActors.ts'
import type { LinkDeps, LinkHop, OpenedLink, SessionLimiter } from './linkActors.ts'
import { createLinkDefence } from './linkDefence.ts'
import { rateLimiterMachine } from './rateLimiter.ts'
import type { RateLimiterInput } from './rateLimiter.ts'

export const BACKOFF_BASE_MS = 1_000
export const BACKOFF_CAP_MS = 30_000
export const HANDSHAKE_TIMEOUT_MS = 10_000
export const MAX_DIRECT_ATTEMPTS = 3
export const PING_INTERVAL_MS = DEFAULT_PING_INTERVAL_MS

export interface PeerLinkInput {
  readonly deps: LinkDeps
  /** Address to dial (outbound), or null for an accepted link. */
  readonly address: string | null
  /** An accepted link (inbound); absent for outbound. */
  readonly link?: Link
  /** Uniform in [0, 1): jitter source, injected so tests are deterministic. */
  readonly jitter: () => number
  /** How often an open link pings its neighbour (default PING_INTERVAL_MS). */
  readonly pingIntervalMs?: number
}

export interface PeerLinkContext {
  readonly deps: LinkDeps
  readonly address: string | null
  readonly jitter: () => number
  /** deps.clock, or the actor system's clock. */
  readonly clock: Clock
  readonly pingIntervalMs: number
  readonly channel: LinkChannel | null
  readonly opened: OpenedLink | null
  /** The open link's hop, with its quality; null when not open. */
  readonly hop: LinkHop | null
  /** Consecutive failures since the last open link. */
  readonly attempt: number
  readonly lastError: string | null
}

export type PeerLinkEvent =
  | { type: 'CLOSE' }
  | { type: 'LINK_DOWN'; reason: string }
  | { type: 'QUALITY'; grade: QualityGrade }

/** Events the parent receives. LINK_CLOSED: this actor is done (its sessionId, so the parent drops it in O(1)). */
export type PeerLinkParentEvent =
  | { type: 'LINK_OPEN'; peerId: string; hop: LinkHop }
  | { type: 'LINK_DOWN'; peerId: string; hop: LinkHop }
  | { type: 'LINK_STATE' }
  | { type: 'LINK_CLOSED'; id: string }

/** Equal jitter: half the exponential step, plus up to another half at random. */
export function backoffDelay(attempt: number, jitter: number): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1))
  return Math.round(step / 2 + (step / 2) * jitter)
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'Error')

/**
 * Links of a node that does not limit (deps.defence absent) still run a limiter actor,
 * so the actor tree has one shape; it spends from this shared book and the session
 * never asks it (SessionInput.limiter answers null).
 */
const UNLIMITED = createLinkDefence()

/** The open link's limiter as the session sees it: its gate, cached after the first lookup. */
function sessionLimiter(link: AnyActorRef, deps: LinkDeps): () => SessionLimiter | null {
  if (!deps.defence) return () => null
  let found: SessionLimiter | null = null
  return () => {
    if (found) return found
    const ref = link.getSnapshot().children['limiter'] as LimiterRef | undefined
    if (!ref) return null
    found = { gate: ref.getSnapshot().context.gate, penalize: (penalty, count) => ref.send({ type: 'PENALIZE', penalty, ...(count === undefined ? {} : { count }) }) }
    return found
  }
}
type LimiterRef = ActorRefFrom<typeof rateLimiterMachine>

export const peerLinkMachine = setup({
  types: {
    context: {} as PeerLinkContext,
    events: {} as PeerLinkEvent,
    input: {} as PeerLinkInput,
  },
  actors: { dial: dialActor, handshake: handshakeActor, session: sessionActor, limiter: rateLimiterMachine },
  guards: {
    isInbound: ({ context }) => context.channel !== null && context.address === null,
    // Relays are kept forever; a direct link to a contact is worth a few tries only
    // (each try sends signalling through the mesh), then traffic stays on relays.
    canRetry: ({ context }) =>
      context.address !== null && (!context.address.startsWith('rtc:') || context.attempt < MAX_DIRECT_ATTEMPTS),
  },
  delays: {
    backoff: ({ context }) => backoffDelay(context.attempt, context.jitter()),
    handshakeTimeout: ({ context }) => context.deps.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
  },
  actions: {
    closeLink: ({ context }) => context.channel?.link.close('closed'),
    notifyState: sendParent({ type: 'LINK_STATE' }),
    notifyClosed: sendParent(({ self }) => ({ type: 'LINK_CLOSED', id: self.sessionId })),
    notifyOpen: sendParent(({ context }) => ({ type: 'LINK_OPEN', peerId: context.opened!.peerId, hop: context.hop! })),
    notifyDown: sendParent(({ context }) => ({ type: 'LINK_DOWN', peerId: context.opened!.peerId, hop: context.hop! })),
    forgetLink: assign({ channel: null, opened: null, hop: null }),
    countFailure: assign({ attempt: ({ context }) => context.attempt + 1 }),
  },
}).createMachine({
  id: 'peerLink',
  context: ({ input, self }) => ({
    deps: input.deps,
    address: input.address,
    jitter: input.jitter,
    clock: input.deps.clock ?? actorSystemClock(self.system),
    pingIntervalMs: input.pingIntervalMs ?? PING_INTERVAL_MS,
    channel: input.link ? createLinkChannel(input.link) : null,
    opened: null,
    hop: null,
    attempt: 0,
    lastError: null,
  }),
  initial: 'start',
  on: { CLOSE: '.closed' },
  states: {
    start: {
      always: [{ guard: 'isInbound', target: 'handshaking' }, { target: 'connecting' }],
    },
    connecting: {
      entry: 'notifyState',
      invoke: {
        src: 'dial',
        input: ({ context }) => ({ transport: context.deps.transport, address: context.address! }),
        onDone: { target: 'handshaking', actions: assign({ channel: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: assign({ lastError: ({ event }) => errorName(event.error) }) },
      },
    },
    handshaking: {
      entry: 'notifyState',
      invoke: {
        src: 'handshake',
        input: ({ context }) => ({ channel: context.channel!, deps: context.deps, initiator: context.address !== null }),
        onDone: {
          target: 'open',
          actions: assign({
            opened: ({ event }) => event.output,
            hop: ({ context, event }) =>
              createHop(
                // Relays we dial are upstream (a default route); a direct link to a contact is not.
                context.address === null || context.address.startsWith('rtc:') ? 'peer' : 'upstream',
                context.channel!.link,
                event.output.session,
                createLinkQuality({ pingIntervalMs: context.pingIntervalMs }),
                () => context.clock.now(),
                context.deps.defence ? (n) => context.deps.defence!.countBackpressureDrop(n) : undefined,
              ),
            attempt: 0,
            lastError: null,
          }),
        },
        onError: { target: 'failed', actions: assign({ lastError: ({ event }) => errorName(event.error) }) },
      },
      after: { handshakeTimeout: { target: 'failed', actions: assign({ lastError: 'HandshakeTimeout' }) } },
    },
    open: {
      entry: ['notifyOpen', 'notifyState'],
      exit: 'notifyDown',
      invoke: [
        {
          // First, so the session finds it: budgets and score for this neighbour (issue 10).
          id: 'limiter',
          src: 'limiter',
          input: ({ context, self }): RateLimiterInput => {
            const defence = context.deps.defence ?? UNLIMITED
            const peerId = context.opened!.peerId
            const address = context.channel!.link.remoteAddress
            return {
              peer: { identity: peerId, address },
              scores: defence.scores,
              tier: defence.tierOf(peerId, context.address !== null),
              budgets: defence.budgets,
              now: () => context.clock.now(),
              close: (reason) => {
                defence.countClose(reason)
                self.send({ type: 'LINK_DOWN', reason })
              },
            }
          },
        },
        {
          src: 'session',
          input: ({ context, self }) => ({
            channel: context.channel!,
            opened: context.opened!,
            hop: context.hop!,
            deps: context.deps,
            clock: context.clock,
            pingIntervalMs: context.pingIntervalMs,
            limiter: sessionLimiter(self, context.deps),
          }),
        },
      ],
      on: {
        LINK_DOWN: { target: 'failed', actions: assign({ lastError: ({ event }) => event.reason }) },
        QUALITY: { actions: 'notifyState' },
      },
    },
    failed: {
      entry: ['closeLink', 'forgetLink', 'countFailure'],
      always: [{ guard: 'canRetry', target: 'waiting' }, { target: 'closed' }],
    },
    waiting: {
      entry: 'notifyState',
      after: { backoff: 'connecting' },
    },
    closed: {
      type: 'final',
      entry: ['closeLink', 'notifyState', 'notifyClosed'],
    },
  },
})

export type PeerLinkState = 'start' | 'connecting' | 'handshaking' | 'open' | 'failed' | 'waiting' | 'closed'

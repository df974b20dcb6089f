/**
 * Starts a mesh node from a host's ports: the forwarder (data plane) and the
 * meshNode actor (links). Both the messenger engine and the relay daemon run this.
 */
import { createActor } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'
import type { Envelope, RefuseReason } from '../engine/wire/index.ts'
import type { Identity } from '../engine/identity/index.ts'
import type { Clock, Crypto, Link, Random, TimerHandle, Transport } from '../engine/ports/index.ts'
import type { LinkView } from '../engine/messenger/index.ts'
import { createDataPlane } from '../engine/routing/index.ts'
import type { CustodyJournal, DataPlane, Forwarder } from '../engine/routing/index.ts'
import type { CustodyLimits } from '../engine/routing/mailbox.ts'
import type { PublicSignedPrekey } from '../engine/session/index.ts'
import { createHomeRegistry } from '../engine/reach/index.ts'
import { createRelayPool } from './relayPool.ts'
import type { RelayPool } from './relayPool.ts'
import type { HomeRegistry, VerifiedCustodyReceipt } from '../engine/reach/index.ts'
import { createLinkDefence } from '../machines/linkDefence.ts'
import type { DefenceStats, LinkDefence, LinkDefenceInit } from '../machines/linkDefence.ts'
import { linkActorsOf, linkViews, meshNodeMachine } from '../machines/meshNode.ts'
import type { rateLimiterMachine } from '../machines/rateLimiter.ts'
import type { MeshNodeActor } from '../machines/meshNode.ts'

export interface MeshComponents {
  readonly crypto: Crypto
  readonly random: Random
  readonly clock: Clock
  readonly transport: Transport
}

export interface MeshInit {
  readonly identity: Identity
  readonly deliverLocal: (envelope: Envelope) => void
  readonly onSent?: (messageId: string) => void
  /** A custodian acknowledged an envelope this node originated. */
  readonly onRelayed?: (messageId: string) => void
  /** A custodian would not hold an envelope this node originated (its outbox keeps it and tries again later). */
  readonly onRefused?: (messageId: string, reason: RefuseReason) => void
  readonly onLinksChanged?: () => void
  /** A route to `destination` appeared (its announcements reached this node): its outbox may retry now. */
  readonly onReachable?: (destination: string) => void
  /** Passed to createActor for the state visualizer (@statelyai/inspect). */
  readonly inspect?: (event: InspectionEvent) => void
  /** Sees every envelope a neighbour hands this node (tests check relays see no plaintext). */
  readonly tap?: (envelope: Uint8Array) => void
  /** Relays hold mail for the unreachable (custody) and announce it. */
  readonly custodian?: boolean
  /** The node's current signed prekey, carried in its announcements. */
  readonly prekey?: () => PublicSignedPrekey | null
  /** A relay's custody on disk: held mail is restored from it at start and survives a restart. */
  readonly custodyJournal?: CustodyJournal
  /** Custody budgets (engine/routing/mailbox.ts DEFAULT_CUSTODY); tests shrink them. */
  readonly custodyLimits?: Partial<CustodyLimits>
  /**
   * Budgets and peer scores on every link (issue 10; machines/linkDefence.ts). On by
   * default; `false` turns them off (benchmarks measure the cost against it).
   */
  readonly defence?: false | LinkDefenceInit
  /** A link not through its Noise handshake by then is closed (default machines/peerLink.ts HANDSHAKE_TIMEOUT_MS). */
  readonly handshakeTimeoutMs?: number
  /** This node's signed reach record (issue 11), registered at every relay it dials; null while it has none. */
  readonly ownReach?: () => Uint8Array | null
  /** A custodian's signed receipt (verified) for an envelope this node originated; the sender's rule decides if it counts. */
  readonly onCustodyReceipt?: (messageId: string, receipt: VerifiedCustodyReceipt) => void
  /** A user's engine: a contact's verified reach record by hex id (engine/routing/dataPlane.ts `reachOf`). */
  readonly reachOf?: (destination: string) => Uint8Array | null
  /** A user's engine: true for the relays the user chose (its mail to others leaves through them). */
  readonly ownRelay?: (peerId: string) => boolean
  /** Links to other relays opened on demand (workers/relayPool.ts): default 64 on a relay, 3 on a user's node. */
  readonly relayPoolLinks?: number
  /** False on a user's engine: it holds and acknowledges no one else's mail (engine/routing/dataPlane.ts). */
  readonly holdForOthers?: boolean
  /** Which addresses the pool may dial (native/node/dialPolicy.ts on a relay); absent, any relay address. */
  readonly dialAllowed?: (address: string) => boolean
  /** A relay: a user's registration was kept (write it down; `mesh.homes.restore` it after a restart). */
  readonly onHomeRecord?: (identityHex: string, bytes: Uint8Array) => void
  /** A relay dialed on demand that has not proved its identity by then is given up (default 20 s; tests shorten it). */
  readonly relayDialTimeoutMs?: number
}

/** The defence counters, plus what is read from the open links when asked (O(links): for /metrics, not per frame). */
export interface MeshDefenceStats extends DefenceStats {
  /** Open links whose peer is graylisted now. */
  readonly graylisted: number
  /** The score of each open link's peer now. */
  readonly scores: number[]
}

export interface Mesh {
  readonly actor: MeshNodeActor
  readonly plane: DataPlane
  readonly forwarder: Forwarder
  /** A custodian's registrations: who names this relay as a home relay (null on a user's node). */
  readonly homes: HomeRegistry | null
  /** This node's reach record changed: register it again at the relays it dialed. */
  publishReach(): void
  /** Links to relays dialed on demand (home relays of mail's destinations). */
  readonly pool: RelayPool
  /** Null when the mesh was started with `defence: false`. */
  readonly defence: { readonly book: LinkDefence; stats(): MeshDefenceStats } | null
  /** Keeps a link to `address`, reconnecting with backoff. */
  connect(address: string): void
  disconnect(address: string): void
  /** Adopts a link a neighbour opened to us (a relay's accepted WebSocket). */
  accept(link: Link): void
  /** Routes an envelope this node originated. */
  send(bytes: Uint8Array): void
  links(): LinkView[]
  /** Closes direct links to contacts (WebRTC); relays stay. For tests and a 'relay only' mode. */
  dropDirect(): void
  stop(): void
}

type LimiterRef = ActorRefFrom<typeof rateLimiterMachine>

/** Uniform [0, 1) from the injected RNG, for backoff jitter. */
export function jitterFrom(random: Random): () => number {
  return () => {
    const b = random.bytes(4)
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32
  }
}

/** Link states in which a relay the node chose counts as up, or on its way up. */
const ALIVE: ReadonlySet<string> = new Set(['connecting', 'handshaking', 'open'])

/** How often the relay pool closes idle links and gives up dials that did not open. */
const POOL_TICK_MS = 5_000

export function startMesh(c: MeshComponents, init: MeshInit): Mesh {
  const homes = init.custodian
    ? createHomeRegistry({
        crypto: c.crypto,
        self: init.identity.signingKey.publicKey,
        ...(init.onHomeRecord ? { onKept: init.onHomeRecord } : {}),
      })
    : null
  /** Addresses dialed by choice (a user's relays, a relay's configured peers): the pool leaves them alone. */
  const chosen = new Set<string>()
  const pool = createRelayPool({
    // Dialed for mail, not chosen: these never count as the node's own relays.
    connect: (address) => actor.send({ type: 'CONNECT', address }),
    disconnect: (address) => actor.send({ type: 'DISCONNECT', address }),
    linked: (id) => plane.linked(id),
    kept: (address) => chosen.has(address),
    maxLinks: init.relayPoolLinks ?? (init.custodian ? 64 : 3),
    onGaveUp: (id) => plane.forwarder.unreachable(id),
    ...(init.dialAllowed ? { allowed: init.dialAllowed } : {}),
    ...(init.relayDialTimeoutMs !== undefined ? { dialTimeoutMs: init.relayDialTimeoutMs } : {}),
  })
  const ownRelayAlive = (): boolean =>
    linkViews(actor.getSnapshot()).some((l) => l.address !== null && chosen.has(l.address) && ALIVE.has(l.state))
  // The pool's timer runs only while it holds links: an idle node keeps no timer for it.
  let poolTimer: TimerHandle | null = null
  const watchPool = (): void => {
    if (poolTimer !== null || pool.stats().links === 0) return
    poolTimer = c.clock.setTimeout(() => {
      poolTimer = null
      pool.tick(c.clock.now())
      watchPool()
    }, Math.min(POOL_TICK_MS, (init.relayDialTimeoutMs ?? POOL_TICK_MS) / 2))
  }
  const plane = createDataPlane({
    ...(init.reachOf ? { reachOf: init.reachOf } : {}),
    ...(init.ownRelay ? { ownRelay: init.ownRelay } : {}),
    ...(init.holdForOthers === false ? { holdForOthers: false } : {}),
    dialRelays: (relays) => {
      // A user's node dials a contact's relay only while none of its own is up or on its way up
      // (at start, its own relay is still connecting: the mail waits for it, not for a detour).
      if (!init.custodian && ownRelayAlive()) return
      pool.ensure(relays, c.clock.now())
      watchPool()
    },
    onRelayUsed: (peerId) => pool.used(peerId, c.clock.now()),
    ...(homes ? { homes } : {}),
    ...(init.ownReach ? { ownReach: init.ownReach } : {}),
    ...(init.onCustodyReceipt ? { onCustodyReceipt: init.onCustodyReceipt } : {}),
    identity: init.identity,
    crypto: c.crypto,
    clock: c.clock,
    deliverLocal: init.deliverLocal,
    ...(init.custodian ? { custodian: true } : {}),
    ...(init.prekey ? { prekey: init.prekey } : {}),
    ...(init.onSent ? { onSent: init.onSent } : {}),
    ...(init.onRelayed ? { onRelayed: init.onRelayed } : {}),
    ...(init.onReachable ? { onRouteUp: init.onReachable } : {}),
    ...(init.custodyJournal || init.custodyLimits
      ? { custody: { ...init.custodyLimits, ...(init.custodyJournal ? { journal: init.custodyJournal } : {}) } }
      : {}),
    ...(init.onRefused ? { onRefused: init.onRefused } : {}),
  })
  const defence = init.defence === false ? null : createLinkDefence(init.defence ?? {})
  const tap = init.tap
  const linkPlane: DataPlane = tap
    ? { ...plane, envelopes: (peerId, envelopes) => (envelopes.forEach(tap), plane.envelopes(peerId, envelopes)) }
    : plane
  const actor = createActor(meshNodeMachine, {
    clock: c.clock,
    ...(init.inspect ? { inspect: init.inspect } : {}),
    input: {
      deps: {
        transport: c.transport,
        crypto: c.crypto,
        random: c.random,
        identity: init.identity,
        clock: c.clock,
        ...(defence ? { defence } : {}),
        ...(init.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: init.handshakeTimeoutMs } : {}),
      },
      plane: linkPlane,
      jitter: jitterFrom(c.random),
      ...(init.onLinksChanged ? { onLinksChanged: init.onLinksChanged } : {}),
    },
  })
  actor.start()
  return {
    actor,
    plane,
    forwarder: plane.forwarder,
    homes,
    pool,
    publishReach: () => plane.publishReach(),
    defence: defence && {
      book: defence,
      stats: () => {
        const now = c.clock.now()
        let graylisted = 0
        const scores: number[] = []
        for (const child of linkActorsOf(actor.getSnapshot())) {
          const limiter = (child.getSnapshot().children['limiter'] as LimiterRef | undefined)?.getSnapshot()
          if (!limiter || limiter.status !== 'active') continue
          if (limiter.value === 'graylisted') graylisted++
          scores.push(defence.scores.score(limiter.context.peer, now))
        }
        return { ...defence.stats(), graylisted, scores }
      },
    },
    connect: (address) => {
      chosen.add(address)
      actor.send({ type: 'CONNECT', address })
    },
    disconnect: (address) => {
      chosen.delete(address)
      actor.send({ type: 'DISCONNECT', address })
    },
    accept: (link) => actor.send({ type: 'INBOUND', link }),
    send: (bytes) => void plane.send(bytes),
    links: () => linkViews(actor.getSnapshot()),
    dropDirect: () => {
      for (const child of linkActorsOf(actor.getSnapshot())) {
        const address = (child?.getSnapshot() as { context?: { address?: string | null } } | undefined)?.context?.address
        if (address === null || address?.startsWith('rtc:')) child?.send({ type: 'CLOSE' })
      }
    },
    stop: () => {
      if (poolTimer !== null) c.clock.clearTimeout(poolTimer)
      for (const child of linkActorsOf(actor.getSnapshot())) child.send({ type: 'CLOSE' })
      actor.stop()
    },
  }
}

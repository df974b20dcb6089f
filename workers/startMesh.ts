/**
 * Starts a mesh node from a host's ports: the forwarder (data plane) and the
 * meshNode actor (links). Both the messenger engine and the relay daemon run this.
 */
import { createActor } from 'xstate'
import type { InspectionEvent } from 'xstate'
import type { Envelope } from '../engine/wire/index.ts'
import type { Identity } from '../engine/identity/index.ts'
import type { Clock, Crypto, Link, Random, Transport } from '../engine/ports/index.ts'
import type { LinkView } from '../engine/messenger/index.ts'
import { createDataPlane } from '../engine/routing/index.ts'
import type { DataPlane, Forwarder } from '../engine/routing/index.ts'
import type { PublicSignedPrekey } from '../engine/session/index.ts'
import { linkViews, meshNodeMachine } from '../machines/meshNode.ts'
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
}

export interface Mesh {
  readonly actor: MeshNodeActor
  readonly plane: DataPlane
  readonly forwarder: Forwarder
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

/** Uniform [0, 1) from the injected RNG, for backoff jitter. */
export function jitterFrom(random: Random): () => number {
  return () => {
    const b = random.bytes(4)
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32
  }
}

export function startMesh(c: MeshComponents, init: MeshInit): Mesh {
  const plane = createDataPlane({
    identity: init.identity,
    crypto: c.crypto,
    clock: c.clock,
    deliverLocal: init.deliverLocal,
    ...(init.custodian ? { custodian: true } : {}),
    ...(init.prekey ? { prekey: init.prekey } : {}),
    ...(init.onSent ? { onSent: init.onSent } : {}),
    ...(init.onRelayed ? { onRelayed: init.onRelayed } : {}),
    ...(init.onReachable ? { onRouteUp: init.onReachable } : {}),
  })
  const tap = init.tap
  const linkPlane: DataPlane = tap
    ? { ...plane, envelopes: (peerId, envelopes) => (envelopes.forEach(tap), plane.envelopes(peerId, envelopes)) }
    : plane
  const actor = createActor(meshNodeMachine, {
    clock: c.clock,
    ...(init.inspect ? { inspect: init.inspect } : {}),
    input: {
      deps: { transport: c.transport, crypto: c.crypto, random: c.random, identity: init.identity, clock: c.clock },
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
    connect: (address) => actor.send({ type: 'CONNECT', address }),
    disconnect: (address) => actor.send({ type: 'DISCONNECT', address }),
    accept: (link) => actor.send({ type: 'INBOUND', link }),
    send: (bytes) => void plane.send(bytes),
    links: () => linkViews(actor.getSnapshot()),
    dropDirect: () => {
      for (const child of Object.values(actor.getSnapshot().children)) {
        const address = (child?.getSnapshot() as { context?: { address?: string | null } } | undefined)?.context?.address
        if (address === null || address?.startsWith('rtc:')) child?.send({ type: 'CLOSE' })
      }
    },
    stop: () => {
      for (const child of Object.values(actor.getSnapshot().children)) child?.send({ type: 'CLOSE' })
      actor.stop()
    },
  }
}

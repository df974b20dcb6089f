/**
 * The root actor of a node: spawns a peerLink per relay address it should keep
 * (CONNECT) and per link a neighbour opened to it (INBOUND), and keeps the data
 * plane's hop table in step with the links that are open. Envelopes themselves
 * never pass through here: links hand them to the forwarder directly.
 *
 * Inbound links (a relay may hold 10,000) are actors of this node's system with this
 * node as their parent, but kept in a Map rather than as XState children: XState
 * copies the whole `children` object on every spawn and stop, so at 10,000 links
 * each accept and each close cost O(links) — 18 % + 20 % of a relay's CPU while
 * peers connected (bench relay-scale, issue 10). They still reach this node with
 * sendParent, run on its clock and show in its inspection stream; `linkActorsOf`
 * lists both kinds.
 */
import { createActor, enqueueActions, setup, stopChild } from 'xstate'
import type { ActorRefFrom, SnapshotFrom } from 'xstate'
import type { LinkView } from '../engine/messenger/index.ts'
import type { Link } from '../engine/ports/index.ts'
import type { RefuseReason } from '../engine/wire/index.ts'
import type { DataPlane, Hop } from '../engine/routing/index.ts'
import type { LinkDeps } from './linkActors.ts'
import { peerLinkMachine } from './peerLink.ts'
import type { PeerLinkParentEvent } from './peerLink.ts'

/** How often the data plane does its periodic work (announcements, route expiry, acks). */
export const TICK_MS = 1_000

export interface MeshNodeInput {
  readonly deps: Omit<LinkDeps, 'onEnvelopes' | 'onAnnouncement' | 'onAck' | 'onRefuse' | 'onReach' | 'onCustody'>
  readonly plane: DataPlane
  readonly jitter: () => number
  /** Called whenever a link changes state (for the UI and the visualizer). */
  readonly onLinksChanged?: () => void
}

interface MeshNodeContext extends MeshNodeInput {
  readonly linkDeps: LinkDeps
  /** Inbound link actors by sessionId; mutable on purpose, see the header. */
  readonly inbound: Map<string, PeerLinkActor>
}

export type MeshNodeEvent =
  | { type: 'CONNECT'; address: string }
  | { type: 'DISCONNECT'; address: string }
  | { type: 'INBOUND'; link: Link }
  | PeerLinkParentEvent

const outboundId = (address: string): string => `out:${address}`
/** The actor id of every inbound link (one id, not one per link: see INBOUND). */
const INBOUND_ID = 'in'

export const meshNodeMachine = setup({
  types: {
    context: {} as MeshNodeContext,
    events: {} as MeshNodeEvent,
    input: {} as MeshNodeInput,
  },
  actors: { peerLink: peerLinkMachine },
  actions: {
    linksChanged: ({ context }) => context.onLinksChanged?.(),
    tick: ({ context }) => context.plane.tick(context.deps.clock?.now() ?? Date.now()),
  },
}).createMachine({
  id: 'meshNode',
  context: ({ input }) => ({
    ...input,
    inbound: new Map(),
    linkDeps: {
      ...input.deps,
      onEnvelopes: (peerId: string, envelopes: readonly Uint8Array[]) => input.plane.envelopes(peerId, envelopes),
      onAnnouncement: (peerId: string, announcement: Uint8Array, metric: number) =>
        input.plane.announcement(peerId, announcement, metric),
      onAck: (peerId: string, ids: readonly Uint8Array[]) => input.plane.ack(peerId, ids),
      onRefuse: (peerId: string, reason: RefuseReason, ids: readonly Uint8Array[]) => input.plane.refuse(peerId, reason, ids),
      onReach: (peerId: string, record: Uint8Array) => input.plane.reach(peerId, record),
      onCustody: (peerId: string, receipt: Uint8Array) => input.plane.custody(peerId, receipt),
    },
  }),
  initial: 'running',
  states: {
    running: {
      // The data plane's clock: announcements, route expiry and custody acks, once a TICK_MS.
      after: { [TICK_MS]: { target: 'running', reenter: true, actions: 'tick' } },
    },
  },
  on: {
    CONNECT: {
      actions: enqueueActions(({ context, event, self, enqueue }) => {
        const id = outboundId(event.address)
        if (self.getSnapshot().children[id]) return
        enqueue.spawnChild('peerLink', {
          id,
          input: { deps: context.linkDeps, address: event.address, jitter: context.jitter },
        })
      }),
    },
    DISCONNECT: {
      actions: [stopChild(({ event }) => outboundId(event.address)), 'linksChanged'],
    },
    INBOUND: {
      actions: [
        enqueueActions(({ context, event, enqueue }) => {
          // An address serving a backoff (its peers' scores fell below the disconnect line) is
          // refused before it costs a handshake.
          const defence = context.deps.defence
          const now = context.deps.clock?.now() ?? Date.now()
          if (defence && defence.scores.refused(undefined, event.link.remoteAddress, now)) {
            enqueue(() => {
              defence.countClose('refused')
              event.link.close('refused')
            })
            return
          }
          enqueue(({ self }) => {
            // Every inbound actor has the same id: a child's done event is `xstate.done.actor.<id>`, and
            // XState memoizes each state node's transitions per event type for good, so an id per link
            // grew that cache by two entries per link ever accepted (bench relay-churn, issue 10). The
            // Map is keyed by the actor's sessionId, unique in the system.
            const link = createActor(peerLinkMachine, {
              id: INBOUND_ID,
              parent: self,
              input: { deps: context.linkDeps, address: null, link: event.link, jitter: context.jitter },
            })
            context.inbound.set(link.sessionId, link)
            link.start()
          })
        }),
      ],
    },
    LINK_OPEN: { actions: ({ context, event }) => context.plane.linkOpen(event.peerId, event.hop) },
    LINK_DOWN: { actions: ({ context, event }) => context.plane.linkDown(event.peerId, event.hop) },
    LINK_STATE: { actions: 'linksChanged' },
    // A closed inbound link is done: drop its actor so a busy relay doesn't keep them all. O(1) per
    // event (it used to scan every child on every link-state change: 2.2 s /healthz at 1,000 half-open
    // handshakes, issue 10). Outbound links are stopped by DISCONNECT.
    LINK_CLOSED: {
      // The link reached its final state, so it has stopped itself (XState refuses to stop a
      // non-root actor from outside); forgetting it is all that is left.
      actions: ({ context, event }) => void context.inbound.delete(event.id),
    },
  },
})

export type MeshNodeActor = ActorRefFrom<typeof meshNodeMachine>
type PeerLinkActor = ActorRefFrom<typeof peerLinkMachine>

/** Every link actor of a mesh node: outbound (its children) and inbound (its Map). */
export function linkActorsOf(snapshot: SnapshotFrom<typeof meshNodeMachine>): PeerLinkActor[] {
  const links: PeerLinkActor[] = []
  for (const child of Object.values(snapshot.children)) if (child) links.push(child as PeerLinkActor)
  for (const link of snapshot.context.inbound.values()) links.push(link)
  return links
}

/** The links of a mesh node as plain views. */
export function linkViews(snapshot: SnapshotFrom<typeof meshNodeMachine>): LinkView[] {
  const views: LinkView[] = []
  for (const child of linkActorsOf(snapshot)) {
    const link = child.getSnapshot()
    if (!link) continue
    const value = String(link.value)
    const state: LinkView['state'] =
      value === 'open' || value === 'handshaking' || value === 'waiting' || value === 'closed' ? value : 'connecting'
    const quality = state === 'open' && link.context.hop ? link.context.hop.quality() : null
    views.push({ peerId: link.context.opened?.peerId ?? null, address: link.context.address, state, quality })
  }
  return views
}

export type { Hop }

/**
 * The root actor of a node: spawns a peerLink per relay address it should keep
 * (CONNECT) and per link a neighbour opened to it (INBOUND), and keeps the data
 * plane's hop table in step with the links that are open. Envelopes themselves
 * never pass through here: links hand them to the forwarder directly.
 */
import { assign, enqueueActions, setup, stopChild } from 'xstate'
import type { ActorRefFrom, AnyActorRef, SnapshotFrom } from 'xstate'
import type { LinkView } from '../engine/messenger/index.ts'
import type { Link } from '../engine/ports/index.ts'
import type { DataPlane, Hop } from '../engine/routing/index.ts'
import type { LinkDeps } from './linkActors.ts'
import { peerLinkMachine } from './peerLink.ts'
import type { PeerLinkParentEvent } from './peerLink.ts'

/** How often the data plane does its periodic work (announcements, route expiry, acks). */
export const TICK_MS = 1_000

export interface MeshNodeInput {
  readonly deps: Omit<LinkDeps, 'onEnvelopes' | 'onAnnouncement' | 'onAck'>
  readonly plane: DataPlane
  readonly jitter: () => number
  /** Called whenever a link changes state (for the UI and the visualizer). */
  readonly onLinksChanged?: () => void
}

interface MeshNodeContext extends MeshNodeInput {
  readonly linkDeps: LinkDeps
  readonly inboundCount: number
}

export type MeshNodeEvent =
  | { type: 'CONNECT'; address: string }
  | { type: 'DISCONNECT'; address: string }
  | { type: 'INBOUND'; link: Link }
  | PeerLinkParentEvent

const outboundId = (address: string): string => `out:${address}`

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
    inboundCount: 0,
    linkDeps: {
      ...input.deps,
      onEnvelopes: (peerId: string, envelopes: readonly Uint8Array[]) => input.plane.envelopes(peerId, envelopes),
      onAnnouncement: (peerId: string, announcement: Uint8Array, metric: number) =>
        input.plane.announcement(peerId, announcement, metric),
      onAck: (peerId: string, ids: readonly Uint8Array[]) => input.plane.ack(peerId, ids),
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
          enqueue.spawnChild('peerLink', {
            id: `in:${context.inboundCount}`,
            input: { deps: context.linkDeps, address: null, link: event.link, jitter: context.jitter },
          })
        }),
        assign({ inboundCount: ({ context }) => context.inboundCount + 1 }),
      ],
    },
    LINK_OPEN: { actions: ({ context, event }) => context.plane.linkOpen(event.peerId, event.hop) },
    LINK_DOWN: { actions: ({ context, event }) => context.plane.linkDown(event.peerId, event.hop) },
    LINK_STATE: {
      actions: enqueueActions(({ self, enqueue }) => {
        // A closed inbound link is done: drop its actor so a busy relay doesn't keep them all.
        for (const [id, child] of Object.entries(self.getSnapshot().children)) {
          if (id.startsWith('in:') && (child as AnyActorRef).getSnapshot().status === 'done') enqueue.stopChild(id)
        }
        enqueue('linksChanged')
      }),
    },
  },
})

export type MeshNodeActor = ActorRefFrom<typeof meshNodeMachine>

/** The links of a mesh node as plain views. */
export function linkViews(snapshot: SnapshotFrom<typeof meshNodeMachine>): LinkView[] {
  const views: LinkView[] = []
  for (const child of Object.values(snapshot.children)) {
    const link = (child as ActorRefFrom<typeof peerLinkMachine> | undefined)?.getSnapshot()
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

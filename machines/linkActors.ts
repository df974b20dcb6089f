/**
 * The side effects of a peer link, as invoked actors: dial, handshake, and the open
 * session's inbound pump. Tests swap them with `peerLinkMachine.provide`. Bytes go
 * straight from the link to `onEnvelopes`, never through actor events (DESIGN.md §8).
 */
import { fromCallback, fromPromise } from 'xstate'
import { toHex } from '../engine/bytes.ts'
import type { Identity } from '../engine/identity/index.ts'
import { createLinkHandshake } from '../engine/noise/index.ts'
import type { LinkSession } from '../engine/noise/index.ts'
import type { Crypto, Link, Random, Transport } from '../engine/ports/index.ts'
import type { Hop } from '../engine/routing/index.ts'
import { decodeLinkFrame, encodeLinkFrame, packEnvelopeFrames } from '../engine/wire/index.ts'
import type { LinkFrame } from '../engine/wire/index.ts'
import { LinkLostError } from './errors.ts'
import { createLinkChannel } from './linkChannel.ts'
import type { LinkChannel } from './linkChannel.ts'

/** What a peer link needs from its host and its mesh node. */
export interface LinkDeps {
  readonly transport: Transport
  readonly crypto: Crypto
  readonly random: Random
  readonly identity: Identity
  /** Every batch of envelopes a neighbour sent, with its hex id. */
  readonly onEnvelopes: (peerId: string, envelopes: readonly Uint8Array[]) => void
}

export interface OpenedLink {
  readonly peerId: string
  readonly session: LinkSession
}

export const dialActor = fromPromise<LinkChannel, { transport: Transport; address: string }>(async ({ input }) =>
  createLinkChannel(await input.transport.dial(input.address)),
)

export const handshakeActor = fromPromise<OpenedLink, { channel: LinkChannel; deps: LinkDeps; initiator: boolean }>(
  ({ input, signal }) =>
    new Promise((resolve, reject) => {
      const { channel, deps } = input
      const handshake = createLinkHandshake({
        crypto: deps.crypto,
        random: deps.random,
        identity: deps.identity,
        initiator: input.initiator,
      })
      const release = (): void => {
        channel.setReceiver(null)
        channel.setOnClose(null)
      }
      const fail = (error: unknown): void => {
        release()
        reject(error)
      }
      signal.addEventListener('abort', release)
      channel.setOnClose((reason) => fail(new LinkLostError(reason)))
      channel.setReceiver((bytes) => {
        try {
          const { reply, session } = handshake.receive(bytes)
          if (reply) channel.link.send(reply)
          if (session) {
            // Later bytes wait in the channel for the session actor.
            release()
            resolve({ peerId: toHex(session.remoteIdentity), session })
          }
        } catch (error) {
          channel.link.close('handshake failed')
          fail(error)
        }
      })
      const first = handshake.start()
      if (first) channel.link.send(first)
    }),
)

/** Coalesces envelopes queued in one tick into as few encrypted frames as fit. */
export function createHop(kind: Hop['kind'], link: Link, session: LinkSession): Hop & { frame(f: LinkFrame): void } {
  let pending: Uint8Array[] = []
  let scheduled = false
  const write = (plain: Uint8Array): void => {
    try {
      link.send(session.encrypt(plain))
    } catch {
      // The link closed under us; its close event reroutes traffic.
    }
  }
  const flush = (): void => {
    scheduled = false
    const batch = pending
    pending = []
    for (const frame of packEnvelopeFrames(batch)) write(frame)
  }
  return {
    kind,
    send(envelopes) {
      for (const e of envelopes) pending.push(e)
      if (!scheduled && pending.length > 0) {
        scheduled = true
        void Promise.resolve().then(flush)
      }
    },
    frame: (f) => write(encodeLinkFrame(f)),
  }
}

export type SessionEvent = { type: 'LINK_DOWN'; reason: string }

export const sessionActor = fromCallback<
  SessionEvent,
  { channel: LinkChannel; opened: OpenedLink; hop: ReturnType<typeof createHop>; deps: LinkDeps }
>(({ input, sendBack }) => {
  const { channel, opened, hop, deps } = input
  const down = (reason: string): void => sendBack({ type: 'LINK_DOWN', reason })
  channel.setReceiver((bytes) => {
    let frame: LinkFrame
    try {
      frame = decodeLinkFrame(opened.session.decrypt(bytes))
    } catch {
      // Noise transport messages arrive in order; one that fails is an attack or a bug.
      channel.link.close('protocol')
      down('protocol')
      return
    }
    switch (frame.type) {
      case 'envelopes':
        deps.onEnvelopes(opened.peerId, frame.envelopes)
        break
      case 'ping':
        hop.frame({ type: 'pong', nonce: frame.nonce, sentAt: frame.sentAt })
        break
      case 'pong':
        break
      case 'close':
        channel.link.close(frame.reason)
        down(frame.reason)
        break
    }
  })
  channel.setOnClose(down)
  return () => {
    channel.setReceiver(null)
    channel.setOnClose(null)
  }
})

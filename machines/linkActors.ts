/**
 * The side effects of a peer link, as invoked actors: dial, handshake, and the open
 * session's inbound pump and pinger. Tests swap them with `peerLinkMachine.provide`.
 * Bytes go straight from the link to `onEnvelopes`, never through actor events
 * (DESIGN.md §8); the session tells its machine only when the quality grade changes.
 */
import { fromCallback, fromPromise } from 'xstate'
import type { AnyActorRef } from 'xstate'
import { toHex } from '../engine/bytes.ts'
import type { Identity } from '../engine/identity/index.ts'
import { createLinkHandshake } from '../engine/noise/index.ts'
import type { LinkSession } from '../engine/noise/index.ts'
import type { Clock, Crypto, Link, Random, TimerHandle, Transport } from '../engine/ports/index.ts'
import type { Hop } from '../engine/routing/index.ts'
import type { LinkQuality, QualityGrade, QualityView } from '../engine/routing/linkQuality.ts'
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
  /** A neighbour's signed route announcement (opaque here) and the metric it carries. */
  readonly onAnnouncement?: (peerId: string, announcement: Uint8Array, metric: number) => void
  /** A neighbour took custody of the envelopes with these ids. */
  readonly onAck?: (peerId: string, ids: readonly Uint8Array[]) => void
  /**
   * Time for pings and link quality. Defaults to the clock the actor system runs
   * on (the `clock` given to createActor), so a SimulatedClock drives both.
   */
  readonly clock?: Clock
}

/** The actor system's clock as a Clock port; `now` falls back to Date.now if that clock has none. */
export function actorSystemClock(system: AnyActorRef['system']): Clock {
  const clock: { now?: () => number } & typeof system._clock = system._clock
  return {
    now: typeof clock.now === 'function' ? () => clock.now!() : () => Date.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
  }
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

/** An open link as the data plane and the quality view see it. */
export interface LinkHop extends Hop {
  /** Encrypts and sends one link frame now. */
  frame(f: LinkFrame): void
  /** Fed with this link's pings, pongs and bytes. */
  readonly meter: LinkQuality
  readonly now: () => number
  quality(): QualityView
}

/** Coalesces envelopes queued in one tick into as few encrypted frames as fit, and counts the bytes sent. */
export function createHop(
  kind: Hop['kind'],
  link: Link,
  session: LinkSession,
  meter: LinkQuality,
  now: () => number,
): LinkHop {
  let pending: Uint8Array[] = []
  let scheduled = false
  const write = (plain: Uint8Array): void => {
    try {
      const sealed = session.encrypt(plain)
      link.send(sealed)
      meter.bytesSent(sealed.length, now())
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
    meter,
    now,
    quality: () => meter.view(now()),
  }
}

export type SessionEvent = { type: 'LINK_DOWN'; reason: string } | { type: 'QUALITY'; grade: QualityGrade }

export interface SessionInput {
  readonly channel: LinkChannel
  readonly opened: OpenedLink
  readonly hop: LinkHop
  readonly deps: LinkDeps
  readonly clock: Clock
  readonly pingIntervalMs: number
}

/** u48 on the wire (linkFrame.ts); the echo is informational, RTT comes from our own record. */
const U48 = 2 ** 48

/**
 * The open link's receiver and pinger: decrypts frames, answers pings, pings
 * every `pingIntervalMs` (first one at once) and feeds the hop's quality meter.
 */
export const sessionActor = fromCallback<SessionEvent, SessionInput>(({ input, sendBack }) => {
  const { channel, opened, hop, deps, clock } = input
  const down = (reason: string): void => sendBack({ type: 'LINK_DOWN', reason })
  let grade = hop.quality().grade
  const checkGrade = (): void => {
    const next = hop.quality().grade
    if (next === grade) return
    grade = next
    sendBack({ type: 'QUALITY', grade })
  }
  let nonce = 0
  let timer: TimerHandle | null = null
  const ping = (): void => {
    timer = clock.setTimeout(ping, input.pingIntervalMs)
    nonce = (nonce + 1) >>> 0
    const at = hop.now()
    hop.meter.pingSent(nonce, at)
    hop.frame({ type: 'ping', nonce, sentAt: Math.floor(Math.max(0, at)) % U48 })
    checkGrade()
  }
  channel.setReceiver((bytes) => {
    hop.meter.bytesReceived(bytes.length, hop.now())
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
        hop.meter.pongReceived(frame.nonce, hop.now())
        checkGrade()
        break
      case 'announce':
        deps.onAnnouncement?.(opened.peerId, frame.announcement, frame.metric)
        break
      case 'ack':
        deps.onAck?.(opened.peerId, frame.ids)
        break
      case 'close':
        channel.link.close(frame.reason)
        down(frame.reason)
        break
    }
  })
  channel.setOnClose(down)
  ping()
  return () => {
    if (timer !== null) clock.clearTimeout(timer)
    hop.meter.linkDown()
    channel.setReceiver(null)
    channel.setOnClose(null)
  }
})

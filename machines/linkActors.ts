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
import type { Penalty } from '../engine/routing/peerScore.ts'
import type { LinkAction } from '../engine/routing/tokenBucket.ts'
import { decodeLinkFrame, encodeLinkFrame, packEnvelopeFrames } from '../engine/wire/index.ts'
import type { LinkFrame, RefuseReason } from '../engine/wire/index.ts'
import { LinkLostError } from './errors.ts'
import { createLinkChannel } from './linkChannel.ts'
import type { LinkChannel } from './linkChannel.ts'
import type { LinkDefence } from './linkDefence.ts'
import type { RateLimiterGate } from './rateLimiter.ts'

/** What a peer link needs from its host and its mesh node. */
export interface LinkDeps {
  readonly transport: Transport
  readonly crypto: Crypto
  readonly random: Random
  readonly identity: Identity
  /** Every batch of envelopes a neighbour sent, with its hex id. */
  readonly onEnvelopes: (peerId: string, envelopes: readonly Uint8Array[]) => void
  /** A neighbour's signed route announcement (opaque here) and the metric it carries; false when it was rejected. */
  readonly onAnnouncement?: (peerId: string, announcement: Uint8Array, metric: number) => boolean | void
  /** A neighbour took custody of the envelopes with these ids; false when the claim cannot count (issue 11: a plain ack where only a home relay's signed receipt does). */
  readonly onAck?: (peerId: string, ids: readonly Uint8Array[]) => boolean | void
  /** A neighbour would not hold the envelopes with these ids (its custody budgets). */
  readonly onRefuse?: (peerId: string, reason: RefuseReason, ids: readonly Uint8Array[]) => void
  /** A neighbour registered its signed reach record (opaque here); false when it was hostile. */
  readonly onReach?: (peerId: string, record: Uint8Array) => boolean | void
  /** A neighbour passed a signed custody receipt (opaque here); false when it was malformed or forged. */
  readonly onCustody?: (peerId: string, receipt: Uint8Array) => boolean | void
  /**
   * Time for pings and link quality. Defaults to the clock the actor system runs
   * on (the `clock` given to createActor), so a SimulatedClock drives both.
   */
  readonly clock?: Clock
  /** Budgets and scores for every open link (issue 10); absent, links are not limited. */
  readonly defence?: LinkDefence
  /** A link not through its Noise handshake by then fails (default peerLink.ts HANDSHAKE_TIMEOUT_MS). */
  readonly handshakeTimeoutMs?: number
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

/**
 * A link writer holds at most this many bytes the neighbour has not read yet. Past it,
 * envelopes are dropped (their senders' outboxes retry; nothing is acknowledged that
 * was not sent) so a slow or flooded neighbour costs a bounded buffer, never memory
 * without end (issue 10: RSS kept growing 30 s after a flood, writes queued unchecked).
 */
export const WRITE_HIGH_WATER_BYTES = 1024 * 1024

/** Coalesces envelopes queued in one tick into as few encrypted frames as fit, and counts the bytes sent. */
export function createHop(
  kind: Hop['kind'],
  link: Link,
  session: LinkSession,
  meter: LinkQuality,
  now: () => number,
  /** Called with the number of envelopes dropped because the link's buffer was full. */
  onDrop?: (envelopes: number) => void,
): LinkHop {
  return new LinkWriter(kind, link, session, meter, now, onDrop)
}

/** A class, not closures: a relay holds one per open link (10,000, DESIGN.md §8). */
class LinkWriter implements LinkHop {
  readonly kind: Hop['kind']
  readonly meter: LinkQuality
  readonly now: () => number
  private readonly link: Link
  private readonly session: LinkSession
  private readonly onDrop: ((envelopes: number) => void) | undefined
  private pending: Uint8Array[] = []
  private scheduled = false

  constructor(kind: Hop['kind'], link: Link, session: LinkSession, meter: LinkQuality, now: () => number, onDrop?: (envelopes: number) => void) {
    this.kind = kind
    this.link = link
    this.session = session
    this.meter = meter
    this.now = now
    this.onDrop = onDrop
  }

  send(envelopes: readonly Uint8Array[]): void {
    for (const e of envelopes) this.pending.push(e)
    if (!this.scheduled && this.pending.length > 0) {
      this.scheduled = true
      void Promise.resolve().then(() => this.flush())
    }
  }

  /** Control frames are small and rare (pings, acks, announcements): they are always written. */
  frame(f: LinkFrame): void {
    this.write(encodeLinkFrame(f))
  }

  quality(): QualityView {
    return this.meter.view(this.now())
  }

  private flush(): void {
    this.scheduled = false
    const batch = this.pending
    this.pending = []
    if (this.link.bufferedAmount > WRITE_HIGH_WATER_BYTES) {
      this.onDrop?.(batch.length)
      return
    }
    for (const frame of packEnvelopeFrames(batch)) this.write(frame)
  }

  private write(plain: Uint8Array): void {
    try {
      const sealed = this.session.encrypt(plain)
      this.link.send(sealed)
      this.meter.bytesSent(sealed.length, this.now())
    } catch {
      // The link closed under us; its close event reroutes traffic.
    }
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
  /** The link's rate limiter, once it runs (rateLimiter.ts); null when the node does not limit links. */
  readonly limiter?: () => SessionLimiter | null
}

/** What the session needs of its link's rate limiter. */
export interface SessionLimiter {
  readonly gate: RateLimiterGate
  penalize(penalty: Penalty, count?: number): void
}

/**
 * Ping intervals without a single frame from the neighbour after which an open link is
 * closed (12 × 5 s = 1 min by default): a peer that vanished without a close must not
 * hold a socket and a session forever (issue 10). Offline is graded after 3.
 */
export const IDLE_CLOSE_INTERVALS = 12

/** u48 on the wire (linkFrame.ts); the echo is informational, RTT comes from our own record. */
const U48 = 2 ** 48

/**
 * The open link's receiver and pinger: decrypts frames, answers pings, pings
 * every `pingIntervalMs` (first one at once) and feeds the hop's quality meter.
 *
 * With a limiter, every frame is decrypted (Noise nonces are implicit, so skipping
 * one would break the session) and then spends the link's budgets: a frame over the
 * frame or byte budget is shed whole, envelopes over the envelope budget are shed
 * one by one, and nothing is relayed for a graylisted peer. Sheds are counted and
 * cost the peer score (the gate does that); a frame that does not decode costs
 * more and closes the link.
 */
export const sessionActor = fromCallback<SessionEvent, SessionInput>(({ input, sendBack }) => {
  const { channel, opened, hop, deps, clock } = input
  const defence = deps.defence
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
  let lastHeard = hop.now()
  const ping = (): void => {
    if (hop.now() - lastHeard >= input.pingIntervalMs * IDLE_CLOSE_INTERVALS) {
      // Nothing from the neighbour (not even a pong) for a minute: the socket is a zombie.
      defence?.countClose('idle')
      channel.link.close('idle')
      down('idle')
      return
    }
    timer = clock.setTimeout(ping, input.pingIntervalMs)
    nonce = (nonce + 1) >>> 0
    const at = hop.now()
    hop.meter.pingSent(nonce, at)
    hop.frame({ type: 'ping', nonce, sentAt: Math.floor(Math.max(0, at)) % U48 })
    checkGrade()
  }
  const invalid = (): void => {
    input.limiter?.()?.penalize('invalidFrame')
    defence?.countClose('protocol')
    channel.link.close('protocol')
    down('protocol')
  }
  /** Spends `cost` of `action`; false = shed (counted here, penalised by the gate). */
  const admit = (gate: RateLimiterGate | undefined, action: LinkAction, cost = 1): boolean => {
    if (!gate || gate.take(action, cost)) return true
    defence?.countShed(action, cost)
    return false
  }
  const envelopes = (gate: RateLimiterGate | undefined, list: readonly Uint8Array[]): void => {
    if (!gate) {
      deps.onEnvelopes(opened.peerId, list)
      return
    }
    // One take per envelope, shed or not: each shed one costs the peer score, so a flood
    // packed into few frames weighs what it carries. A graylisted peer still spends its
    // budget (so a flood goes on costing it score until it is disconnected), but nothing
    // it sends is relayed.
    let allowed = 0
    for (let i = 0; i < list.length; i++) if (gate.take('envelopes')) allowed++
    if (!gate.relaying) allowed = 0
    if (allowed < list.length) defence?.countShed('envelopes', list.length - allowed)
    if (allowed === 0) return
    deps.onEnvelopes(opened.peerId, allowed === list.length ? list : list.slice(0, allowed))
    gate.useful(allowed)
  }
  channel.setReceiver((bytes) => {
    lastHeard = hop.now()
    hop.meter.bytesReceived(bytes.length, hop.now())
    let frame: LinkFrame
    try {
      frame = decodeLinkFrame(opened.session.decrypt(bytes))
    } catch {
      // Noise transport messages arrive in order; one that fails is an attack or a bug.
      invalid()
      return
    }
    const limiter = input.limiter?.()
    const gate = limiter?.gate
    if (!admit(gate, 'frames') || !admit(gate, 'bytes', bytes.length)) {
      // A frame shed whole weighs what it carried: one big frame of envelopes is not one offence.
      if (frame.type === 'envelopes' && frame.envelopes.length > 1) {
        defence?.countShed('envelopes', frame.envelopes.length)
        limiter?.penalize('shed', frame.envelopes.length - 1)
      }
      return
    }
    switch (frame.type) {
      case 'envelopes':
        envelopes(gate, frame.envelopes)
        break
      case 'ping':
        hop.frame({ type: 'pong', nonce: frame.nonce, sentAt: frame.sentAt })
        break
      case 'pong':
        hop.meter.pongReceived(frame.nonce, hop.now())
        checkGrade()
        break
      case 'announce':
        if (!admit(gate, 'announcements')) break
        if (deps.onAnnouncement?.(opened.peerId, frame.announcement, frame.metric) === false) {
          limiter?.penalize('rejectedAnnouncement')
        }
        break
      case 'ack':
        // A claim of custody that only a signed receipt could make: the custody-abuse penalty.
        if (deps.onAck?.(opened.peerId, frame.ids) === false) limiter?.penalize('custodyAbuse')
        break
      case 'refuse':
        deps.onRefuse?.(opened.peerId, frame.reason, frame.ids)
        break
      case 'reach':
        // A registration costs a signature check, as an announcement does: the same budget.
        if (!admit(gate, 'announcements')) break
        if (deps.onReach?.(opened.peerId, frame.record) === false) limiter?.penalize('rejectedAnnouncement')
        break
      case 'custody':
        // A forged receipt claims custody it did not take: the custody-abuse penalty.
        if (deps.onCustody?.(opened.peerId, frame.receipt) === false) limiter?.penalize('custodyAbuse')
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

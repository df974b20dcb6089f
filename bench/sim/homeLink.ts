/**
 * Simulated links of the home-relay simulator (homeSim.md, "Links"): one in-order queue per
 * direction with its own delay, dials that take a handshake (or time out on a relay that is
 * down) and redial with the engine's backoff, and closes each side notices on its own time.
 * Frames travel as LinkFrame values, not encoded. What arrives goes to the relay model
 * (homeRelay.ts) or the user model (homeMail.ts, homeUser.ts) through `LinkEnds`.
 */
import type { PlaneHop } from '../../engine/routing/index.ts'
import type { LinkFrame } from '../../engine/wire/index.ts'
import { backoffDelay as redialDelay, HANDSHAKE_TIMEOUT_MS } from '../../machines/peerLink.ts'
import type { RelayPoolInit } from '../../workers/relayPool.ts'
import type { RelaySim } from './homeRelay.ts'
import type { HomeWorld } from './homeWorld.ts'

/** A wish to keep a link to `target` (a user to a home or pooled relay, a relay to a pooled relay), redialed with backoff. */
export interface Intent {
  readonly ownerUser: number
  readonly ownerRelay: RelaySim | null
  readonly ownerEpoch: number
  readonly target: RelaySim
  active: boolean
  attempt: number
  link: Link | null
  dialing: boolean
}

interface Batch {
  readonly at: number
  readonly frames: LinkFrame[]
}

export type Emit = (link: Link, up: boolean, frame: LinkFrame) => void

/**
 * One link: `dialer` (a user or a relay) dialed `relay`, which accepted it. Frames are in
 * order per direction. The link is itself the relay's hop for it (kind 'peer'); a dialing
 * relay gets its own hop (kind 'upstream').
 */
export class Link implements PlaneHop {
  readonly emit: Emit
  readonly intent: Intent
  readonly relay: RelaySim
  readonly relayIncarnation: number
  readonly dialerUser: number
  readonly dialerRelay: RelaySim | null
  readonly dialerIncarnation: number
  readonly dialerHex: string
  readonly delay: number
  up = true
  /** Each side's view: open until it notices the link is gone. */
  relaySide = true
  dialerSide = true
  lastUp = 0
  lastDown = 0
  batchUp: Batch | null = null
  batchDown: Batch | null = null
  /** A dialing relay's hop (kind 'upstream'). */
  readonly dialerHop: PlaneHop | null
  /** A user dialer: contacts whose record went ahead on this link (dataPlane's `passed`). */
  passed: number[] | null = null
  constructor(emit: Emit, intent: Intent, dialerHex: string, delay: number) {
    this.emit = emit
    this.intent = intent
    this.relay = intent.target
    this.relayIncarnation = intent.target.incarnation
    this.dialerUser = intent.ownerUser
    this.dialerRelay = intent.ownerRelay
    this.dialerIncarnation = intent.ownerRelay ? intent.ownerRelay.incarnation : intent.ownerEpoch
    this.dialerHex = dialerHex
    this.delay = delay
    this.dialerHop = intent.ownerRelay
      ? {
          kind: 'upstream',
          send: (envelopes) => emit(this, true, { type: 'envelopes', envelopes }),
          frame: (frame) => emit(this, true, frame),
        }
      : null
  }
  get kind(): 'peer' {
    return 'peer'
  }
  get relayHop(): PlaneHop {
    return this
  }
  send(envelopes: readonly Uint8Array[]): void {
    this.emit(this, false, { type: 'envelopes', envelopes })
  }
  frame(frame: LinkFrame): void {
    this.emit(this, false, frame)
  }
}

export const newIntent = (ownerUser: number, ownerRelay: RelaySim | null, ownerEpoch: number, target: RelaySim): Intent => ({
  ownerUser,
  ownerRelay,
  ownerEpoch,
  target,
  active: true,
  attempt: 0,
  link: null,
  dialing: false,
})

/** The two ends' models, called as links open, carry frames and close. */
export interface LinkEnds {
  relayReceive(relay: RelaySim, peer: string, frame: LinkFrame): void
  userReceive(u: number, link: Link, frame: LinkFrame): void
  /** dataPlane.linkOpen / linkDown on a relay (and its announcements). */
  relayLinkUp(relay: RelaySim, peer: string, hop: PlaneHop, user: boolean): void
  relayLinkDown(relay: RelaySim, peer: string, hop: PlaneHop, user: boolean): void
  userLinkOpened(u: number, link: Link): void
  userLinkLost(u: number, link: Link): void
  /** The user is online in the same spell (`epoch`) as when its intent was made. */
  userLive(u: number, epoch: number): boolean
  userHex(u: number): string
}

export interface Links {
  /** Puts `frame` on the link, toward the relay (`up`) or toward the dialer. */
  emit: Emit
  dial(intent: Intent): void
  /** Closes a link: in-flight frames are lost; each side notices after its own delay (0: at once). */
  closeLink(link: Link, relayDelay: number, dialerDelay: number): void
  /**
   * The relay's side notices the link is gone (link.up already false). Its own step, as is the
   * dialer's: a closed link and a failed relay's links (homeRelay.ts) are noticed the same way.
   */
  relayNotices(link: Link): void
  /** The dialer's side notices the link is gone, and its intent redials. */
  dialerNotices(link: Link): void
  /** A relay pool's connect / disconnect (workers/relayPool.ts) as intents in `intents`, made by `intentFor`. */
  poolDialer(intents: Map<string, Intent>, intentFor: (address: string) => Intent, onDial: () => void): Pick<RelayPoolInit, 'connect' | 'disconnect'>
}

export function createLinks(world: HomeWorld, ends: LinkEnds): Links {
  const { rng, loop, at, counters, jitter } = world
  const [uMin, uMax] = world.config.userDelayMs
  const [rMin, rMax] = world.config.relayDelayMs
  const countFrame = (frame: LinkFrame, toUser: boolean): void => {
    switch (frame.type) {
      case 'envelopes':
        counters.envelopeHops += frame.envelopes.length
        break
      case 'custody':
        if (toUser) counters.custodyToUsers++
        else counters.custodyBetweenRelays++
        break
      case 'ack':
        counters.acks++
        break
      case 'refuse':
        counters.refusalFrames++
        break
      case 'announce':
        if (toUser) counters.announceToUsers++
        else counters.announceBetweenRelays++
        break
      default:
        break
    }
  }

  const lose = (frame: LinkFrame): void => {
    counters.lostFrames++
    if (frame.type === 'envelopes') counters.lostEnvelopes += frame.envelopes.length
  }

  const emit = (link: Link, up: boolean, frame: LinkFrame): void => {
    const toUser = !up && link.dialerRelay === null
    countFrame(frame, toUser)
    // Announcements are counted, not carried (homeSim.md): users run no router, and a relay's
    // router would learn from another relay only a one-hop route to a relay it has a link to.
    if (frame.type === 'announce') return
    if (!link.up) return lose(frame)
    const now = loop.now
    const open = up ? link.batchUp : link.batchDown
    if (open && open.at === now) {
      open.frames.push(frame)
      return
    }
    const arrival = Math.max(now + link.delay * (0.9 + 0.2 * rng.next()), up ? link.lastUp : link.lastDown)
    const batch: Batch = { at: now, frames: [frame] }
    if (up) {
      link.lastUp = arrival
      link.batchUp = batch
    } else {
      link.lastDown = arrival
      link.batchDown = batch
    }
    at(arrival, () => {
      if (up && link.batchUp === batch) link.batchUp = null
      if (!up && link.batchDown === batch) link.batchDown = null
      if (!link.up) {
        batch.frames.forEach(lose)
        return
      }
      for (const f of batch.frames) {
        if (!link.up) lose(f)
        else if (up) ends.relayReceive(link.relay, link.dialerHex, f)
        else if (link.dialerRelay) ends.relayReceive(link.dialerRelay, link.relay.hex, f)
        else ends.userReceive(link.dialerUser, link, f)
      }
    })
  }

  /** Opens a link for `intent` now: the relay's side first (it flushes what it holds for the dialer), then the dialer's. */
  const openLink = (intent: Intent): void => {
    const target = intent.target
    const dialerRelay = intent.ownerRelay
    const [lo, hi] = dialerRelay ? [rMin, rMax] : [uMin, uMax]
    const link = new Link(emit, intent, dialerRelay ? dialerRelay.hex : ends.userHex(intent.ownerUser), lo + rng.next() * (hi - lo))
    intent.link = link
    intent.attempt = 0
    target.links.add(link)
    ends.relayLinkUp(target, link.dialerHex, link, dialerRelay === null)
    if (dialerRelay) {
      counters.relayLinkOpens++
      dialerRelay.links.add(link)
      ends.relayLinkUp(dialerRelay, target.hex, link.dialerHop!, false)
    } else ends.userLinkOpened(intent.ownerUser, link)
  }

  const intentLive = (intent: Intent): boolean =>
    intent.active && (intent.ownerRelay ? intent.ownerRelay.up && intent.ownerRelay.incarnation === intent.ownerEpoch : ends.userLive(intent.ownerUser, intent.ownerEpoch))

  /** A dial: the handshake takes about three one-way trips; a relay that is down answers nothing (handshake timeout), then backoff. */
  const dial = (intent: Intent): void => {
    if (!intentLive(intent) || intent.link || intent.dialing) return
    intent.dialing = true
    const [lo, hi] = intent.ownerRelay ? [rMin, rMax] : [uMin, uMax]
    const handshake = 3 * (lo + rng.next() * (hi - lo))
    at(loop.now + handshake, () => {
      intent.dialing = false
      if (!intentLive(intent) || intent.link) return
      if (intent.target.up && intent.target.plane) {
        openLink(intent)
        return
      }
      intent.dialing = true
      at(loop.now + HANDSHAKE_TIMEOUT_MS - handshake, () => {
        intent.dialing = false
        intent.attempt++
        redial(intent)
      })
    })
  }
  const redial = (intent: Intent): void => {
    if (!intentLive(intent) || intent.link) return
    at(loop.now + redialDelay(Math.max(1, intent.attempt), jitter()), () => dial(intent))
  }

  const relayNotices = (link: Link): void => {
    if (!link.relaySide) return
    link.relaySide = false
    const relay = link.relay
    if (relay.incarnation !== link.relayIncarnation || !relay.plane) return
    relay.links.delete(link)
    ends.relayLinkDown(relay, link.dialerHex, link, link.dialerRelay === null)
  }
  const dialerNotices = (link: Link): void => {
    if (!link.dialerSide) return
    link.dialerSide = false
    const intent = link.intent
    if (intent.link === link) intent.link = null
    const d = link.dialerRelay
    if (d) {
      if (d.incarnation !== link.dialerIncarnation || !d.plane) return
      d.links.delete(link)
      ends.relayLinkDown(d, link.relay.hex, link.dialerHop!, false)
    } else ends.userLinkLost(link.dialerUser, link)
    intent.attempt = 1
    redial(intent)
  }
  const closeLink = (link: Link, relayDelay: number, dialerDelay: number): void => {
    if (!link.up) return
    link.up = false
    if (relayDelay <= 0) relayNotices(link)
    else at(loop.now + relayDelay, () => relayNotices(link))
    if (dialerDelay <= 0) dialerNotices(link)
    else at(loop.now + dialerDelay, () => dialerNotices(link))
  }

  const poolDialer: Links['poolDialer'] = (intents, intentFor, onDial) => ({
    connect: (address) => {
      onDial()
      const intent = intentFor(address)
      intents.set(address, intent)
      dial(intent)
    },
    disconnect: (address) => {
      const intent = intents.get(address)
      if (!intent) return
      intents.delete(address)
      intent.active = false
      if (intent.link) closeLink(intent.link, 0, 0)
    },
  })

  return { emit, dial, closeLink, relayNotices, dialerNotices, poolDialer }
}

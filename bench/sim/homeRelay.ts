/**
 * The relays of the home-relay simulator: the product's own code on each (homeSim.md, "Real"):
 * `createDataPlane` as startMesh wires it for a custodian, a `createHomeRegistry` whose kept
 * registrations are written down and restored after a restart (as relayServer does), a real
 * `createRelayPool` whose connect / disconnect are simulated dials (homeLink.ts), and custody
 * through a journal that survives a restart unless the disk is lost.
 */
import { createHomeRegistry } from '../../engine/reach/index.ts'
import type { HomeRegistry } from '../../engine/reach/index.ts'
import { createDataPlane, PENDING_DIAL_HOLD_MS } from '../../engine/routing/index.ts'
import type { CustodyJournal, DataPlane, HeldEnvelope, JournalRecord, PlaneHop } from '../../engine/routing/index.ts'
import type { Identity } from '../../engine/identity/index.ts'
import type { LinkFrame } from '../../engine/wire/index.ts'
import { createRelayPool } from '../../workers/relayPool.ts'
import type { RelayPool } from '../../workers/relayPool.ts'
import { ANNOUNCE_INTERVAL_MS, newShadow, shadowLinkDown, shadowLinkOpen, shadowTick } from './announceShadow.ts'
import type { AnnounceShadow } from './announceShadow.ts'
import { fakeIdentity, hexIndex, isUserHex } from './homeCrypto.ts'
import { newIntent } from './homeLink.ts'
import type { Intent, Link, Links } from './homeLink.ts'
import type { Population, RelayName } from './homePopulation.ts'
import type { HomeWorld } from './homeWorld.ts'

/**
 * A CustodyJournal in memory that is durable at every call (a relay's disk, modelled):
 * a restarted relay restores all of it; a relay whose disk is lost gets a new, empty one.
 * `onPut` sees every hold, for the custody check.
 */
export class SimJournal implements CustodyJournal {
  readonly live = new Map<string, JournalRecord>()
  readonly onPut: (destination: string, envelope: HeldEnvelope) => void
  constructor(onPut: (destination: string, envelope: HeldEnvelope) => void) {
    this.onPut = onPut
  }
  put(destination: string, envelope: HeldEnvelope): void {
    this.onPut(destination, envelope)
    this.live.set(`${destination}\n${envelope.id}`, { destination, envelope })
  }
  remove(destination: string, id: string): void {
    this.live.delete(`${destination}\n${id}`)
  }
  load(): JournalRecord[] {
    return [...this.live.values()]
  }
  flush(): void {}
  close(): void {}
}

export interface RelaySim extends RelayName {
  readonly identity: Identity
  up: boolean
  /** Bumped at every failure: events of an earlier incarnation do nothing. */
  incarnation: number
  plane: DataPlane | null
  homes: HomeRegistry | null
  pool: RelayPool | null
  journal: SimJournal
  /** Registrations written down (relayServer's relay/home/ keys), by user index: restored after a restart. */
  registered: Set<number>
  /** True while createDataPlane restores the journal (its puts are not new holds). */
  restoring: boolean
  /** Open links this relay is an end of. */
  readonly links: Set<Link>
  /** Pool dials by address (relayPool connect … disconnect). */
  readonly intents: Map<string, Intent>
  shadow: AnnounceShadow
}

export interface RelayModel {
  readonly relays: readonly RelaySim[]
  relayByAddress(address: string): RelaySim
  /** A frame from `peer` arrives at `relay`'s data plane. */
  receive(relay: RelaySim, peer: string, frame: LinkFrame): void
  /** dataPlane.linkOpen on a relay, and the router's announcements for it (AnnounceShadow). */
  linkUp(relay: RelaySim, peer: string, hop: PlaneHop, user: boolean): void
  linkDown(relay: RelaySim, peer: string, hop: PlaneHop, user: boolean): void
  /** The relay's process dies; it restarts after `relayDownMs`. */
  fail(relay: RelaySim): void
  /** Journal puts (custody or dial queue) for a destination that does not name the relay and was not a short dial queue. */
  heldForOthers(): number
  /** Registration refusals over the run, failed relays' registries included (read once, at the end). */
  registrationRefusals(): Record<string, number>
}

/** Makes the relays and starts each (its plane, registry and pool). */
export function createRelayModel(world: HomeWorld, population: Population, links: Links): RelayModel {
  const { crypto, loop, at, rng, counters, churn, refuse } = world
  const { realAnnouncements, poolLinks, loseCustody } = world.config
  const [downMin, downMax] = world.config.relayDownMs
  let heldForOthers = 0
  /** Registration refusals of registries that went with a failed relay. */
  const pastRegistrations: Record<string, number> = {}

  const onJournalPut = (relay: RelaySim, destination: string, envelope: HeldEnvelope): void => {
    if (relay.restoring) return
    const registered = isUserHex(destination) && population.isHomeOf(hexIndex(destination), relay.index)
    if (!registered && envelope.expiresAt > loop.now + PENDING_DIAL_HOLD_MS) heldForOthers++
  }
  const relays = population.relays.map((name): RelaySim => {
    const relay: RelaySim = {
      ...name,
      identity: fakeIdentity(name.key),
      up: true,
      incarnation: 0,
      plane: null,
      homes: null,
      pool: null,
      journal: new SimJournal((destination, envelope) => onJournalPut(relay, destination, envelope)),
      registered: new Set(),
      restoring: false,
      links: new Set(),
      intents: new Map(),
      shadow: newShadow(),
    }
    return relay
  })
  const relayByAddress = (address: string): RelaySim => relays[Number(address.slice(6, address.indexOf('.')))]!

  const receive = (relay: RelaySim, peer: string, frame: LinkFrame): void => {
    const plane = relay.plane
    if (!plane) return
    switch (frame.type) {
      case 'envelopes':
        plane.envelopes(peer, frame.envelopes)
        break
      case 'reach':
        // A user's own record registers it (homeRegistry); anyone else's is learned to forward their mail.
        if (!plane.reach(peer, frame.record)) refuse('reach frame counted as hostile')
        break
      case 'custody':
        plane.custody(peer, frame.receipt)
        break
      case 'ack':
        plane.ack(peer, frame.ids)
        break
      case 'refuse':
        plane.refuse(peer, frame.reason, frame.ids)
        break
      case 'announce':
        plane.announcement(peer, frame.announcement, frame.metric)
        break
      default:
        break
    }
  }

  const linkUp = (relay: RelaySim, peer: string, hop: PlaneHop, user: boolean): void => {
    relay.plane!.linkOpen(peer, hop)
    shadowLinkOpen(relay.shadow, loop.now, user, counters)
  }
  const linkDown = (relay: RelaySim, peer: string, hop: PlaneHop, user: boolean): void => {
    relay.plane!.linkDown(peer, hop)
    shadowLinkDown(relay.shadow, user)
  }

  const makePlane = (relay: RelaySim): void => {
    const incarnation = relay.incarnation
    // startMesh with relayServer's onHomeRecord: every kept registration is written down.
    const homes = createHomeRegistry({ crypto, self: relay.key, onKept: (identityHex) => void relay.registered.add(hexIndex(identityHex)) })
    let pool: RelayPool
    relay.restoring = true
    relay.shadow = newShadow()
    const plane = createDataPlane({
      identity: relay.identity,
      crypto,
      clock: loop.clock,
      custodian: true,
      deliverLocal: () => undefined,
      homes,
      custody: { journal: relay.journal },
      announceIntervalMs: realAnnouncements ? ANNOUNCE_INTERVAL_MS : 1e12,
      dialRelays: (hints) => pool.ensure(hints, loop.now),
      onRelayUsed: (peerId) => pool.used(peerId, loop.now),
    })
    relay.restoring = false
    pool = createRelayPool({
      ...links.poolDialer(
        relay.intents,
        (address) => newIntent(-1, relay, incarnation, relayByAddress(address)),
        () => void counters.relayPoolDials++,
      ),
      linked: (id) => plane.linked(id),
      kept: () => false,
      maxLinks: poolLinks,
      onGaveUp: (id) => plane.forwarder.unreachable(id),
    })
    // relayServer: the registrations on disk are held again before any user links.
    for (const u of relay.registered) if (!homes.restore(population.recordOf(u), loop.now)) relay.registered.delete(u)
    relay.plane = plane
    relay.homes = homes
    relay.pool = pool
    // The product's data plane ticks about once a second, its pool every 5 s.
    let ticks = rng.int(0, 4)
    const tick = (): void => {
      if (relay.incarnation !== incarnation) return
      plane.tick(loop.now)
      shadowTick(relay.shadow, loop.now, counters)
      if (++ticks % 5 === 0) pool.tick(loop.now)
      at(loop.now + 1000, tick)
    }
    at(loop.now + rng.int(1, 1000), tick)
  }
  for (const relay of relays) makePlane(relay)

  const addRefusals = (homes: HomeRegistry): void => {
    for (const [reason, n] of Object.entries(homes.stats().refused)) pastRegistrations[reason] = (pastRegistrations[reason] ?? 0) + (n ?? 0)
  }
  const fail = (relay: RelaySim): void => {
    if (!relay.up) return
    churn.relayFailures++
    addRefusals(relay.homes!)
    relay.up = false
    relay.incarnation++
    for (const intent of relay.intents.values()) intent.active = false
    relay.intents.clear()
    // The process is gone with everything it held in memory. Its peers notice when their pings go
    // unanswered, up to 15 s later; what they send it meanwhile is lost.
    for (const link of relay.links) {
      link.up = false
      const notice = rng.int(0, 15_000)
      if (link.relay === relay) {
        link.relaySide = false
        at(loop.now + notice, () => links.dialerNotices(link))
      } else {
        link.dialerSide = false
        at(loop.now + notice, () => links.relayNotices(link))
      }
    }
    relay.links.clear()
    relay.plane = null
    relay.homes = null
    relay.pool = null
    // A restart keeps the custody journal and the registrations (the relay's disk); a lost disk loses both.
    if (rng.next() < loseCustody) {
      churn.custodyLost++
      relay.journal = new SimJournal((destination, envelope) => onJournalPut(relay, destination, envelope))
      relay.registered = new Set()
    }
    at(loop.now + rng.int(downMin, downMax), () => {
      relay.up = true
      makePlane(relay)
    })
  }

  return {
    relays,
    relayByAddress,
    receive,
    linkUp,
    linkDown,
    fail,
    heldForOthers: () => heldForOthers,
    registrationRefusals: () => {
      for (const relay of relays) if (relay.homes) addRefusals(relay.homes)
      return pastRegistrations
    },
  }
}

/**
 * The users of the home-relay simulator: not engines, a few slots each (homeSim.md, "Users are
 * not engines"). A user does what its data plane would, in the product's order: its own record
 * on every relay link it opens, mail on the link its forwarder would pick, a contact's record
 * ahead of the first mail on a link to a relay that is not the contact's home, and, with no
 * link, the envelope held in its node while a real relay pool (3 links) dials the contact's
 * home relays. Its outbox and what arrives for it are homeMail.ts.
 */
import type { HomeHint } from '../../engine/routing/index.ts'
import { createRelayPool } from '../../workers/relayPool.ts'
import { hexIndex } from './homeCrypto.ts'
import { newIntent } from './homeLink.ts'
import type { Intent, Link, Links } from './homeLink.ts'
import type { Population } from './homePopulation.ts'
import type { RelayModel } from './homeRelay.ts'
import type { HomeWorld } from './homeWorld.ts'

interface UserPool {
  readonly intents: Map<string, Intent>
  ensure(hints: readonly HomeHint[]): void
  used(id: string): void
}

export interface Users {
  /** 1 while the user is online. */
  readonly online: Uint8Array
  /** Bumped each time a user goes offline or comes back: its older events do nothing. */
  readonly epoch: Int32Array
  /** A user's own envelope to `d` (`key` tells held copies apart): on the best link, or held until one opens. */
  transmit(u: number, d: number, key: number, bytes: Uint8Array): void
  linkOpened(u: number, link: Link): void
  linkLost(u: number, link: Link): void
  goOnline(u: number): void
  goOffline(u: number, abrupt: boolean): void
}

export interface UserHooks {
  /** The user's engine starts again: its outbox resumes (homeMail.ts). */
  resumeOutbox(u: number): void
}

export function createUsers(world: HomeWorld, population: Population, relayModel: RelayModel, links: Links, hooks: UserHooks): Users {
  const { loop, at, rng, counters, churn } = world
  const { isHomeOf, homeA, homeB } = population
  const N = world.config.users
  const contactRelayLinks = world.config.contactRelayLinks
  const online = new Uint8Array(N)
  const epoch = new Int32Array(N)
  const userLinks: (Link[] | undefined)[] = new Array(N)
  const userIntents: (Intent[] | undefined)[] = new Array(N)
  const userPools = new Map<number, UserPool>()
  /** What a user could not send for want of a link, one copy per envelope (its forwarder's own custody). */
  const heldLocal = new Map<number, Map<number, { destination: number; bytes: Uint8Array }>>()

  const isOwnLink = (u: number, link: Link): boolean => isHomeOf(u, link.relay.index)

  /** The link a user's forwarder would pick for mail to `d` (forwarder.ts nextHop on a user's node). */
  const pickLink = (u: number, d: number): Link | undefined => {
    const mine = userLinks[u]
    if (!mine || mine.length === 0) return undefined
    const a = homeA[d]!
    const b = homeB[d]!
    for (const h of [a, b]) {
      if (h < 0 || !isHomeOf(u, h)) continue
      for (const l of mine) if (l.relay.index === h) return l
    }
    for (const l of mine) if (isOwnLink(u, l)) return l
    for (const h of [a, b]) {
      if (h < 0) continue
      for (const l of mine) if (l.relay.index === h) return l
    }
    return mine[0]
  }

  /** What the user's data plane puts on `link` for mail to `d`: the contact's record first, unless this relay is their home. */
  const sendVia = (u: number, link: Link, d: number, bytes: Uint8Array): void => {
    const r = link.relay.index
    if (!isHomeOf(d, r)) {
      const passed = (link.passed ??= [])
      if (!passed.includes(d)) {
        passed.push(d)
        counters.reachAhead++
        links.emit(link, true, { type: 'reach', record: population.recordOf(d) })
      }
    }
    if (!isOwnLink(u, link)) userPools.get(u)?.used(link.relay.hex)
    counters.transmissions++
    links.emit(link, true, { type: 'envelopes', envelopes: [bytes] })
  }

  /** A user's own envelope: on the best link, or held in its own node while its pool dials the contact's home relays. */
  const transmit = (u: number, d: number, key: number, bytes: Uint8Array): void => {
    const link = pickLink(u, d)
    if (link) return sendVia(u, link, d, bytes)
    counters.heldLocally++
    let held = heldLocal.get(u)
    if (!held) heldLocal.set(u, (held = new Map()))
    held.set(key, { destination: d, bytes })
    const hints = population.hintsOf(d).filter((h) => !isHomeOf(u, hexIndex(h.id)))
    if (hints.length > 0) userPool(u).ensure(hints)
  }

  /** A user's pool for its contacts' relays (startMesh: 3 links on a user's node), made when first needed. */
  const userPool = (u: number): UserPool => {
    const existing = userPools.get(u)
    if (existing) return existing
    const intents = new Map<string, Intent>()
    const myEpoch = epoch[u]!
    const raw = createRelayPool({
      ...links.poolDialer(
        intents,
        (address) => newIntent(u, null, myEpoch, relayModel.relayByAddress(address)),
        () => void counters.userPoolDials++,
      ),
      linked: (id) => userLinks[u]?.some((l) => l.relay.hex === id) ?? false,
      kept: (address) => (userIntents[u] ?? []).some((i) => i.target.address === address),
      maxLinks: 3,
    })
    let ticking = false
    // startMesh's watchPool: a 5 s timer while the pool holds links.
    const watch = (): void => {
      if (ticking || raw.stats().links === 0) return
      ticking = true
      at(loop.now + 5_000, () => {
        ticking = false
        if (epoch[u] !== myEpoch) return
        raw.tick(loop.now)
        if (raw.stats().links === 0 && userPools.get(u) === entry) userPools.delete(u)
        else watch()
      })
    }
    const entry: UserPool = {
      intents,
      ensure: (hints) => {
        raw.ensure(hints, loop.now)
        watch()
      },
      used: (id) => raw.used(id, loop.now),
    }
    userPools.set(u, entry)
    return entry
  }

  const linkOpened = (u: number, link: Link): void => {
    counters.userLinkOpens++
    const mine = (userLinks[u] ??= [])
    mine.push(link)
    // dataPlane.linkOpen on a user's node: its own record on every relay link it dialed.
    counters.registrations++
    links.emit(link, true, { type: 'reach', record: population.recordOf(u) })
    // forwarder.addHop (upstream, upstreamFallback): everything held goes on the new link.
    const held = heldLocal.get(u)
    if (held) {
      heldLocal.delete(u)
      for (const { destination, bytes } of held.values()) sendVia(u, link, destination, bytes)
    }
  }

  const linkLost = (u: number, link: Link): void => {
    const mine = userLinks[u]
    if (!mine) return
    const i = mine.indexOf(link)
    if (i >= 0) mine.splice(i, 1)
  }

  const goOnline = (u: number): void => {
    if (online[u] === 1) return
    online[u] = 1
    const e = ++epoch[u]!
    const homes = population.homesOf(u)
    // createEngine: the engine keeps a link to each of its relays (redialing with backoff), and,
    // with `contactRelayLinks`, to every relay its contacts named too (messenger.contactRelays()).
    if (contactRelayLinks) for (const r of population.contactRelaysOf(u)) if (!homes.includes(r)) homes.push(r)
    const intents = homes.map((r) => newIntent(u, null, e, relayModel.relays[r]!))
    userIntents[u] = intents
    intents.forEach(links.dial)
    // The outbox restores: every waiting item is due at once, its attempts kept.
    hooks.resumeOutbox(u)
  }

  const goOffline = (u: number, abrupt: boolean): void => {
    if (online[u] !== 1) return
    online[u] = 0
    epoch[u]!++
    churn.usersWentOffline++
    if (abrupt) churn.abrupt++
    for (const intent of userIntents[u] ?? []) intent.active = false
    userIntents[u] = undefined
    const pool = userPools.get(u)
    if (pool) for (const intent of pool.intents.values()) intent.active = false
    userPools.delete(u)
    for (const link of [...(userLinks[u] ?? [])]) {
      link.intent.active = false
      // Abrupt: the relay sees the link die only when three pings go unanswered.
      links.closeLink(link, abrupt ? rng.int(10_000, 15_000) : 0, 0)
    }
    userLinks[u] = undefined
    // The engine stopped: what its node held in memory is gone; the outbox (on disk) stays.
    heldLocal.delete(u)
  }

  return { online, epoch, transmit, linkOpened, linkLost, goOnline, goOffline }
}

/**
 * Home-relay simulator (issue 11's scale check): users on relays, each user with
 * 1–2 home relays named in a signed reach record, messages between contacts, users
 * going offline and coming back, relays failing and restarting, on a virtual clock
 * (bench/sim/simKit.ts: time jumps from event to event). bench/sim/homeSim.md says
 * what is real and what is modelled, and gives the figures.
 *
 * Real (the product's code, unchanged): every relay is `createDataPlane` as
 * startMesh wires it for a custodian (forwarder, mailbox, seen cache, pending dials,
 * custody-receipt queue, acks and refusals passed back, the learned reach book, the
 * router: its announcements counted, not carried, see `routerAnnouncements`), with its
 * own `createHomeRegistry` (registrations written down and restored after a restart,
 * as relayServer does) and a real `createRelayPool` (64 links) whose connect /
 * disconnect open and close simulated links; custody goes through a CustodyJournal,
 * so a restarted relay restores what it held. Reach records,
 * envelopes and custody receipts are the real encodings; the outbox decisions are
 * machines/outboxPolicy.ts (admitItem, settleDue) and link redials machines/peerLink.ts
 * `backoffDelay`.
 *
 * Modelled: users are not engines. Each is a few typed-array slots: home relays,
 * contacts, online flag, links, an outbox of pending messages, a local hold for what
 * it could not send, a lazily made real relay pool (3 links) for contacts' relays.
 * It sends what a user's data plane would send (its own record on every relay link
 * it opens, a contact's record ahead of the first mail on a link to a relay that is
 * not the contact's home, the envelope on its own relay first) and answers what
 * arrives (an end-to-end receipt envelope for every copy of a message, as
 * engine/messenger/receiver.ts does). Signatures are a fast stand-in (`modelCrypto`).
 * Link frames travel as LinkFrame values, not encoded; users run no router.
 *
 * This file composes the parts: homeOptions.ts (the options), homeWorld.ts (clock, PRNG,
 * counts), homeCrypto.ts (keys, signatures), homePopulation.ts (homes, records, contacts),
 * homeLink.ts (links), homeRelay.ts (relays), homeUser.ts and homeMail.ts (users, their
 * outboxes and what arrives for them), announceShadow.ts, homeResult.ts (samples, figures).
 */
import { toHex } from '../../engine/bytes.ts'
import { createLinks } from './homeLink.ts'
import { createMail } from './homeMail.ts'
import { resolveOptions } from './homeOptions.ts'
import type { HomeSimOptions } from './homeOptions.ts'
import { createPopulation } from './homePopulation.ts'
import { createRelayModel } from './homeRelay.ts'
import { homeFigures, sampleRelays } from './homeResult.ts'
import type { Counters, HomeSimResult, RelayState } from './homeResult.ts'
import { createUsers } from './homeUser.ts'
import { createWorld, HOUR, T0 } from './homeWorld.ts'

export function runHomeSim(options: HomeSimOptions): HomeSimResult {
  const started = performance.now()
  const config = resolveOptions(options)
  const world = createWorld(config)
  const { rng, loop, at } = world
  const { users: N, relays: R, hours, rate, reconnect, abruptFraction, failures, warmup, drain, sampleEvery, progress } = config
  const [offMin, offMax] = config.offlineMs
  const sendStart = T0 + warmup
  const sendEnd = sendStart + hours * HOUR
  const end = sendEnd + drain

  // The parts call each other through the links (frames in, links up and down), wired here.
  // They draw from one PRNG as they are made (the population, then each relay's first tick):
  // made in another order, every run for a seed would change.
  const population = createPopulation(world)
  const links = createLinks(world, {
    relayReceive: (relay, peer, frame) => relayModel.receive(relay, peer, frame),
    userReceive: (u, link, frame) => mail.receive(u, link, frame),
    relayLinkUp: (relay, peer, hop, user) => relayModel.linkUp(relay, peer, hop, user),
    relayLinkDown: (relay, peer, hop, user) => relayModel.linkDown(relay, peer, hop, user),
    userLinkOpened: (u, link) => users.linkOpened(u, link),
    userLinkLost: (u, link) => users.linkLost(u, link),
    userLive: (u, epoch) => users.online[u] === 1 && users.epoch[u] === epoch,
    userHex: (u) => toHex(population.userKey(u)),
  })
  const relayModel = createRelayModel(world, population, links)
  const users = createUsers(world, population, relayModel, links, { resumeOutbox: (u) => mail.resume(u) })
  const mail = createMail(world, population, users)
  const { online } = users
  const { relays } = relayModel

  // ---- Sampling ----
  const samples: RelayState[] = []
  const sample = (): RelayState => sampleRelays(relays, loop.now)
  let endOfWindow: RelayState | null = null
  let windowStart: Counters | null = null
  let windowEnd: Counters | null = null
  for (let t = sendStart; t <= end; t += sampleEvery) {
    at(t, () => {
      const s = sample()
      samples.push(s)
      if (config.gcAtSamples) (globalThis as { gc?: () => void }).gc?.()
      const mem = process.memoryUsage()
      progress(
        `t=${((loop.now - T0) / 60_000).toFixed(0)} min, ${mail.messages.count} sent, ${mail.pendingCount()} pending, wall ${((performance.now() - started) / 1000).toFixed(0)} s, ` +
          `heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, held max ${s.heldMail.max}, learned max ${s.learnedRecords.max}, pool max ${s.poolLinks.max}`,
      )
    })
  }
  at(sendStart, () => (windowStart = world.snapshot()))
  at(sendEnd, () => {
    windowEnd = world.snapshot()
    endOfWindow = sample()
  })

  // ---- The run ----
  for (let u = 0; u < N; u++) at(T0 + rng.int(0, warmup - 5_000), () => users.goOnline(u))

  // Users going offline: uniform over the send window, back after offlineMs.
  const offlineEvents = Math.round(N * reconnect * hours)
  for (let i = 0; i < offlineEvents; i++) {
    at(sendStart + rng.next() * hours * HOUR, () => {
      let u = rng.int(0, N - 1)
      for (let tries = 0; online[u] !== 1 && tries < 10; tries++) u = rng.int(0, N - 1)
      if (online[u] !== 1) return
      users.goOffline(u, rng.next() < abruptFraction)
      at(loop.now + rng.int(offMin, offMax), () => users.goOnline(u))
    })
  }
  for (let i = 0; i < failures; i++) {
    at(sendStart + rng.next() * hours * HOUR, () => {
      let relay = relays[rng.int(0, R - 1)]!
      for (let tries = 0; !relay.up && tries < 10; tries++) relay = relays[rng.int(0, R - 1)]!
      relayModel.fail(relay)
    })
  }
  // Messages: one Poisson process for the whole network, from online users to one of their contacts.
  const totalRate = (N * rate) / HOUR
  // The process keeps its own (fractional) clock: events run at whole milliseconds, and gaps
  // counted from those rounded-up times would lose messages (a 3.6 ms mean gap at 1M users).
  let sendClock = sendStart
  const nextSend = (): void => {
    sendClock += -Math.log(1 - rng.next()) / totalRate
    const when = sendClock
    if (when >= sendEnd) return
    at(when, () => {
      let s = rng.int(0, N - 1)
      for (let tries = 0; online[s] !== 1 && tries < 20; tries++) s = rng.int(0, N - 1)
      const from = population.contactOffsets[s]!
      const count = population.contactOffsets[s + 1]! - from
      if (online[s] === 1 && count > 0) mail.newMessage(s, population.contactList[from + rng.int(0, count - 1)]!)
      nextSend()
    })
  }
  if (totalRate > 0) at(sendStart, nextSend)

  loop.runUntil(end)

  return homeFigures({
    world,
    messages: mail.messages,
    online,
    meanContacts: population.contactOffsets[N]! / N,
    samples,
    endOfWindow,
    windowStart,
    windowEnd,
    end,
    heldForOthers: relayModel.heldForOthers(),
    registrationRefusals: relayModel.registrationRefusals,
    sample,
    started,
  })
}

/**
 * Mesh simulator: N virtual nodes, each the engine's own router (control plane)
 * and forwarder (data plane), on a virtual clock. Links are in-order queues
 * with a per-hop delay; frames are real link frames (encodeLinkFrame /
 * decodeLinkFrame) and messages real envelopes with opaque bodies. Links drop
 * and return during the run (frames in flight on a dropped link are lost, as
 * on a socket). Nothing here decides a route: it only carries what the engine
 * code asks to send, and counts.
 */
import { equals, toHex } from '../../engine/bytes.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import type { Crypto } from '../../engine/ports/index.ts'
import { createForwarder, createRouter } from '../../engine/routing/index.ts'
import type { Forwarder, Hop, Outgoing, Router } from '../../engine/routing/index.ts'
import { decodeEnvelope, decodeLinkFrame, encodeEnvelope, encodeLinkFrame } from '../../engine/wire/index.ts'
import type { LinkFrame } from '../../engine/wire/index.ts'
import { eventLoop, hopCounts, prng, randomTopology } from './simKit.ts'
import { summarize } from './simResult.ts'
import type { MeshSimResult, MessageRecord, SimCounters } from './simResult.ts'

export type { MeshSimResult } from './simResult.ts'

export interface MeshSimOptions {
  /** Signs and verifies the announcements; node:crypto keeps 50+ nodes fast. */
  readonly crypto: Crypto
  readonly nodes?: number
  readonly averageDegree?: number
  readonly messages?: number
  readonly seed?: number
  /** One-way delay of a hop, uniform in [min, max] ms. */
  readonly hopDelayMs?: readonly [number, number]
  readonly announceIntervalMs?: number
  /** Routers' tick period. */
  readonly tickMs?: number
  /** Before the first message: links come up over the first 2 s and routes form. */
  readonly warmupMs?: number
  /** Messages are sent at uniform random times over this span, after the warm-up. */
  readonly sendWindowMs?: number
  /** After the send window: nothing new is sent, held mail may still arrive. */
  readonly drainMs?: number
  /** Link drops during the send window, each for a uniform random span of downMs. */
  readonly churn?: { readonly events: number; readonly downMs: readonly [number, number] }
  readonly ttl?: number
  /**
   * The routers' announcement scope (RouterInit.scopeHops). Default: nodes − 1, the whole
   * mesh. The simulator measures distance-vector routing over one flat mesh of plain nodes
   * and models neither relays nor reach records, so the engine's default scope (4 hops,
   * issue 11: farther users are reached through their home relays) would leave most pairs
   * of a 50-node mesh with no way to each other at all.
   */
  readonly scopeHops?: number
}

interface SimNode {
  readonly index: number
  readonly id: string
  readonly key: Uint8Array
  readonly router: Router
  readonly forwarder: Forwarder
}

interface SimLink {
  up: boolean
  /** Bumped at every drop: frames sent under an older epoch are lost. */
  epoch: number
  /** Last arrival time per direction (a→b, b→a): links deliver in order. */
  readonly last: [number, number]
  readonly hops: [Hop, Hop]
}

const T0 = 1_700_000_000_000

export function runMeshSim(options: MeshSimOptions): MeshSimResult {
  const n = options.nodes ?? 50
  const seed = options.seed ?? 1
  const [minDelay, maxDelay] = options.hopDelayMs ?? [5, 50]
  const interval = options.announceIntervalMs ?? 30_000
  const tickMs = options.tickMs ?? 1000
  const warmup = options.warmupMs ?? 10_000
  const sendWindow = options.sendWindowMs ?? 120_000
  const drain = options.drainMs ?? 60_000
  const churn = options.churn ?? { events: 0, downMs: [0, 0] }
  const ttl = options.ttl ?? 32
  const scopeHops = options.scopeHops ?? Math.max(1, n - 1)
  const rng = prng(seed)
  const counted = { signatures: 0, verifications: 0 }
  const crypto: Crypto = {
    ...options.crypto,
    ed25519Sign: (secretKey, message) => (counted.signatures++, options.crypto.ed25519Sign(secretKey, message)),
    ed25519Verify: (signature, message, key) => (counted.verifications++, options.crypto.ed25519Verify(signature, message, key)),
  }
  const loop = eventLoop(T0)
  const end = T0 + warmup + sendWindow + drain

  const stats: Omit<SimCounters, 'signatures' | 'verifications'> = { transmissions: 0, lostInFlight: 0, ttlExhausted: 0, ttlExhaustedConnected: 0, announceFrames: 0, announceBytes: 0, announceRejected: 0 }
  const messages = new Map<string, MessageRecord>()
  const nodes: SimNode[] = []
  const links = new Map<string, SimLink>()
  const linkKey = (a: number, b: number): string => (a < b ? `${a}-${b}` : `${b}-${a}`)
  const adjacency: Set<number>[] = Array.from({ length: n }, () => new Set())
  const byId = new Map<string, SimNode>()

  const deliver = (to: SimNode, from: SimNode, frame: LinkFrame): void => {
    if (frame.type === 'announce') {
      try {
        sendAll(to, to.router.receive(from.id, frame.announcement, frame.metric))
      } catch {
        stats.announceRejected++
      }
      return
    }
    if (frame.type !== 'envelopes') return
    for (const bytes of frame.envelopes) {
      const { header } = decodeEnvelope(bytes)
      if (header.ttl === 0 && !equals(header.destination, to.key)) {
        stats.ttlExhausted++
        if (messages.get(toHex(header.id))?.connected) stats.ttlExhaustedConnected++
      }
      to.forwarder.route(bytes, from.id)
    }
  }

  /** Puts a frame on the a→b queue of an open link. */
  const transmit = (a: SimNode, b: SimNode, frame: LinkFrame): void => {
    const link = links.get(linkKey(a.index, b.index))
    if (!link?.up) return
    const bytes = encodeLinkFrame(frame)
    const dir = a.index < b.index ? 0 : 1
    const arrival = Math.max(loop.now + rng.int(minDelay, maxDelay), link.last[dir])
    link.last[dir] = arrival
    const epoch = link.epoch
    loop.at(arrival, () => {
      if (link.epoch !== epoch) {
        if (frame.type === 'envelopes') stats.lostInFlight += frame.envelopes.length
        return
      }
      deliver(b, a, decodeLinkFrame(bytes))
    })
  }

  const sendAll = (from: SimNode, outgoing: readonly Outgoing[]): void => {
    for (const { to, frame } of outgoing) {
      const target = byId.get(to)
      if (!target) continue
      stats.announceFrames++
      stats.announceBytes += frame.announcement.length + 5
      transmit(from, target, frame)
    }
  }

  for (let i = 0; i < n; i++) {
    const identity = generateIdentity(options.crypto, rng)
    const key = identity.signingKey.publicKey
    const id = toHex(key)
    // The router tells the forwarder when a route appears; the forwarder asks the router for next hops.
    const router = createRouter({
      self: identity,
      crypto,
      clock: loop.clock,
      custodian: false,
      prekey: () => null,
      announceIntervalMs: interval,
      scopeHops,
      onRouteChange: (destination, nextHop) => {
        if (nextHop !== null) forwarder.retry(destination)
      },
    })
    const forwarder = createForwarder({
      self: key,
      clock: loop.clock,
      deliverLocal: (envelope) => {
        const m = messages.get(toHex(envelope.header.id))
        if (!m) return
        m.deliveries++
        if (m.deliveries === 1) m.latency = loop.now - m.sentAt
      },
      route: (destination) => router.nextHop(destination),
    })
    const node: SimNode = { index: i, id, key, router, forwarder }
    nodes.push(node)
    byId.set(id, node)
  }

  const setLink = (a: SimNode, b: SimNode, up: boolean): void => {
    const link = links.get(linkKey(a.index, b.index))!
    if (link.up === up) return
    link.up = up
    link.epoch++
    for (const [x, y, hop] of [[a, b, link.hops[a.index < b.index ? 0 : 1]], [b, a, link.hops[a.index < b.index ? 1 : 0]]] as const) {
      if (up) {
        adjacency[x.index]!.add(y.index)
        x.forwarder.addHop(y.id, hop)
        sendAll(x, x.router.linkUp(y.id))
      } else {
        adjacency[x.index]!.delete(y.index)
        x.forwarder.removeHop(y.id, hop)
        sendAll(x, x.router.linkDown(y.id))
      }
    }
  }

  const topology = randomTopology(rng, n, options.averageDegree ?? 4)
  for (const [i, j] of topology) {
    const [a, b] = [nodes[i]!, nodes[j]!]
    const hop = (from: SimNode, to: SimNode): Hop => ({
      kind: 'peer',
      send(envelopes) {
        stats.transmissions += envelopes.length
        transmit(from, to, { type: 'envelopes', envelopes })
      },
    })
    links.set(linkKey(i, j), { up: false, epoch: 0, last: [0, 0], hops: [hop(a, b), hop(b, a)] })
    loop.at(T0 + rng.int(0, 2000), () => setLink(a, b, true))
  }

  for (const node of nodes) {
    const tick = (): void => {
      sendAll(node, node.router.tick(loop.now))
      loop.at(loop.now + tickMs, tick)
    }
    loop.at(T0 + rng.int(0, tickMs - 1), tick)
  }

  const sendStart = T0 + warmup
  for (let c = 0; c < churn.events; c++) {
    loop.at(sendStart + rng.int(0, sendWindow), () => {
      const [i, j] = rng.pick(topology.filter(([x, y]) => links.get(linkKey(x, y))!.up))
      setLink(nodes[i]!, nodes[j]!, false)
      loop.at(loop.now + rng.int(churn.downMs[0], churn.downMs[1]), () => setLink(nodes[i]!, nodes[j]!, true))
    })
  }

  const count = options.messages ?? 500
  for (let m = 0; m < count; m++) {
    loop.at(sendStart + rng.int(0, sendWindow), () => {
      const from = rng.int(0, n - 1)
      const to = (from + rng.int(1, n - 1)) % n
      const id = rng.bytes(16)
      const bytes = encodeEnvelope({
        header: { version: 2, id, destination: nodes[to]!.key, ttl, attempt: 0, expiresAt: loop.now + 60 * 60_000 },
        body: rng.bytes(64),
      })
      const shortest = hopCounts(from, (x) => adjacency[x]!).get(to)
      messages.set(toHex(id), { sentAt: loop.now, connected: shortest !== undefined, shortest: shortest ?? 0, deliveries: 0, latency: 0 })
      nodes[from]!.forwarder.route(bytes, null)
    })
  }

  loop.runUntil(end)
  return summarize({
    nodes: n,
    links: topology.length,
    churnEvents: churn.events,
    counters: { ...stats, ...counted },
    messages: [...messages.values()],
    forwarders: nodes.map((node) => node.forwarder.stats()),
    virtualMs: end - T0,
  })
}

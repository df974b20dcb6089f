/**
 * Builds the engine from a host's ports: the messenger (domain and storage) plus a
 * mesh node (links and routing), behind the `EngineApi` the page calls through
 * Comlink. Host-neutral: the browser worker and the Node worker both call this.
 */
import { SovereignError } from '../engine/errors.ts'
import type { Clock, Crypto, Random, Store, Transport } from '../engine/ports/index.ts'
import { createMessenger } from '../engine/messenger/index.ts'
import type { Effects, EngineEvent, MessageView, Outgoing } from '../engine/messenger/index.ts'
import type { Envelope } from '../engine/wire/index.ts'
import type { EngineApi } from './api.ts'
import { createEventBatcher } from './eventBatcher.ts'
import { createDirectLinks } from './directLinks.ts'
import type { DirectLinks, RtcFactory } from './directLinks.ts'
import { createSendCoalescer } from './sendCoalescer.ts'
import { startMesh } from './startMesh.ts'
import type { Mesh, MeshInit } from './startMesh.ts'

export interface EngineComponents {
  readonly crypto: Crypto
  readonly random: Random
  readonly clock: Clock
  readonly store: Store
  readonly transport: Transport
  readonly inspect?: MeshInit['inspect']
  /** The host's WebRTC transport, if it has one (direct links to contacts). */
  readonly rtc?: RtcFactory
}

/** How often undelivered mail is checked for expiry. */
export const EXPIRY_CHECK_MS = 60_000

export interface Engine extends EngineApi {
  /** Closes every link and stops the actors. */
  shutdown(): Promise<void>
  /** Counters of the data plane, for tests and benchmarks. */
  stats(): { received: number; rejected: number }
  /** Closes direct (WebRTC) links; traffic falls back to relays. */
  dropDirectLinks(): Promise<void>
}

export async function createEngine(c: EngineComponents): Promise<Engine> {
  let mesh: Mesh | null = null
  const messenger = createMessenger({ ...c, freshPrekey: (contactId) => mesh?.plane.router.prekeyOf(contactId) ?? null })
  // Flush per tick: a microtask, not setTimeout(0), which Node rounds up to 1 ms.
  const events = createEventBatcher<EngineEvent>((fn) => void Promise.resolve().then(fn))
  const relays = new Set<string>()
  const counters = { received: 0, rejected: 0 }
  let expiryTimer: unknown = null
  let direct: DirectLinks | null = null
  // Receives run one at a time so a burst from one sender stores in arrival order.
  let receiving: Promise<void> = Promise.resolve()

  const deliverLocal = (envelope: Envelope): void => {
    receiving = receiving.then(async () => {
      try {
        apply(await messenger.receive(envelope))
        counters.received++
      } catch {
        // Tampered, misaddressed or forged mail is dropped; the sender's retry is issue 5's.
        counters.rejected++
      }
    })
  }
  const statusEvents = (messages: readonly MessageView[]): void => {
    for (const m of messages) {
      events.push({ type: 'messageStatus', id: m.id, contactId: m.contactId, status: m.status, ...(m.failure ? { failure: m.failure } : {}) })
    }
  }
  const onSent = (envelopeId: string): void => void messenger.markSent(envelopeId).then(statusEvents)
  const onRelayed = (envelopeId: string): void => void messenger.markRelayed(envelopeId).then(statusEvents)
  const transmit = (outgoing: Outgoing): void => mesh?.send(outgoing.bytes)
  const apply = (effects: Effects): void => {
    events.push(...effects.events)
    effects.replies.forEach(transmit)
    for (const s of effects.signals) direct?.onSignal(s.from, s.signal)
    // Receipts after the events: the user sees the message first, the ratchet step comes after.
    for (const r of effects.receipts) void messenger.acknowledge(r.contactId, r.ids).then(transmit, () => undefined)
    for (const e of effects.events) if (e.type === 'message' && e.message.direction === 'in') direct?.heardFrom(e.message.contactId)
  }
  const expire = (): void => void messenger.expire().then(statusEvents, () => undefined)
  const send = createSendCoalescer(messenger, (messages, outgoing) => {
    events.push(...messages.map((message): EngineEvent => ({ type: 'message', message })))
    outgoing.forEach(transmit)
  })

  const startNode = async (): Promise<void> => {
    direct = createDirectLinks({
      selfId: messenger.profile()!.id,
      host: c.transport,
      ...(c.rtc ? { rtc: c.rtc } : {}),
      sendSignal: (contactId, signal) => void messenger.signal(contactId, signal).then(transmit, () => undefined),
      connect: (address) => mesh?.connect(address),
      accept: (link) => mesh?.accept(link),
    })
    mesh = startMesh({ ...c, transport: direct.transport }, {
      identity: messenger.identity(),
      deliverLocal,
      onSent,
      onRelayed,
      prekey: () => messenger.signedPrekey(),
      onLinksChanged: () => events.push({ type: 'links', links: mesh?.links() ?? [] }),
      ...(c.inspect ? { inspect: c.inspect } : {}),
    })
    for (const relay of [...relays, ...(await messenger.contactRelays())]) {
      relays.add(relay)
      mesh.connect(relay)
    }
    await direct.start()
    for (const outgoing of await messenger.outbox()) transmit(outgoing)
    expire()
    expiryTimer = c.clock.setTimeout(function again() {
      expire()
      expiryTimer = c.clock.setTimeout(again, EXPIRY_CHECK_MS)
    }, EXPIRY_CHECK_MS)
  }

  if (await messenger.load()) await startNode()

  return {
    profile: async () => messenger.profile(),
    async createProfile(displayName) {
      const profile = await messenger.createProfile(displayName)
      await startNode()
      return profile
    },
    // Offers name only relays others can dial (ws:// and wss://).
    createOffer: async () => messenger.createOffer([...relays].filter((r) => /^wss?:\/\//.test(r))),
    async acceptOffer(code) {
      const { contact, outgoing } = await messenger.acceptOffer(code)
      events.push({ type: 'contact', contact })
      transmit(outgoing)
      return contact
    },
    contacts: () => messenger.contacts(),
    async setVerified(contactId, verified) {
      const contact = await messenger.setVerified(contactId, verified)
      events.push({ type: 'contact', contact })
      return contact
    },
    send,
    history: (contactId, query) => messenger.history(contactId, query),
    async connect(relayUrl) {
      // ws:// and wss:// for relays; other schemes (mem:// in tests) when the host's transport has them.
      if (!/^[a-z][a-z0-9+.-]*:\/\/[^\s/]+(\/\S*)?$/.test(relayUrl)) {
        throw new SovereignError('InvalidRelayAddressError', 'A relay address starts with ws:// or wss://.')
      }
      relays.add(relayUrl)
      mesh?.connect(relayUrl)
    },
    links: async () => mesh?.links() ?? [],
    async path(contactId) {
      const links = (mesh?.links() ?? []).filter((l) => l.state === 'open')
      const direct = links.find((l) => l.peerId === contactId)
      if (direct) return { via: 'direct', neighbour: contactId, quality: direct.quality }
      // Otherwise the router's next hop, or the relay the forwarder would fall back to.
      const next = mesh?.plane.router.nextHop(contactId) ?? null
      const hop = links.find((l) => l.peerId === next) ?? links.find((l) => l.address !== null && /^wss?:/.test(l.address))
      return hop ? { via: 'relay', neighbour: hop.peerId, quality: hop.quality } : { via: 'none', neighbour: null, quality: null }
    },
    subscribe: async (listener) => events.subscribe(listener),
    unsubscribe: async (id) => events.unsubscribe(id),
    async markRead(contactId) {
      apply(await messenger.markRead(contactId))
    },
    readReceipts: () => messenger.readReceipts(),
    setReadReceipts: (enabled) => messenger.setReadReceipts(enabled),
    async shutdown() {
      if (expiryTimer !== null) c.clock.clearTimeout(expiryTimer)
      mesh?.stop()
      direct?.close()
      await receiving
    },
    stats: () => ({ ...counters }),
    dropDirectLinks: async () => mesh?.dropDirect(),
  }
}


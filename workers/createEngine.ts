/**
 * Builds the engine from a host's ports: the messenger (domain and storage) plus a
 * mesh node (links and routing), behind the `EngineApi` the page calls through
 * Comlink. Host-neutral: the browser worker and the Node worker both call this.
 */
import { SovereignError } from '../engine/errors.ts'
import type { Clock, Crypto, Random, Store, Transport } from '../engine/ports/index.ts'
import { createMessenger } from '../engine/messenger/index.ts'
import type { EngineEvent, Outgoing } from '../engine/messenger/index.ts'
import type { Envelope } from '../engine/wire/index.ts'
import type { EngineApi } from './api.ts'
import { createEventBatcher } from './eventBatcher.ts'
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
}

export interface Engine extends EngineApi {
  /** Closes every link and stops the actors. */
  shutdown(): Promise<void>
  /** Counters of the data plane, for tests and benchmarks. */
  stats(): { received: number; rejected: number }
}

export async function createEngine(c: EngineComponents): Promise<Engine> {
  const messenger = createMessenger(c)
  // Flush per tick: a microtask, not setTimeout(0), which Node rounds up to 1 ms.
  const events = createEventBatcher<EngineEvent>((fn) => void Promise.resolve().then(fn))
  const relays = new Set<string>()
  const counters = { received: 0, rejected: 0 }
  let mesh: Mesh | null = null
  // Receives run one at a time so a burst from one sender stores in arrival order.
  let receiving: Promise<void> = Promise.resolve()

  const deliverLocal = (envelope: Envelope): void => {
    receiving = receiving.then(async () => {
      try {
        events.push(...(await messenger.receive(envelope)))
        counters.received++
      } catch {
        // Tampered, misaddressed or forged mail is dropped; the sender's retry is issue 5's.
        counters.rejected++
      }
    })
  }
  const onSent = (messageId: string): void => {
    void messenger.markSent(messageId).then((messages) => {
      for (const m of messages) events.push({ type: 'messageStatus', id: m.id, contactId: m.contactId, status: 'sent' })
    })
  }
  const transmit = (outgoing: Outgoing): void => mesh?.send(outgoing.bytes)
  const send = createSendCoalescer(messenger, (messages, outgoing) => {
    events.push(...messages.map((message): EngineEvent => ({ type: 'message', message })))
    outgoing.forEach(transmit)
  })

  const startNode = async (): Promise<void> => {
    mesh = startMesh(c, {
      identity: messenger.identity(),
      deliverLocal,
      onSent,
      onLinksChanged: () => events.push({ type: 'links', links: mesh?.links() ?? [] }),
      ...(c.inspect ? { inspect: c.inspect } : {}),
    })
    for (const relay of [...relays, ...(await messenger.contactRelays())]) {
      relays.add(relay)
      mesh.connect(relay)
    }
    for (const outgoing of await messenger.outbox()) transmit(outgoing)
  }

  if (await messenger.load()) await startNode()

  return {
    profile: async () => messenger.profile(),
    async createProfile(displayName) {
      const profile = await messenger.createProfile(displayName)
      await startNode()
      return profile
    },
    createOffer: async () => messenger.createOffer([...relays]),
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
      if (!/^wss?:\/\/[^\s/]+(\/\S*)?$/.test(relayUrl)) {
        throw new SovereignError('InvalidRelayAddressError', 'A relay address starts with ws:// or wss://.')
      }
      relays.add(relayUrl)
      mesh?.connect(relayUrl)
    },
    links: async () => mesh?.links() ?? [],
    subscribe: async (listener) => events.subscribe(listener),
    unsubscribe: async (id) => events.unsubscribe(id),
    async shutdown() {
      mesh?.stop()
      await receiving
    },
    stats: () => ({ ...counters }),
  }
}


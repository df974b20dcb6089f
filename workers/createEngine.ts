/**
 * Builds the engine from a host's ports: the messenger (domain and storage) plus a
 * mesh node (links and routing), behind the `EngineApi` the page calls through
 * Comlink. Host-neutral: the browser worker and the Node worker both call this.
 */
import { toHex } from '../engine/bytes.ts'
import { SovereignError } from '../engine/errors.ts'
import type { Clock, Crypto, Random, Store, Transport } from '../engine/ports/index.ts'
import { createMessenger } from '../engine/messenger/index.ts'
import type { Effects, EngineEvent, LinkView, MessageView, Outgoing } from '../engine/messenger/index.ts'
import { MIGRATIONS, SCHEMA_VERSION } from '../engine/messenger/migrations/index.ts'
import { decodeReachRecord } from '../engine/reach/index.ts'
import { migrateStore } from '../engine/store/index.ts'
import type { OutboxPolicy } from '../machines/outbox.ts'
import type { ScryptParams } from '../engine/backup/index.ts'
import type { Envelope } from '../engine/wire/index.ts'
import type { EngineApi, EngineDiagnostics } from './api.ts'
import { createEventBatcher } from './eventBatcher.ts'
import { createDirectLinks } from './directLinks.ts'
import type { DirectLinks, RtcFactory } from './directLinks.ts'
import { EngineStoppedError, createBackups } from './backups.ts'
import { createOutboxes } from './outboxes.ts'
import type { Outboxes } from './outboxes.ts'
import { createSendCoalescer } from './sendCoalescer.ts'
import { createHomeRecord } from './homeRecord.ts'
import type { HomeRecord } from './homeRecord.ts'
import { createDeliveryReports } from './deliveryReports.ts'
import { jitterFrom, startMesh } from './startMesh.ts'
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
  /** Retry schedule of the outbox (machines/outbox.ts DEFAULT_OUTBOX_POLICY by default). */
  readonly outboxPolicy?: OutboxPolicy
  /** Undelivered messages per destination before sending is refused (default 1,000). */
  readonly outboxLimit?: number
  /** Scrypt cost of new backups (tests pass the floor; default backupFile's). */
  readonly backupScrypt?: ScryptParams
}

/** How often records of envelopes that can no longer be redelivered are dropped. */
export const SEEN_PRUNE_MS = 3_600_000

export interface Engine extends EngineApi {
  /** Closes every link and stops the actors. */
  shutdown(): Promise<void>
  /** Counters of the data plane, for tests and benchmarks; `reachRejected`: contacts' reach records dropped (invalid or not theirs). */
  stats(): EngineDiagnostics
  /** Closes direct (WebRTC) links; traffic falls back to relays. */
  dropDirectLinks(): Promise<void>
}

export async function createEngine(c: EngineComponents): Promise<Engine> {
  let mesh: Mesh | null = null
  // Before anything reads the store: forward only; a newer store is refused untouched (SchemaTooNewError).
  await migrateStore(c.store, SCHEMA_VERSION, MIGRATIONS)
  const messenger = createMessenger({
    ...c,
    freshPrekey: (contactId) => mesh?.plane.router.prekeyOf(contactId) ?? null,
    ...(c.outboxLimit !== undefined ? { outboxLimit: c.outboxLimit } : {}),
  })
  // Flush per tick: a microtask, not setTimeout(0), which Node rounds up to 1 ms.
  const events = createEventBatcher<EngineEvent>((fn) => void Promise.resolve().then(fn))
  const relays = new Set<string>()
  const counters = {
    received: 0,
    rejected: 0,
    reachRejected: 0,
    custodyClaimsIgnored: 0,
    custodyReceiptsAccepted: 0,
    custodyReceiptsRefused: {} as Record<string, number>,
    refusals: {} as Record<string, number>,
  }
  let pruneTimer: unknown = null
  let direct: DirectLinks | null = null
  let outboxes: Outboxes | null = null
  // Receives run one at a time so a burst from one sender stores in arrival order.
  let receiving: Promise<void> = Promise.resolve()

  const deliverLocal = (envelope: Envelope): void => {
    receiving = receiving.then(async () => {
      try {
        apply(await messenger.receive(envelope))
        counters.received++
      } catch {
        // Tampered, misaddressed or forged mail is dropped; a genuine sender retries it.
        counters.rejected++
      }
    })
  }
  const statusEvents = (messages: readonly MessageView[]): void => {
    for (const m of messages) {
      events.push({ type: 'messageStatus', id: m.id, contactId: m.contactId, status: m.status, ...(m.failure ? { failure: m.failure } : {}) })
    }
  }
  /**
   * Each contact's reach record (verified when it came), read by the data plane on every
   * send: their mail goes to their home relays, through ours. Loaded at start, then kept
   * up to date as records arrive (receiver effects, accepted offers).
   */
  const contactRecords = new Map<string, Uint8Array>()
  const learnContactRecord = async (contactId: string): Promise<void> => {
    const record = await messenger.contactReach(contactId)
    if (record !== null) contactRecords.set(contactId, record)
  }
  const reports = createDeliveryReports({
    messenger,
    clock: c.clock,
    outboxes: () => outboxes,
    contactRecords,
    counters,
    statusEvents,
    push: (event) => events.push(event),
  })
  /** Sent once: receipts and signalling, which are not queued. */
  const transmit = (outgoing: Outgoing): void => mesh?.send(outgoing.bytes)
  /** Durable already: the outbox sends it now and again until its receipt. */
  const enqueue = (outgoing: Outgoing): void => outboxes?.enqueue(outgoing)
  /**
   * Our current reach record to these contacts, sent once like a signal, and only to those not sent
   * this seqno yet (engine/messenger/contactReach.ts says why that is enough): called when the record
   * changes (every contact) and when someone becomes a contact. Nothing before a home relay is known.
   */
  const shareReach = (contactIds: readonly string[]): void => {
    const record = homeRecord?.current() ?? null
    if (record === null) return
    for (const id of contactIds) void messenger.composeReach(id, record).then((o) => o && transmit(o), () => undefined)
  }
  const apply = (effects: Effects): void => {
    events.push(...effects.events)
    for (const d of effects.delivered) outboxes?.delivered(d.contactId, d.envelopeId)
    for (const contactId of effects.resync) resync(contactId)
    counters.reachRejected += effects.reachDropped.length
    for (const { contactId, record } of effects.reachKept) {
      contactRecords.set(contactId, record)
      // Their mail has a new place to go: what waits for them goes now.
      outboxes?.reachable(contactId)
    }
    shareReach(effects.shareReach)
    effects.replies.forEach(transmit)
    for (const s of effects.signals) direct?.onSignal(s.from, s.signal)
    // Receipts after the events: the user sees the message first, the ratchet step comes after.
    for (const r of effects.receipts) void messenger.acknowledge(r.contactId, r.ids).then(transmit, () => undefined)
    for (const e of effects.events) if (e.type === 'message' && e.message.direction === 'in') direct?.heardFrom(e.message.contactId)
  }
  const pruneSeen = (): void => void messenger.pruneSeen().catch(() => undefined)
  /** Signed prekey rotation and the end of old ones' grace (engine/messenger/sessionBook.ts): idempotent, cheap when nothing is due. */
  const maintainPrekeys = (): void => void messenger.maintainPrekeys().catch(() => undefined)
  const send = createSendCoalescer(messenger, (messages, outgoing) => {
    events.push(...messages.map((message): EngineEvent => ({ type: 'message', message })))
    outgoing.forEach(enqueue)
  })
  /** Their session ran too far ahead of ours: what waits for them goes again on a new session. */
  const resync = (contactId: string): void =>
    void messenger.resync(contactId).then(({ replaced, composed }) => {
      for (const envelopeId of replaced) outboxes?.remove(contactId, envelopeId)
      for (const done of composed) done.outgoing.forEach(enqueue)
    }, () => undefined)
  /** A link to a destination (or a new relay: a way to everyone) opened: outboxes retry now. */
  const openLinks = new Set<string>()
  let homeRecord: HomeRecord | null = null
  /** The user's own relays (their home relays, issue 11), in the order chosen, with the identity each proved. */
  let ownRelays: string[] = []
  const homeIdentities = new Map<string, string>()
  const refreshHome = (links: readonly LinkView[]): void => {
    for (const link of links) {
      if (link.state === 'open' && link.peerId !== null && link.address !== null && ownRelays.includes(link.address)) {
        homeIdentities.set(link.address, link.peerId)
      }
    }
    const homes = ownRelays.flatMap((address) => {
      const identityHex = homeIdentities.get(address)
      return identityHex === undefined ? [] : [{ address, identityHex }]
    })
    if (!homeRecord?.update(homes)) return
    mesh?.publishReach()
    // Every start signs a new record, so this also brings each contact's copy up to date after a restart.
    void messenger.contacts().then((contacts) => shareReach(contacts.map((contact) => contact.id)), () => undefined)
  }
  const linksChanged = (): void => {
    const links = mesh?.links() ?? []
    events.push({ type: 'links', links })
    refreshHome(links)
    const open = new Set(links.filter((l) => l.state === 'open' && l.peerId !== null).map((l) => l.peerId!))
    for (const link of links) {
      if (link.state !== 'open' || link.peerId === null || openLinks.has(link.peerId)) continue
      const upstream = link.address !== null && /^wss?:\/\//.test(link.address)
      for (const destination of upstream ? (outboxes?.destinations() ?? []) : [link.peerId]) outboxes?.reachable(destination)
    }
    openLinks.clear()
    for (const id of open) openLinks.add(id)
  }

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
      ...reports,
      prekey: () => messenger.signedPrekey(),
      onLinksChanged: linksChanged,
      onReachable: (destination) => outboxes?.reachable(destination),
      // An engine dials its relays (the user chose them); the only links it accepts are direct
      // WebRTC links, which are signalled end to end by contacts only.
      defence: { tierOf: (_peerId, outbound) => (outbound ? 'chosenRelay' : 'contact') },
      ...(c.inspect ? { inspect: c.inspect } : {}),
      ownReach: () => homeRecord?.current() ?? null,
      reachOf: (destination) => contactRecords.get(destination) ?? null,
      // Nobody's home relay: a contact's mail for someone else is passed on or refused, never held.
      holdForOthers: false,
      ownRelay: (peerId) => {
        for (const id of homeIdentities.values()) if (id === peerId) return true
        return false
      },
    })
    for (const contact of await messenger.contacts()) await learnContactRecord(contact.id)
    homeRecord = createHomeRecord({ crypto: c.crypto, identity: messenger.identity(), clock: c.clock })
    for (const relay of relays) await messenger.rememberRelay(relay)
    ownRelays = await messenger.ownRelays()
    // Only the user's own relays (issue 11): mail to contacts goes through them to the contacts'
    // home relays, so the engine keeps no link to a contact's relay (their relay would learn our
    // address, and each such link costs that relay a link and its announcements). With every own
    // relay down, the data plane dials a contact's home relay itself (workers/relayPool.ts).
    for (const relay of new Set([...relays, ...ownRelays])) {
      relays.add(relay)
      mesh.connect(relay)
    }
    await direct.start()
    outboxes = createOutboxes({
      messenger,
      clock: c.clock,
      jitter: jitterFrom(c.random),
      send: (bytes) => mesh?.send(bytes),
      onStatus: statusEvents,
      ...(c.outboxPolicy ? { policy: c.outboxPolicy } : {}),
      ...(c.inspect ? { inspect: c.inspect } : {}),
    })
    await outboxes.restore()
    // Messages an upgrade could not keep sendable, sealed again with their ids.
    for (const done of await messenger.resendPending()) done.outgoing.forEach(enqueue)
    pruneSeen()
    maintainPrekeys()
    pruneTimer = c.clock.setTimeout(function again() {
      pruneSeen()
      maintainPrekeys()
      pruneTimer = c.clock.setTimeout(again, SEEN_PRUNE_MS)
    }, SEEN_PRUNE_MS)
  }

  if (await messenger.load()) await startNode()

  const shutdown = async (): Promise<void> => {
    if (pruneTimer !== null) c.clock.clearTimeout(pruneTimer)
    outboxes?.stop()
    mesh?.stop()
    direct?.close()
    await receiving
  }
  let stopped = false
  const backups = createBackups({
    ...c,
    quiet: messenger.quiet,
    stop: async () => {
      stopped = true
      // Receives still queued behind the restore find the messenger closed instead of writing old sessions into it.
      messenger.close()
      if (pruneTimer !== null) c.clock.clearTimeout(pruneTimer)
      outboxes?.stop()
      mesh?.stop()
      direct?.close()
    },
    ...(c.backupScrypt ? { scrypt: c.backupScrypt } : {}),
  })

  const engine: Engine = {
    profile: async () => messenger.profile(),
    async createProfile(displayName) {
      const profile = await messenger.createProfile(displayName)
      await startNode()
      return profile
    },
    // Offers name the user's own relays (never the contacts' relays this engine also dials: an
    // offer would tell whoever reads it where the user's contacts are), and only those others
    // can dial (ws:// and wss://).
    // The offer carries the user's reach record too: whoever accepts it can leave mail at the home
    // relays at once, before any record came end to end (their intro goes there).
    createOffer: async () =>
      messenger.createOffer(
        (await messenger.ownRelays()).filter((r) => /^wss?:\/\//.test(r)),
        homeRecord?.current() ?? null,
      ),
    async acceptOffer(code) {
      const { contact, outgoing } = await messenger.acceptOffer(code, homeRecord?.current() ?? null)
      await learnContactRecord(contact.id)
      events.push({ type: 'contact', contact })
      enqueue(outgoing)
      // After the intro, on the same session: they learn who we are first, then where our mail waits.
      shareReach([contact.id])
      return contact
    },
    contacts: () => messenger.contacts(),
    async contactReach(contactId) {
      const bytes = await messenger.contactReach(contactId)
      if (bytes === null) return null
      // Verified when it arrived; shape only here.
      const { seqno, issuedAt, expiresAt, relays } = decodeReachRecord(bytes).record
      return { seqno, issuedAt, expiresAt, relays: relays.map((r) => ({ address: r.address, identity: toHex(r.identity) })) }
    },
    async setVerified(contactId, verified) {
      const contact = await messenger.setVerified(contactId, verified)
      events.push({ type: 'contact', contact })
      return contact
    },
    send,
    async retry(contactId, messageIds) {
      const { messages, outgoing } = await messenger.retry(contactId, messageIds)
      statusEvents(messages)
      outgoing.forEach(enqueue)
      return messages
    },
    history: (contactId, query) => messenger.history(contactId, query),
    async connect(relayUrl) {
      // ws:// and wss:// for relays; other schemes (mem:// in tests) when the host's transport has them.
      if (!/^[a-z][a-z0-9+.-]*:\/\/[^\s/]+(\/\S*)?$/.test(relayUrl)) {
        throw new SovereignError('InvalidRelayAddressError', 'A relay address starts with ws:// or wss://.')
      }
      relays.add(relayUrl)
      // Kept for the next start; before onboarding, startNode keeps it.
      if (mesh) {
        await messenger.rememberRelay(relayUrl)
        ownRelays = await messenger.ownRelays()
      }
      mesh?.connect(relayUrl)
    },
    async leaveRelay(relayUrl) {
      await messenger.forgetRelay(relayUrl)
      ownRelays = await messenger.ownRelays()
      homeIdentities.delete(relayUrl)
      // The new record first, while the link to the relay left is still open: it hands what it
      // holds for us over to the relays the record names (engine/routing/dataPlane.ts).
      refreshHome(mesh?.links() ?? [])
      relays.delete(relayUrl)
      mesh?.disconnect(relayUrl)
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
    shutdown,
    createBackup: (passphrase, onProgress) => backups.create(passphrase, onProgress),
    restoreBackup: (file, passphrase, onProgress) => backups.restore(file, passphrase, onProgress),
    exportData: () => backups.exportData(),
    stats: () => ({ ...counters }),
    diagnostics: async () => ({
      ...counters,
      custodyReceiptsRefused: { ...counters.custodyReceiptsRefused },
      refusals: { ...counters.refusals },
    }),
    dropDirectLinks: async () => mesh?.dropDirect(),
  }
  // After a restore the store holds another profile: nothing may act on the old state.
  for (const name of Object.keys(engine) as (keyof Engine)[]) {
    const method = engine[name] as (...args: unknown[]) => unknown
    if (name === 'shutdown' || name === 'stats') continue
    ;(engine as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (stopped) return Promise.reject(new EngineStoppedError())
      return method(...args)
    }
  }
  return engine
}


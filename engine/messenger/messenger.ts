/**
 * The messenger's domain: profile, contacts, sessions, history and delivery
 * status. It decides and stores; it never touches a link. The mesh (machines/)
 * carries the `Outgoing` bytes it returns and hands it every envelope addressed
 * to this node.
 *
 * An envelope's body is one session message (engine/session) holding a batch of
 * message bodies (engine/wire/messageBatch): X3DH to start, then the Double
 * Ratchet with encrypted headers, so relays see neither the sender nor the text.
 * The envelope header (version, id, destination, expiry) is the associated data;
 * the session binds both parties' identities.
 */
import { fromHex, toHex } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import { decodeIdentity, encodeIdentity, generateIdentity, shortFingerprint } from '../identity/index.ts'
import type { Clock, Crypto, Random, Store, StoreOp } from '../ports/index.ts'
import type { PublicSignedPrekey } from '../session/index.ts'
import { MESSAGE_ID_BYTES } from '../wire/index.ts'
import type { Envelope, MessageBody } from '../wire/index.ts'
import { createComposer } from './composer.ts'
import type { Composed } from './composer.ts'
import { createContactBook } from './contactBook.ts'
import { createReachShare } from './contactReach.ts'
import { normalizeDisplayName } from './displayName.ts'
import { MessengerClosedError, NoProfileError, ProfileExistsError, UnknownContactError } from './errors.ts'
import { createEnvelopeStatus } from './envelopeStatus.ts'
import { createHistoryBook } from './historyBook.ts'
import { createOffers } from './offers.ts'
import type { AcceptedOffer } from './offers.ts'
import { createOutboxBook } from './outboxBook.ts'
import { createReceiver, noEffects } from './receiver.ts'
import type { Effects } from './receiver.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { MessageRecord, OutboxRecord, ProfileRecord, SeenRecord, SettingsRecord } from './records.ts'
import { createSealer } from './sealer.ts'
import type { FreshPrekey, Outgoing } from './sealer.ts'
import { createSessionBook } from './sessionBook.ts'
import type { PrekeyMaintenance } from './sessionBook.ts'
import { createStatusBook } from './statusBook.ts'
import type { ContactView, EngineEvent, HistoryQuery, MessageView, ProfileView } from './views.ts'

export type { Outgoing } from './sealer.ts'
export type { Effects } from './receiver.ts'
export type { Composed } from './composer.ts'
export type { ReachDropReason } from './contactReach.ts'
export type { AcceptedOffer } from './offers.ts'
export { DEFAULT_OUTBOX_LIMIT } from './outboxBook.ts'
export { DEFAULT_TTL, MESSAGE_LIFETIME_MS } from './sealer.ts'
export { MAX_BATCH_PLAINTEXT, MAX_TEXT_BYTES } from './composer.ts'
export { SIGNED_PREKEY_GRACE_MS, SIGNED_PREKEY_ROTATE_MS } from './sessionBook.ts'
export type { PrekeyMaintenance } from './sessionBook.ts'

export interface MessengerComponents {
  readonly crypto: Crypto
  readonly random: Random
  readonly clock: Clock
  readonly store: Store
  /** A contact's signed prekey as routing announcements last carried it (fresher than their offer's). */
  readonly freshPrekey?: FreshPrekey
  /** Undelivered messages one destination may hold (default DEFAULT_OUTBOX_LIMIT). */
  readonly outboxLimit?: number
}

export interface Messenger {
  /** Reads identity, profile and sessions from the store; null before onboarding. */
  load(): Promise<ProfileView | null>
  profile(): ProfileView | null
  /** The local identity; throws NoProfileError before onboarding. */
  identity(): Identity
  createProfile(displayName: string): Promise<ProfileView>
  /**
   * The user's offer code (engine/offer): keys, signed prekey, display name, `relays`, and `reach`,
   * the user's current signed reach record as signed (null or omitted: none yet), so whoever accepts
   * can reach the user's home relays at once. Neither is checked here: the accepting side judges both.
   */
  createOffer(relays: readonly string[], reach?: Uint8Array | null): string
  /** The current signed prekey, for announcements; null before onboarding. */
  signedPrekey(): PublicSignedPrekey | null
  /**
   * Signed prekey upkeep by the messenger's clock: rotates it when SIGNED_PREKEY_ROTATE_MS old
   * (offers and `signedPrekey()` carry the new one at once) and deletes each previous one's secret
   * SIGNED_PREKEY_GRACE_MS after it was replaced, in one store batch. Idempotent and cheap when
   * nothing is due: call it after load and then periodically (every minute is fine). A profile
   * stored without rotation times counts its keys from the first call. Nothing before onboarding.
   */
  maintainPrekeys(): Promise<PrekeyMaintenance>
  /**
   * Adds (or refreshes) the offer's maker as a contact and seals our intro to them. A reach record in
   * the offer is judged as one the contact sent (contactReach.ts): kept on the contact record, in the
   * same store batch, when it verifies now and is signed by the offer's identity; otherwise the offer
   * is accepted without it and `reachDropped` says why. InvalidOfferError, SenderProofError,
   * InvalidMessageError (our own code), NoProfileError. `ownReach`: our current signed reach record,
   * sealed into the intro's envelope so the contact's first answer can reach our home relays.
   */
  acceptOffer(code: string, ownReach?: Uint8Array | null): Promise<AcceptedOffer>
  contacts(): Promise<ContactView[]>
  /** Every relay address any contact offered (where their mail can reach them), and the ones the user added. */
  contactRelays(): Promise<string[]>
  /** Keeps a relay the user connected to, so the next start dials it too. */
  rememberRelay(address: string): Promise<void>
  /** The user no longer keeps this relay (no-op when it was not one of theirs). */
  forgetRelay(address: string): Promise<void>
  /** The relays the user chose (remembered by rememberRelay), in the order chosen: its home relays. */
  ownRelays(): Promise<string[]>
  /** Marks a contact verified or not; verifying clears a key-change warning. */
  setVerified(contactId: string, verified: boolean): Promise<ContactView>
  compose(contactId: string, text: string): Promise<{ message: MessageView; outgoing: Outgoing }>
  /** Several texts to one contact, sealed together in as few envelopes as fit; durable before it returns. */
  composeBatch(contactId: string, texts: readonly string[]): Promise<Composed>
  /** An envelope left this device: its messages are sent (it stays in the outbox until a receipt covers it). */
  markSent(destination: string, envelopeId: string): Promise<MessageView[]>
  /** A custodian acknowledged an envelope: its messages are relayed. */
  markRelayed(destination: string, envelopeId: string): Promise<MessageView[]>
  /** Ids of the messages a queued envelope carries ([] when it is not queued any more). */
  messageIdsOf(destination: string, envelopeId: string): Promise<string[]>
  /** Persists how many times an envelope was transmitted (the outbox bounds attempts across restarts). */
  recordAttempt(destination: string, envelopeId: string, attempts: number): Promise<void>
  /** The outbox gave up on an envelope: its messages fail with `reason`; the user may send them again. */
  fail(destination: string, envelopeId: string, reason: string): Promise<MessageView[]>
  /** Sends failed messages again: same ids, same place in history, a fresh envelope. */
  retry(contactId: string, messageIds: readonly string[]): Promise<Composed>
  /** Messages an upgrade left without a sendable envelope, sealed again (run once after load). */
  resendPending(): Promise<Composed[]>
  /**
   * A contact's session fell too far behind to follow (Effects.resync): forget it and reseal what
   * waits for them on a fresh one (same message ids), so their answers come on the new session.
   * Returns the envelope ids it replaced.
   */
  resync(contactId: string): Promise<{ replaced: string[]; composed: Composed[] }>
  /** Envelopes waiting for their receipt (after a restart, say), oldest first. */
  outbox(): Promise<OutboxRecord[]>
  /** Opens an envelope addressed to this node. */
  receive(envelope: Envelope): Promise<Effects>
  /** The user saw a conversation: its incoming messages are read; a read receipt goes out if enabled. */
  markRead(contactId: string): Promise<Effects>
  readReceipts(): Promise<boolean>
  setReadReceipts(enabled: boolean): Promise<void>
  /** Forgets seen-envelope records that can no longer be redelivered; returns how many. */
  pruneSeen(): Promise<number>
  /** Seals the delivered receipt for stored messages (see Effects.receipts). */
  acknowledge(contactId: string, ids: readonly Uint8Array[]): Promise<Outgoing>
  /** Seals link signalling to a contact; not stored (a stale offer is useless). */
  signal(contactId: string, signal: Uint8Array): Promise<Outgoing>
  /**
   * Seals our own signed reach record to a contact, sent once like a signal (contactReach.ts says
   * why); null when this contact was already sent this seqno or a newer one.
   */
  composeReach(contactId: string, record: Uint8Array): Promise<Outgoing | null>
  /** The newest verified reach record this contact sent (the signed bytes); null before one came. */
  contactReach(contactId: string): Promise<Uint8Array | null>
  history(contactId: string, query?: HistoryQuery): Promise<MessageView[]>
  /** Runs `fn` between the messenger's own store operations (a consistent backup, a restore). */
  quiet<T>(fn: () => Promise<T>): Promise<T>
  /** Every later operation that touches sessions or history rejects (MessengerClosedError): the store is someone else's now. */
  close(): void
}

export function createMessenger(c: MessengerComponents): Messenger {
  const { crypto, random, clock, store } = c
  let me: Identity | null = null
  let profile: ProfileView | null = null
  // Session state must never be read by two operations at once (a reused ratchet
  // step would reuse a message key): every operation that touches it runs here, in turn.
  let queue: Promise<unknown> = Promise.resolve()
  let closed = false
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(() => {
      if (closed) throw new MessengerClosedError()
      return fn()
    })
    queue = run.catch(() => undefined)
    return run
  }
  const requireIdentity = (): Identity => {
    if (!me) throw new NoProfileError()
    return me
  }
  const book = createContactBook(crypto, store, () => requireIdentity().signingKey.publicKey, () => clock.now())
  const sessions = createSessionBook(crypto, random, store, requireIdentity)
  const status = createStatusBook(store)
  const history = createHistoryBook(store)
  const outbox = createOutboxBook(store, c.outboxLimit)
  const seal = createSealer(random, clock, sessions, c.freshPrekey)
  const sender = (): { identity: Uint8Array; binding: Uint8Array } => {
    const id = requireIdentity()
    return { identity: id.signingKey.publicKey, binding: id.binding }
  }
  const composer = createComposer({ random, clock, store, book, status, history, outbox, seal, sender, exclusive })
  const reach = createReachShare({ random, clock, store, book, seal, identity: requireIdentity, exclusive })
  const offers = createOffers({ crypto, random, clock, store, book, sessions, status, outbox, seal, sender, identity: requireIdentity, profile: () => profile, exclusive })
  const envelopes = createEnvelopeStatus({ store, status, outbox, exclusive })
  const receive = createReceiver({ crypto, clock, store, book, sessions, status, history, outbox, self: () => requireIdentity().signingKey.publicKey })
  const toProfileView = (record: ProfileRecord, id: Identity): ProfileView => ({
    displayName: record.displayName,
    id: toHex(id.signingKey.publicKey),
    fingerprint: shortFingerprint(crypto, id.signingKey.publicKey),
  })
  const statusEvents = (records: readonly MessageRecord[]): EngineEvent[] =>
    records.map((r) => ({ type: 'messageStatus', id: r.id, contactId: r.contactId, status: r.status }))
  /**
   * Seals a control body (receipt, signal) and stores only the session step: it
   * is sent once, never queued — a lost delivered receipt is sent again when the
   * sender retries. The caller holds `exclusive`.
   */
  const sealControl = async (contactId: string, body: MessageBody): Promise<Outgoing> => {
    const contact = await book.get(contactId)
    if (!contact) throw new UnknownContactError()
    const sealed = seal(contact, [{ id: random.bytes(MESSAGE_ID_BYTES), body }])
    await store.batch(sealed.ops)
    sealed.commit()
    return sealed.outgoing
  }
  const settings = async (): Promise<SettingsRecord> => {
    const bytes = await store.get(keys.settings)
    return bytes ? decodeRecord<SettingsRecord>('settings', bytes) : { readReceipts: false }
  }

  const resendPending = async (): Promise<Composed[]> => {
    const markers = await store.keys(keys.resendPrefix)
    const byContact = new Map<string, string[]>()
    for (const key of markers) {
      const [, contactId, messageId] = key.split('/')
      if (contactId && messageId) byContact.set(contactId, [...(byContact.get(contactId) ?? []), messageId])
    }
    const done: Composed[] = []
    for (const [contactId, ids] of byContact) {
      // Anything not yet delivered; a message the recipient already has is shown there once (same id).
      // Anything delivered meanwhile is left alone; an unknown contact (removed) has nothing to send.
      done.push(await composer.resend(contactId, ids, ['queued', 'sent', 'relayed', 'failed'], false).catch(() => ({ messages: [], outgoing: [] })))
      await store.batch(ids.map((id): StoreOp => ({ type: 'delete', key: keys.resend(contactId, id) })))
    }
    return done
  }

  return {
    async load() {
      const [idBytes, profileBytes] = await Promise.all([store.get(keys.identity), store.get(keys.profile)])
      if (!idBytes || !profileBytes) return null
      me = decodeIdentity(idBytes)
      await sessions.load()
      profile = toProfileView(decodeRecord<ProfileRecord>('profile', profileBytes), me)
      return profile
    },
    profile: () => profile,
    identity: requireIdentity,
    async createProfile(displayName) {
      // The store, not memory, says whether this device has an identity: a messenger
      // that was never load()ed must not overwrite (and so lose) the stored one.
      if (me || (await store.get(keys.identity))) throw new ProfileExistsError()
      const record: ProfileRecord = { displayName: normalizeDisplayName(displayName), createdAt: clock.now() }
      const identity = generateIdentity(crypto, random)
      await store.batch([
        { type: 'set', key: keys.identity, value: encodeIdentity(identity) },
        { type: 'set', key: keys.profile, value: encodeRecord(record) },
        ...sessions.create(identity, record.createdAt),
      ])
      me = identity
      profile = toProfileView(record, identity)
      return profile
    },
    signedPrekey: () => (me ? sessions.signedPrekey() : null),
    // In turn with receives: both stage the prekey secrets record.
    maintainPrekeys: () =>
      exclusive(async () => {
        if (!me) return { rotated: false, dropped: false }
        const staged = sessions.maintain(clock.now())
        if (staged.ops.length > 0) await store.batch(staged.ops)
        staged.commit()
        return staged.value
      }),
    createOffer: offers.create,
    acceptOffer: offers.accept,
    contacts: async () => (await book.list()).map(book.view),
    async contactRelays() {
      const own = (await settings()).relays ?? []
      return [...new Set([...own, ...(await book.list()).flatMap((contact) => contact.relays)])]
    },
    ownRelays: async () => [...((await settings()).relays ?? [])],
    rememberRelay: (address) =>
      exclusive(async () => {
        const current = await settings()
        if (current.relays?.includes(address)) return
        await store.set(keys.settings, encodeRecord({ ...current, relays: [...(current.relays ?? []), address] }))
      }),
    forgetRelay: (address) =>
      exclusive(async () => {
        const current = await settings()
        if (!current.relays?.includes(address)) return
        await store.set(keys.settings, encodeRecord({ ...current, relays: current.relays.filter((r) => r !== address) }))
      }),
    // In turn with receives: both rewrite the contact's record, and neither may lose the other's change.
    setVerified: (contactId, verified) => exclusive(async () => book.view(await book.setVerified(contactId, verified))),
    async compose(contactId, text) {
      const { messages, outgoing } = await composer.compose(contactId, [text])
      return { message: messages[0]!, outgoing: outgoing[0]! }
    },
    composeBatch: composer.compose,
    markSent: envelopes.markSent,
    markRelayed: envelopes.markRelayed,
    messageIdsOf: envelopes.messageIdsOf,
    recordAttempt: envelopes.recordAttempt,
    fail: envelopes.fail,
    retry: (contactId, messageIds) => composer.resend(contactId, messageIds, ['failed']),
    resendPending,
    async resync(contactId) {
      const replaced = await exclusive(async () => {
        const waiting = (await outbox.load()).filter((e) => e.destination === contactId && e.historyKeys.length > 0)
        const reset = sessions.reset(contactId)
        const removals = waiting.map((entry) => outbox.remove(entry))
        // One batch: a crash leaves either the old envelopes or markers that reseal their messages at start.
        const markers = waiting.flatMap((e) => e.messageIds.map((id): StoreOp => ({ type: 'set', key: keys.resend(contactId, id), value: encodeRecord({}) })))
        await store.batch([...reset.ops, ...removals.map((r) => r.op), ...markers])
        reset.commit()
        removals.forEach((r) => r.commit())
        return waiting.map((e) => e.envelopeId)
      })
      return { replaced, composed: await resendPending() }
    },
    outbox: () => outbox.load(),
    receive: (envelope) => exclusive(() => receive(envelope)),
    markRead: (contactId) =>
      exclusive(async () => {
        const effects = noEffects()
        const since = await history.unreadSince(contactId)
        const unread = since.records.map((r): MessageRecord => ({ ...r, status: 'read' }))
        await store.batch([...unread.map((r): StoreOp => ({ type: 'set', key: keys.message(contactId, r.seq), value: encodeRecord(r) })), since.mark])
        since.commit()
        if (unread.length === 0) return effects
        effects.events.push(...statusEvents(unread))
        if ((await settings()).readReceipts) {
          for (let i = 0; i < unread.length; i += 256) {
            const ids = unread.slice(i, i + 256).map((r) => fromHex(r.id))
            effects.replies.push(await sealControl(contactId, { type: 'receipt', sender: sender(), sentAt: clock.now(), kind: 'read', ids }))
          }
        }
        return effects
      }),
    readReceipts: async () => (await settings()).readReceipts,
    setReadReceipts: (enabled) =>
      exclusive(async () => {
        const record: SettingsRecord = { ...(await settings()), readReceipts: enabled }
        await store.set(keys.settings, encodeRecord(record))
      }),
    async pruneSeen() {
      const now = clock.now()
      const stale: StoreOp[] = []
      for (const key of await store.keys(keys.seenPrefix)) {
        const bytes = await store.get(key)
        if (bytes && decodeRecord<SeenRecord>('seen envelope', bytes).expiresAt < now) stale.push({ type: 'delete', key })
      }
      if (stale.length > 0) await store.batch(stale)
      return stale.length
    },
    acknowledge: (contactId, ids) =>
      exclusive(() => sealControl(contactId, { type: 'receipt', sender: sender(), sentAt: clock.now(), kind: 'delivered', ids })),
    signal: (contactId, signal) =>
      exclusive(async () => {
        const contact = await book.get(contactId)
        if (!contact) throw new UnknownContactError()
        const sealed = seal(contact, [{ id: random.bytes(MESSAGE_ID_BYTES), body: { type: 'signal', sender: sender(), sentAt: clock.now(), signal } }])
        await store.batch(sealed.ops)
        sealed.commit()
        return sealed.outgoing
      }),
    composeReach: reach.compose,
    contactReach: reach.read,
    history: (contactId, query = {}) => history.page(contactId, query.before, query.limit),
    quiet: exclusive,
    close: () => {
      closed = true
    },
  }
}

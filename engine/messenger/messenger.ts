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
import { equals, fromHex, toHex } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import { decodeIdentity, encodeIdentity, generateIdentity, shortFingerprint } from '../identity/index.ts'
import { decodeOffer, encodeOffer } from '../offer/index.ts'
import type { Clock, Crypto, Random, Store, StoreOp } from '../ports/index.ts'
import type { PublicSignedPrekey } from '../session/index.ts'
import { MESSAGE_ID_BYTES, decodeEnvelope, decodeMessageBatch, envelopeAssociatedData } from '../wire/index.ts'
import type { Envelope, MessageBody } from '../wire/index.ts'
import { createComposer } from './composer.ts'
import { createContactBook } from './contactBook.ts'
import { normalizeDisplayName } from './displayName.ts'
import { InvalidMessageError, NoProfileError, ProfileExistsError, SenderProofError, UnknownContactError } from './errors.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { MessageRecord, OutboxRecord, ProfileRecord, SettingsRecord } from './records.ts'
import { createSealer, outboxOp } from './sealer.ts'
import type { FreshPrekey, Outgoing } from './sealer.ts'
import { createSessionBook } from './sessionBook.ts'
import { createStatusBook } from './statusBook.ts'
import type { ContactView, EngineEvent, HistoryQuery, MessageView, ProfileView } from './views.ts'

export type { Outgoing } from './sealer.ts'
export { DEFAULT_TTL, MESSAGE_LIFETIME_MS } from './sealer.ts'
export { MAX_BATCH_PLAINTEXT, MAX_TEXT_BYTES } from './composer.ts'

export interface MessengerComponents {
  readonly crypto: Crypto
  readonly random: Random
  readonly clock: Clock
  readonly store: Store
  /** A contact's signed prekey as routing announcements last carried it (fresher than their offer's). */
  readonly freshPrekey?: FreshPrekey
}

/** What one incoming envelope (or a local action) caused. */
export interface Effects {
  readonly events: EngineEvent[]
  /** Envelopes to send in answer (read receipts). */
  readonly replies: Outgoing[]
  /** Messages to acknowledge with a delivered receipt: call `acknowledge` after showing them. */
  readonly receipts: { readonly contactId: string; readonly ids: Uint8Array[] }[]
  /** Link signalling a contact sent (WebRTC), by contact id. */
  readonly signals: { readonly from: string; readonly signal: Uint8Array }[]
}

export interface Messenger {
  /** Reads identity, profile and sessions from the store; null before onboarding. */
  load(): Promise<ProfileView | null>
  profile(): ProfileView | null
  /** The local identity; throws NoProfileError before onboarding. */
  identity(): Identity
  createProfile(displayName: string): Promise<ProfileView>
  createOffer(relays: readonly string[]): string
  /** The current signed prekey, for announcements; null before onboarding. */
  signedPrekey(): PublicSignedPrekey | null
  acceptOffer(code: string): Promise<{ contact: ContactView; outgoing: Outgoing }>
  contacts(): Promise<ContactView[]>
  /** Every relay address any contact offered: where their mail can reach them. */
  contactRelays(): Promise<string[]>
  /** Marks a contact verified or not; verifying clears a key-change warning. */
  setVerified(contactId: string, verified: boolean): Promise<ContactView>
  compose(contactId: string, text: string): Promise<{ message: MessageView; outgoing: Outgoing }>
  /** Several texts to one contact, sealed together in as few envelopes as fit; durable before it returns. */
  composeBatch(contactId: string, texts: readonly string[]): Promise<{ messages: MessageView[]; outgoing: Outgoing[] }>
  /** An envelope left this device: drop it from the outbox; its messages are sent. */
  markSent(envelopeId: string): Promise<MessageView[]>
  /** A custodian acknowledged an envelope: its messages are relayed. */
  markRelayed(envelopeId: string): Promise<MessageView[]>
  /** Envelopes stored but not yet sent (after a restart, say), oldest first. */
  outbox(): Promise<Outgoing[]>
  /** Opens an envelope addressed to this node. */
  receive(envelope: Envelope): Promise<Effects>
  /** The user saw a conversation: its incoming messages are read; a read receipt goes out if enabled. */
  markRead(contactId: string): Promise<Effects>
  readReceipts(): Promise<boolean>
  setReadReceipts(enabled: boolean): Promise<void>
  /** Outgoing messages past their expiry and never delivered become failed ('expired'). */
  expire(): Promise<MessageView[]>
  /** Seals the delivered receipt for stored messages (see Effects.receipts). */
  acknowledge(contactId: string, ids: readonly Uint8Array[]): Promise<Outgoing>
  /** Seals link signalling to a contact; not stored (a stale offer is useless). */
  signal(contactId: string, signal: Uint8Array): Promise<Outgoing>
  history(contactId: string, query?: HistoryQuery): Promise<MessageView[]>
}

const noEffects = (): Effects => ({ events: [], replies: [], signals: [], receipts: [] })

export function createMessenger(c: MessengerComponents): Messenger {
  const { crypto, random, clock, store } = c
  let me: Identity | null = null
  let profile: ProfileView | null = null
  // Session state must never be read by two operations at once (a reused ratchet
  // step would reuse a message key): every operation that touches it runs here, in turn.
  let queue: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn)
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
  const seal = createSealer(random, clock, sessions, c.freshPrekey)
  const sender = (): { identity: Uint8Array; binding: Uint8Array } => {
    const id = requireIdentity()
    return { identity: id.signingKey.publicKey, binding: id.binding }
  }
  const composeBatch = createComposer({ random, clock, store, book, status, seal, sender, exclusive })
  const toProfileView = (record: ProfileRecord, id: Identity): ProfileView => ({
    displayName: record.displayName,
    id: toHex(id.signingKey.publicKey),
    fingerprint: shortFingerprint(crypto, id.signingKey.publicKey),
  })
  const statusEvents = (records: readonly MessageRecord[]): EngineEvent[] =>
    records.map((r) => ({ type: 'messageStatus', id: r.id, contactId: r.contactId, status: r.status }))
  /** Seals and stores a body that has no history entry of its own (intro, receipt); the caller holds `exclusive`. */
  const sealControl = async (contactId: string, body: MessageBody): Promise<Outgoing> => {
    const contact = await book.get(contactId)
    if (!contact) throw new UnknownContactError()
    const sealed = seal(contact, [{ id: random.bytes(MESSAGE_ID_BYTES), body }])
    await store.batch([...sealed.ops, outboxOp(sealed.outgoing, [])])
    sealed.commit()
    return sealed.outgoing
  }
  const settings = async (): Promise<SettingsRecord> => {
    const bytes = await store.get(keys.settings)
    return bytes ? decodeRecord<SettingsRecord>('settings', bytes) : { readReceipts: false }
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
        ...sessions.create(identity),
      ])
      me = identity
      profile = toProfileView(record, identity)
      return profile
    },
    signedPrekey: () => (me ? sessions.signedPrekey() : null),
    createOffer(relays) {
      const id = requireIdentity()
      if (!profile) throw new NoProfileError()
      return encodeOffer({
        identity: id.signingKey.publicKey,
        staticKey: id.staticKey.publicKey,
        binding: id.binding,
        signedPrekey: sessions.signedPrekey(),
        displayName: profile.displayName,
        relays,
      })
    },
    acceptOffer: (code) =>
      exclusive(async () => {
        const offer = decodeOffer(code)
        const id = requireIdentity()
        const mine = profile
        if (!mine) throw new NoProfileError()
        if (equals(offer.identity, id.signingKey.publicKey)) {
          throw new InvalidMessageError('That is your own offer code. Paste the code of the person you want to add.')
        }
        const spk = offer.signedPrekey
        const prekey = { id: spk.id, publicKey: toHex(spk.publicKey), signature: toHex(spk.signature) }
        // An offer for a known contact refreshes their relays and prekey; a new key in it is a key change.
        const learned = await book.learn(offer, offer.displayName, offer.relays, prekey)
        const reset = learned.keyChanged ? sessions.reset(learned.record.id) : null
        reset?.commit()
        const intro: MessageBody = { type: 'intro', sender: sender(), sentAt: clock.now(), displayName: mine.displayName, relays: [] }
        // The bundle is checked (binding and prekey signature) when the session starts here.
        const sealed = seal(learned.record, [{ id: random.bytes(MESSAGE_ID_BYTES), body: intro }])
        const contactOp: StoreOp = { type: 'set', key: keys.contact(learned.record.id), value: encodeRecord(learned.record) }
        await store.batch([...(reset?.ops ?? []), contactOp, ...sealed.ops, outboxOp(sealed.outgoing, [])])
        sealed.commit()
        return { contact: book.view(learned.record), outgoing: sealed.outgoing }
      }),
    contacts: async () => (await book.list()).map(book.view),
    async contactRelays() {
      return [...new Set((await book.list()).flatMap((contact) => contact.relays))]
    },
    setVerified: async (contactId, verified) => book.view(await book.setVerified(contactId, verified)),
    async compose(contactId, text) {
      const { messages, outgoing } = await composeBatch(contactId, [text])
      return { message: messages[0]!, outgoing: outgoing[0]! }
    },
    composeBatch,
    async markSent(envelopeId) {
      const change = await status.advanceEnvelope(envelopeId, 'sent')
      await store.batch([...change.ops, { type: 'delete', key: keys.outbox(envelopeId) }])
      return change.records
    },
    async markRelayed(envelopeId) {
      const change = await status.advanceEnvelope(envelopeId, 'relayed')
      if (change.ops.length > 0) await store.batch(change.ops)
      return change.records
    },
    async outbox() {
      const out: { outgoing: Outgoing; expiresAt: number }[] = []
      for (const k of await store.keys(keys.outboxPrefix)) {
        const bytes = await store.get(k)
        if (!bytes) continue
        const entry = decodeRecord<OutboxRecord>('outbox', bytes)
        const envelope = fromHex(entry.envelope)
        const { header } = decodeEnvelope(envelope)
        out.push({ outgoing: { messageId: entry.messageId, destination: toHex(header.destination), bytes: envelope }, expiresAt: header.expiresAt })
      }
      // Keys sort by the random envelope id; every envelope expires a fixed
      // MESSAGE_LIFETIME_MS after it was sealed, so expiry order is age order.
      return out.sort((a, b) => a.expiresAt - b.expiresAt).map((o) => o.outgoing)
    },
    receive: (envelope) =>
      exclusive(async () => {
        const id = requireIdentity()
        if (!equals(envelope.header.destination, id.signingKey.publicKey)) return noEffects()
        if (envelope.header.expiresAt < clock.now()) return noEffects()
        // Decrypt → store session state, contact and plaintext in one atomic write → events.
        let opened: ReturnType<typeof sessions.decrypt>
        try {
          opened = sessions.decrypt(envelope.body, envelopeAssociatedData(envelope.header))
        } catch (error) {
          // Its message key is gone: it was decrypted (and shown) already.
          if ((error as Error).name === 'DuplicateOrExpiredError') return noEffects()
          throw error
        }
        const { sender: peer, plaintext } = opened.value
        const items = decodeMessageBatch(plaintext)
        if (items.some((item) => !equals(item.body.sender.identity, peer.identity))) throw new SenderProofError()
        const intro = items.map((item) => item.body).find((body) => body.type === 'intro')
        const named = intro?.type === 'intro' ? intro : null
        const learned = await book.learn(peer, named?.displayName ?? null, named?.relays ?? [])
        const contactId = learned.record.id
        const ops: StoreOp[] = [...opened.ops, ...(learned.op ? [learned.op] : [])]
        const effects: Effects = { ...noEffects(), events: learned.op ? [{ type: 'contact', contact: book.view(learned.record) }] : [] }
        const delivered: Uint8Array[] = []
        for (const { id: itemId, body } of items) {
          if (body.type === 'signal') effects.signals.push({ from: contactId, signal: body.signal })
          if (body.type === 'receipt') {
            const change = await status.advanceMessages(body.ids.map(toHex), body.kind)
            ops.push(...change.ops)
            effects.events.push(...statusEvents(change.records))
          }
          if (body.type !== 'text') continue
          delivered.push(itemId)
          const messageId = toHex(itemId)
          const historyKey = keys.message(contactId, body.sentAt, messageId)
          // A message redelivered in another envelope maps to the same key: shown once.
          if (await store.get(historyKey)) continue
          const record: MessageRecord = { id: messageId, contactId, direction: 'in', text: body.text, timestamp: body.sentAt, status: 'received' }
          ops.push({ type: 'set', key: historyKey, value: encodeRecord(record) })
          effects.events.push({ type: 'message', message: record })
        }
        await store.batch(ops)
        opened.commit()
        // Only a receipt moves the sender's message to delivered: due now that it is stored.
        if (delivered.length > 0) effects.receipts.push({ contactId, ids: delivered })
        return effects
      }),
    markRead: (contactId) =>
      exclusive(async () => {
        const effects = noEffects()
        const unread: MessageRecord[] = []
        for (const key of await store.keys(keys.messagePrefix(contactId))) {
          const bytes = await store.get(key)
          const record = bytes && decodeRecord<MessageRecord>('message', bytes)
          if (record && record.direction === 'in' && record.status === 'received') unread.push({ ...record, status: 'read' })
        }
        if (unread.length === 0) return effects
        await store.batch(unread.map((r): StoreOp => ({ type: 'set', key: keys.message(contactId, r.timestamp, r.id), value: encodeRecord(r) })))
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
    async setReadReceipts(enabled) {
      const record: SettingsRecord = { ...(await settings()), readReceipts: enabled }
      await store.set(keys.settings, encodeRecord(record))
    },
    async expire() {
      const failed: MessageRecord[] = []
      for (const envelopeId of await status.expiredEnvelopes(clock.now())) {
        const change = await status.advanceEnvelope(envelopeId, 'failed')
        const records = change.records.map((r): MessageRecord => ({ ...r, failure: 'expired' }))
        const ops = records.map((r): StoreOp => ({ type: 'set', key: keys.message(r.contactId, r.timestamp, r.id), value: encodeRecord(r) }))
        await store.batch([...ops, ...change.ops.filter((op) => op.type === 'delete'), { type: 'delete', key: keys.outbox(envelopeId) }])
        failed.push(...records)
      }
      return failed
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
    async history(contactId, query = {}) {
      const limit = Math.min(Math.max(query.limit ?? 50, 1), 500)
      const before = query.before ?? Number.POSITIVE_INFINITY
      const all = await store.keys(keys.messagePrefix(contactId))
      const page = all.filter((k) => Number(k.split('/')[2]) < before).slice(-limit)
      const records = await Promise.all(page.map((k) => store.get(k)))
      return records.filter((b): b is Uint8Array => b !== undefined).map((b) => decodeRecord<MessageRecord>('message', b))
    },
  }
}

/**
 * The messenger's domain: profile, contacts, sessions and history. It decides and
 * stores; it never touches a link. The mesh (machines/) carries the `Outgoing`
 * bytes it returns and hands it every envelope addressed to this node.
 *
 * An envelope's body is a session message (engine/session): X3DH to start, then
 * the Double Ratchet with encrypted headers, so relays see neither the sender nor
 * who talks to whom beyond the destination. The envelope header (version, id,
 * destination, expiry) is the associated data of every message; the session
 * binds both parties' identities.
 */
import { equals, fromHex, toHex, utf8Encode } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import { decodeIdentity, encodeIdentity, generateIdentity, shortFingerprint } from '../identity/index.ts'
import { decodeOffer, encodeOffer } from '../offer/index.ts'
import type { Clock, Crypto, Random, Store, StoreOp } from '../ports/index.ts'
import type { PrekeyBundle } from '../session/index.ts'
import {
  ENVELOPE_VERSION,
  MESSAGE_ID_BYTES,
  BATCH_ITEM_OVERHEAD,
  MAX_BATCH_MESSAGES,
  decodeEnvelope,
  decodeMessageBatch,
  encodeEnvelope,
  encodeMessageBatch,
  encodeMessageBody,
  envelopeAssociatedData,
  isWellFormedText,
} from '../wire/index.ts'
import type { BatchedMessage, Envelope, EnvelopeHeader, MessageBody } from '../wire/index.ts'
import { createContactBook } from './contactBook.ts'
import { normalizeDisplayName } from './displayName.ts'
import { InvalidMessageError, NoProfileError, ProfileExistsError, SenderProofError, UnknownContactError } from './errors.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { ContactRecord, MessageRecord, OutboxRecord, ProfileRecord } from './records.ts'
import { createSessionBook } from './sessionBook.ts'
import type { ContactView, EngineEvent, HistoryQuery, MessageView, ProfileView } from './views.ts'

export interface MessengerComponents {
  readonly crypto: Crypto
  readonly random: Random
  readonly clock: Clock
  readonly store: Store
}

/** Bytes to hand to the mesh, addressed to `destination` (hex identity). */
export interface Outgoing {
  readonly messageId: string
  readonly destination: string
  readonly bytes: Uint8Array
}

export interface Messenger {
  /** Reads identity, profile and sessions from the store; null before onboarding. */
  load(): Promise<ProfileView | null>
  profile(): ProfileView | null
  /** The local identity; throws NoProfileError before onboarding. */
  identity(): Identity
  createProfile(displayName: string): Promise<ProfileView>
  createOffer(relays: readonly string[]): string
  acceptOffer(code: string): Promise<{ contact: ContactView; outgoing: Outgoing }>
  contacts(): Promise<ContactView[]>
  /** Every relay address any contact offered: where their mail can reach them. */
  contactRelays(): Promise<string[]>
  /** Marks a contact verified or not; verifying clears a key-change warning. */
  setVerified(contactId: string, verified: boolean): Promise<ContactView>
  compose(contactId: string, text: string): Promise<{ message: MessageView; outgoing: Outgoing }>
  /**
   * Several texts to one contact, sealed together: as few envelopes as fit (one
   * ratchet step each), each message keeping its own id. Durable before it returns.
   */
  composeBatch(contactId: string, texts: readonly string[]): Promise<{ messages: MessageView[]; outgoing: Outgoing[] }>
  /** An outgoing envelope left this device: drop it from the outbox, mark its messages sent. */
  markSent(envelopeId: string): Promise<MessageView[]>
  /** Envelopes stored but not yet sent (after a restart, say), oldest first. */
  outbox(): Promise<Outgoing[]>
  /** Opens an envelope addressed to this node; returns the events it caused. */
  receive(envelope: Envelope): Promise<EngineEvent[]>
  history(contactId: string, query?: HistoryQuery): Promise<MessageView[]>
}

export const MAX_TEXT_BYTES = 16_384
/** Mail older than this is dropped by relays and recipients. */
export const MESSAGE_LIFETIME_MS = 7 * 24 * 3600 * 1000
export const DEFAULT_TTL = 16
/** Plaintext budget of one envelope: MAX_ENVELOPE_BODY less the largest session overhead, with room to spare. */
export const MAX_BATCH_PLAINTEXT = 59_000

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
  const toProfileView = (record: ProfileRecord, id: Identity): ProfileView => ({
    displayName: record.displayName,
    id: toHex(id.signingKey.publicKey),
    fingerprint: shortFingerprint(crypto, id.signingKey.publicKey),
  })
  const bundleOf = (contact: ContactRecord): PrekeyBundle => {
    // Contacts met by message (not by offer) have a session already, so this is never reached for them.
    const spk = contact.signedPrekey
    if (!spk) throw new InvalidMessageError('Ask this contact for their offer code to start a conversation.')
    return {
      identity: fromHex(contact.id),
      staticKey: fromHex(contact.staticKey),
      binding: fromHex(contact.binding),
      signedPrekey: { id: spk.id, publicKey: fromHex(spk.publicKey), signature: fromHex(spk.signature) },
      oneTimePrekeys: [],
    }
  }
  /** Encrypts `items` to `contact` as one new envelope; returns it with the ops that persist the session. */
  const seal = (contact: ContactRecord, items: readonly BatchedMessage[]): { outgoing: Outgoing; ops: StoreOp[]; commit(): void } => {
    const header: EnvelopeHeader = {
      version: ENVELOPE_VERSION,
      id: random.bytes(MESSAGE_ID_BYTES),
      destination: fromHex(contact.id),
      ttl: DEFAULT_TTL,
      expiresAt: clock.now() + MESSAGE_LIFETIME_MS,
    }
    const plaintext = encodeMessageBatch(items)
    const staged = sessions.encrypt(contact.id, () => bundleOf(contact), plaintext, envelopeAssociatedData(header))
    const bytes = encodeEnvelope({ header, body: staged.value })
    return { outgoing: { messageId: toHex(header.id), destination: contact.id, bytes }, ops: staged.ops, commit: staged.commit }
  }
  const outboxOp = (outgoing: Outgoing, historyKeys: readonly string[]): StoreOp => {
    const entry: OutboxRecord = { messageId: outgoing.messageId, historyKeys, envelope: toHex(outgoing.bytes) }
    return { type: 'set', key: keys.outbox(outgoing.messageId), value: encodeRecord(entry) }
  }
  const sender = (): { identity: Uint8Array; binding: Uint8Array } => {
    const id = requireIdentity()
    return { identity: id.signingKey.publicKey, binding: id.binding }
  }

  const composeBatch: Messenger['composeBatch'] = (contactId, texts) =>
      exclusive(async () => {
        requireIdentity()
        const contact = await book.get(contactId)
        if (!contact) throw new UnknownContactError()
        for (const text of texts) {
          if (text.trim().length === 0) throw new InvalidMessageError('A message cannot be empty.')
          if (utf8Encode(text).length > MAX_TEXT_BYTES) throw new InvalidMessageError('That message is too long.')
          // A lone surrogate has no UTF-8 form; the wire codec would refuse it later as a MalformedError.
          if (!isWellFormedText(text)) throw new InvalidMessageError('That message contains an invalid character.')
        }
        const now = clock.now()
        const messages: MessageRecord[] = []
        const outgoing: Outgoing[] = []
        // Greedy packing, in order: as many messages per envelope as its plaintext budget holds.
        let items: BatchedMessage[] = []
        let size = 0
        const flush = async (): Promise<void> => {
          const sealed = seal(contact, items)
          const batch = items.map(({ id, body }) => {
            const record: MessageRecord = {
              id: toHex(id), contactId, direction: 'out', text: (body as { text: string }).text, timestamp: now, status: 'queued',
            }
            return { record, key: keys.message(contactId, now, record.id) }
          })
          // Durable before the first send attempt: session, history and outbox in one atomic write.
          await store.batch([
            ...sealed.ops,
            ...batch.map(({ record, key }): StoreOp => ({ type: 'set', key, value: encodeRecord(record) })),
            outboxOp(sealed.outgoing, batch.map((b) => b.key)),
          ])
          sealed.commit()
          messages.push(...batch.map((b) => b.record))
          outgoing.push(sealed.outgoing)
          items = []
          size = 0
        }
        for (const text of texts) {
          const body: MessageBody = { type: 'text', sender: sender(), sentAt: now, text }
          const bodySize = encodeMessageBody(body).length + BATCH_ITEM_OVERHEAD
          if (items.length > 0 && (size + bodySize > MAX_BATCH_PLAINTEXT || items.length === MAX_BATCH_MESSAGES)) await flush()
          items.push({ id: random.bytes(MESSAGE_ID_BYTES), body })
          size += bodySize
        }
        if (items.length > 0) await flush()
        return { messages, outgoing }
      })

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
        if (reset) reset.commit()
        const intro: MessageBody = { type: 'intro', sender: sender(), sentAt: clock.now(), displayName: mine.displayName, relays: [] }
        // The bundle is checked (binding and prekey signature) when the session starts here.
        const sealed = seal(learned.record, [{ id: random.bytes(MESSAGE_ID_BYTES), body: intro }])
        const contactOp: StoreOp = { type: 'set', key: keys.contact(learned.record.id), value: encodeRecord(learned.record) }
        // The intro tells the contact our name; it has no history entry of its own.
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
      const bytes = await store.get(keys.outbox(envelopeId))
      if (!bytes) return []
      const entry = decodeRecord<OutboxRecord>('outbox', bytes)
      const sent: MessageRecord[] = []
      for (const key of entry.historyKeys) {
        const historyBytes = await store.get(key)
        if (historyBytes) sent.push({ ...decodeRecord<MessageRecord>('message', historyBytes), status: 'sent' })
      }
      await store.batch([
        ...sent.map((record): StoreOp => ({ type: 'set', key: keys.message(record.contactId, record.timestamp, record.id), value: encodeRecord(record) })),
        { type: 'delete', key: keys.outbox(envelopeId) },
      ])
      return sent
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
      // Keys sort by the random message id; every envelope expires a fixed
      // MESSAGE_LIFETIME_MS after it was sealed, so expiry order is age order.
      return out.sort((a, b) => a.expiresAt - b.expiresAt).map((o) => o.outgoing)
    },
    receive: (envelope) =>
      exclusive(async () => {
        const id = requireIdentity()
        if (!equals(envelope.header.destination, id.signingKey.publicKey)) return []
        if (envelope.header.expiresAt < clock.now()) return []
        // Decrypt → store session state, contact and plaintext in one atomic write → events.
        let opened: ReturnType<typeof sessions.decrypt>
        try {
          opened = sessions.decrypt(envelope.body, envelopeAssociatedData(envelope.header))
        } catch (error) {
          // Its message key is gone: it was decrypted (and shown) already.
          if ((error as Error).name === 'DuplicateOrExpiredError') return []
          throw error
        }
        const { sender: peer, plaintext } = opened.value
        const items = decodeMessageBatch(plaintext)
        if (items.some((item) => !equals(item.body.sender.identity, peer.identity))) throw new SenderProofError()
        const intro = items.map((item) => item.body).find((body) => body.type === 'intro')
        const named = intro?.type === 'intro' ? intro : null
        const learned = await book.learn(peer, named?.displayName ?? null, named?.relays ?? [])
        const ops: StoreOp[] = [...opened.ops, ...(learned.op ? [learned.op] : [])]
        const events: EngineEvent[] = learned.op ? [{ type: 'contact', contact: book.view(learned.record) }] : []
        for (const { id: itemId, body } of items) {
          if (body.type !== 'text') continue
          const messageId = toHex(itemId)
          const historyKey = keys.message(learned.record.id, body.sentAt, messageId)
          // A message redelivered in another envelope maps to the same key: shown once.
          if (await store.get(historyKey)) continue
          const record: MessageRecord = {
            id: messageId, contactId: learned.record.id, direction: 'in', text: body.text, timestamp: body.sentAt, status: 'received',
          }
          ops.push({ type: 'set', key: historyKey, value: encodeRecord(record) })
          events.push({ type: 'message', message: record })
        }
        await store.batch(ops)
        opened.commit()
        return events
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

/**
 * The messenger's domain: profile, contacts, history and the sealing of messages.
 * It decides and stores; it never touches a link. The mesh (machines/) carries the
 * `Outgoing` bytes it returns and hands it every envelope addressed to this node.
 */
import { equals, fromHex, toHex, utf8Encode } from '../bytes.ts'
import type { Clock, Crypto, Random, Store, StoreOp } from '../ports/index.ts'
import {
  decodeIdentity,
  encodeIdentity,
  generateIdentity,
  safetyNumber,
  shortFingerprint,
  verifyBinding,
} from '../identity/index.ts'
import type { Identity } from '../identity/index.ts'
import { decodeOffer, encodeOffer } from '../offer/index.ts'
import { decodeEnvelope, isWellFormedText } from '../wire/index.ts'
import type { Envelope, MessageBody } from '../wire/index.ts'
import { openEnvelope, sealEnvelope } from './sealEnvelope.ts'
import { normalizeDisplayName } from './displayName.ts'
import { createContactBook } from './contactBook.ts'
import {
  InvalidMessageError,
  NoProfileError,
  ProfileExistsError,
  SenderProofError,
  UnknownContactError,
} from './errors.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { ContactRecord, MessageRecord, OutboxRecord, ProfileRecord } from './records.ts'
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
  /** Reads identity and profile from the store; null before onboarding. */
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
  compose(contactId: string, text: string): Promise<{ message: MessageView; outgoing: Outgoing }>
  /** An outgoing envelope left this device: drop it from the outbox, mark it sent. */
  markSent(messageId: string): Promise<MessageView | null>
  /** Envelopes stored but not yet sent (after a restart, say), oldest first. */
  outbox(): Promise<Outgoing[]>
  /** Opens an envelope addressed to this node; returns the events it caused. */
  receive(envelope: Envelope): Promise<EngineEvent[]>
  /** Marks a contact verified or not; verifying clears a key-change warning. */
  setVerified(contactId: string, verified: boolean): Promise<ContactView>
  history(contactId: string, query?: HistoryQuery): Promise<MessageView[]>
}

export const MAX_TEXT_BYTES = 16_384
/** Mail older than this is dropped by relays and recipients. */
export const MESSAGE_LIFETIME_MS = 7 * 24 * 3600 * 1000
export const DEFAULT_TTL = 16

export function createMessenger(c: MessengerComponents): Messenger {
  const { crypto, random, clock, store } = c
  let me: Identity | null = null
  let profile: ProfileView | null = null

  const requireIdentity = (): Identity => {
    if (!me) throw new NoProfileError()
    return me
  }
  const book = createContactBook(crypto, store, () => requireIdentity().signingKey.publicKey, () => clock.now())
  const sender = (): { identity: Uint8Array; binding: Uint8Array } => {
    const id = requireIdentity()
    return { identity: id.signingKey.publicKey, binding: id.binding }
  }
  const toProfileView = (record: ProfileRecord, id: Identity): ProfileView => ({
    displayName: record.displayName,
    id: toHex(id.signingKey.publicKey),
    fingerprint: shortFingerprint(crypto, id.signingKey.publicKey),
  })
  const seal = (contact: ContactRecord, body: MessageBody): Outgoing => {
    const sealed = sealEnvelope({
      crypto,
      random,
      identity: requireIdentity(),
      recipient: { identity: fromHex(contact.id), staticKey: fromHex(contact.staticKey) },
      body,
      expiresAt: clock.now() + MESSAGE_LIFETIME_MS,
      ttl: DEFAULT_TTL,
    })
    return { messageId: toHex(sealed.id), destination: contact.id, bytes: sealed.bytes }
  }
  const outboxOp = (outgoing: Outgoing, historyKey: string): StoreOp => {
    const entry: OutboxRecord = { messageId: outgoing.messageId, historyKey, envelope: toHex(outgoing.bytes) }
    return { type: 'set', key: keys.outbox(outgoing.messageId), value: encodeRecord(entry) }
  }

  const messenger: Messenger = {
    async load() {
      const [idBytes, profileBytes] = await Promise.all([store.get(keys.identity), store.get(keys.profile)])
      if (!idBytes || !profileBytes) return null
      me = decodeIdentity(idBytes)
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
        displayName: profile.displayName,
        relays,
      })
    },
    async acceptOffer(code) {
      const offer = decodeOffer(code)
      const id = requireIdentity()
      const mine = profile
      if (!mine) throw new NoProfileError()
      if (!verifyBinding(crypto, offer.identity, offer.staticKey, offer.binding)) throw new SenderProofError()
      if (equals(offer.identity, id.signingKey.publicKey)) {
        throw new InvalidMessageError('That is your own offer code. Paste the code of the person you want to add.')
      }
      // An offer for a contact we know refreshes their relays; a new key in it is a key change.
      const { record } = await book.learn(offer, offer.displayName, offer.relays)
      const intro: MessageBody = {
        type: 'intro',
        sender: sender(),
        sentAt: clock.now(),
        displayName: mine.displayName,
        relays: [],
      }
      const outgoing = seal(record, intro)
      // The intro tells the contact our name; it has no history entry of its own.
      await store.batch([{ type: 'set', key: keys.contact(record.id), value: encodeRecord(record) }, outboxOp(outgoing, '')])
      return { contact: book.view(record), outgoing }
    },
    contacts: async () => (await book.list()).map(book.view),
    async contactRelays() {
      return [...new Set((await book.list()).flatMap((c) => c.relays))]
    },
    setVerified: async (contactId, verified) => book.view(await book.setVerified(contactId, verified)),
    async compose(contactId, text) {
      requireIdentity()
      const contact = await book.get(contactId)
      if (!contact) throw new UnknownContactError()
      if (text.trim().length === 0) throw new InvalidMessageError('A message cannot be empty.')
      if (utf8Encode(text).length > MAX_TEXT_BYTES) throw new InvalidMessageError('That message is too long.')
      // A lone surrogate has no UTF-8 form; the wire codec would refuse it later as a MalformedError.
      if (!isWellFormedText(text)) throw new InvalidMessageError('That message contains an invalid character.')
      const now = clock.now()
      const outgoing = seal(contact, { type: 'text', sender: sender(), sentAt: now, text })
      const historyKey = keys.message(contactId, now, outgoing.messageId)
      const record: MessageRecord = {
        id: outgoing.messageId, contactId, direction: 'out', text, timestamp: now, status: 'queued',
      }
      // Durable before the first send attempt: history and outbox in one atomic write.
      await store.batch([{ type: 'set', key: historyKey, value: encodeRecord(record) }, outboxOp(outgoing, historyKey)])
      return { message: record, outgoing }
    },
    async markSent(messageId) {
      const bytes = await store.get(keys.outbox(messageId))
      if (!bytes) return null
      const entry = decodeRecord<OutboxRecord>('outbox', bytes)
      const historyBytes = entry.historyKey ? await store.get(entry.historyKey) : undefined
      if (!historyBytes) {
        await store.delete(keys.outbox(messageId))
        return null
      }
      const record: MessageRecord = { ...decodeRecord<MessageRecord>('message', historyBytes), status: 'sent' }
      await store.batch([
        { type: 'set', key: entry.historyKey, value: encodeRecord(record) },
        { type: 'delete', key: keys.outbox(messageId) },
      ])
      return record
    },
    async outbox() {
      const outboxKeys = await store.keys(keys.outboxPrefix)
      const out: { outgoing: Outgoing; expiresAt: number }[] = []
      for (const k of outboxKeys) {
        const bytes = await store.get(k)
        if (!bytes) continue
        const entry = decodeRecord<OutboxRecord>('outbox', bytes)
        const envelope = fromHex(entry.envelope)
        const { header } = decodeEnvelope(envelope)
        const outgoing = { messageId: entry.messageId, destination: toHex(header.destination), bytes: envelope }
        out.push({ outgoing, expiresAt: header.expiresAt })
      }
      // Keys sort by the random message id; every envelope expires a fixed
      // MESSAGE_LIFETIME_MS after it was sealed, so expiry order is age order.
      return out.sort((a, b) => a.expiresAt - b.expiresAt).map((o) => o.outgoing)
    },
    async receive(envelope) {
      const id = requireIdentity()
      if (!equals(envelope.header.destination, id.signingKey.publicKey)) return []
      if (envelope.header.expiresAt < clock.now()) return []
      const opened = openEnvelope(crypto, id, envelope)
      const body = opened.body
      const events: EngineEvent[] = []
      const proof = { identity: body.sender.identity, staticKey: opened.senderStaticKey, binding: body.sender.binding }
      const intro = body.type === 'intro' ? body : null
      const learned = await book.learn(proof, intro?.displayName ?? null, intro?.relays ?? [])
      if (learned.op) {
        await store.batch([learned.op])
        events.push({ type: 'contact', contact: book.view(learned.record) })
      }
      const contactId = learned.record.id
      if (body.type !== 'text') return events
      const messageId = toHex(envelope.header.id)
      const historyKey = keys.message(contactId, body.sentAt, messageId)
      // A redelivered envelope maps to the same key: shown once.
      if (await store.get(historyKey)) return events
      const record: MessageRecord = {
        id: messageId, contactId, direction: 'in', text: body.text, timestamp: body.sentAt, status: 'received',
      }
      await store.set(historyKey, encodeRecord(record))
      events.push({ type: 'message', message: record })
      return events
    },
    async history(contactId, query = {}) {
      const limit = Math.min(Math.max(query.limit ?? 50, 1), 500)
      const before = query.before ?? Number.POSITIVE_INFINITY
      const all = await store.keys(keys.messagePrefix(contactId))
      const older = all.filter((k) => Number(k.split('/')[2]) < before)
      const page = older.slice(-limit)
      const records = await Promise.all(page.map((k) => store.get(k)))
      return records
        .filter((b): b is Uint8Array => b !== undefined)
        .map((b) => decodeRecord<MessageRecord>('message', b))
    },
  }
  return messenger
}

/**
 * Offer codes (engine/offer): making ours, and accepting someone else's. Accepting
 * is how a contact starts: their keys, relays and (if it verifies) reach record
 * go on the contact record, and our intro to them is sealed and queued in the
 * same store batch, so a crash leaves either no contact or one with its intro.
 */
import { equals, toHex } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import { decodeOffer, encodeOffer } from '../offer/index.ts'
import type { Clock, Crypto, Random, Store, StoreOp } from '../ports/index.ts'
import { decodeReachRecord } from '../reach/index.ts'
import { MESSAGE_ID_BYTES } from '../wire/index.ts'
import type { BatchedMessage, MessageBody, SenderProof } from '../wire/index.ts'
import type { ContactBook } from './contactBook.ts'
import { acceptContactReach } from './contactReach.ts'
import type { ReachDropReason } from './contactReach.ts'
import { InvalidMessageError, NoProfileError } from './errors.ts'
import type { OutboxBook } from './outboxBook.ts'
import { encodeRecord, keys } from './records.ts'
import type { ContactRecord } from './records.ts'
import { outboxRecord } from './sealer.ts'
import type { Outgoing, Sealed } from './sealer.ts'
import type { SessionBook } from './sessionBook.ts'
import type { StatusBook } from './statusBook.ts'
import type { ContactView, ProfileView } from './views.ts'

/** What accepting an offer did. */
export interface AcceptedOffer {
  readonly contact: ContactView
  /** Our intro to the contact, to carry to them (it also waits in the outbox). */
  readonly outgoing: Outgoing
  /**
   * Set when the offer carried a reach record that was not kept: 'invalid' (malformed, expired,
   * from the future, or a bad signature) or 'not-theirs' (signed by someone other than the offer's
   * identity). Absent when the offer carried none, or it was kept, or an equal or newer one was held.
   */
  readonly reachDropped?: ReachDropReason
}

export interface OffersDeps {
  readonly crypto: Crypto
  readonly random: Random
  readonly clock: Clock
  readonly store: Store
  readonly book: ContactBook
  readonly sessions: SessionBook
  readonly status: StatusBook
  readonly outbox: OutboxBook
  readonly seal: (contact: ContactRecord, items: readonly BatchedMessage[]) => Sealed
  readonly sender: () => SenderProof
  /** The local identity; throws NoProfileError before onboarding. */
  readonly identity: () => Identity
  /** The profile as loaded or created; null before onboarding. */
  readonly profile: () => ProfileView | null
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>
}

/** Messenger.createOffer and Messenger.acceptOffer (messenger.ts documents both). */
export interface Offers {
  create(relays: readonly string[], reach?: Uint8Array | null): string
  accept(code: string, ownReach?: Uint8Array | null): Promise<AcceptedOffer>
}

export function createOffers(d: OffersDeps): Offers {
  const { crypto, random, clock, store, book, sessions, status, outbox, seal, sender } = d
  return {
    create(relays, reach) {
      const id = d.identity()
      const profile = d.profile()
      if (!profile) throw new NoProfileError()
      return encodeOffer({
        identity: id.signingKey.publicKey,
        staticKey: id.staticKey.publicKey,
        binding: id.binding,
        signedPrekey: sessions.signedPrekey(),
        displayName: profile.displayName,
        relays,
        ...(reach ? { reach } : {}),
      })
    },
    // In turn with receives: it may reset the contact's session and rewrites their record.
    accept: (code, ownReach) =>
      d.exclusive(async () => {
        const offer = decodeOffer(code)
        const id = d.identity()
        const mine = d.profile()
        if (!mine) throw new NoProfileError()
        if (equals(offer.identity, id.signingKey.publicKey)) {
          throw new InvalidMessageError('That is your own offer code. Paste the code of the person you want to add.')
        }
        const spk = offer.signedPrekey
        const prekey = { id: spk.id, publicKey: toHex(spk.publicKey), signature: toHex(spk.signature) }
        // An offer for a known contact refreshes their relays and prekey; a new key in it is a key change.
        const learned = await book.learn(offer, offer.displayName, offer.relays, prekey)
        // The record is judged as if the contact had sent it: valid now, and signed by the offer's identity.
        // A bad one costs the record only, never the contact; a stale one leaves the newer one held.
        const arrival = offer.reach ? acceptContactReach(crypto, learned.record, offer.reach, clock.now()) : null
        const contact = arrival?.kind === 'kept' ? arrival.record : learned.record
        const reset = learned.keyChanged ? sessions.reset(learned.record.id) : null
        reset?.commit()
        const intro: MessageBody = { type: 'intro', sender: sender(), sentAt: clock.now(), displayName: mine.displayName, relays: [] }
        // The bundle is checked (binding and prekey signature) when the session starts here.
        const introId = random.bytes(MESSAGE_ID_BYTES)
        // Our reach record rides with the intro: the contact's first answer (the intro's receipt)
        // then knows our home relays, which a relay needs to carry it (issue 11).
        const reachItems = ownReach
          ? [{ id: random.bytes(MESSAGE_ID_BYTES), body: { type: 'reach' as const, sender: sender(), sentAt: clock.now(), record: ownReach } }]
          : []
        const sealed = seal(contact, [{ id: introId, body: intro }, ...reachItems])
        const sharedWith = ownReach ? { ...contact, reachSent: decodeReachRecord(ownReach).record.seqno } : contact
        const contactOp: StoreOp = { type: 'set', key: keys.contact(contact.id), value: encodeRecord(sharedWith) }
        // The intro waits in the outbox like a message: the contact learns who we are only from it.
        const entry = outbox.put(outboxRecord(sealed, [toHex(introId)], [], clock.now()))
        const index = status.index(contact.id, sealed.outgoing.messageId, [toHex(introId)], [null])
        await store.batch([...(reset?.ops ?? []), contactOp, ...sealed.ops, ...index, entry.op])
        sealed.commit()
        entry.commit()
        const accepted: AcceptedOffer = { contact: book.view(contact), outgoing: sealed.outgoing }
        return arrival?.kind === 'dropped' ? { ...accepted, reachDropped: arrival.reason } : accepted
      }),
  }
}

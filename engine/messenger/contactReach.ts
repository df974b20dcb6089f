/**
 * Reach records between contacts (issue 11): a user's signed reach record
 * (engine/reach/reachRecord.ts, where their mail is kept) travels end to end to
 * every contact in a `reach` message body, and each contact keeps the newest.
 *
 * Storage: two optional fields of the contact's record (records.ts): `reach`,
 * the newest verified record they sent us, and `reachSent`, the seqno of ours
 * we last sealed to them. Contact records are JSON and read with their fields
 * spread, so a record written before these fields existed simply lacks them:
 * no schema migration.
 *
 * Sending: once, like a link signal, not through the outbox. Why: a newer
 * record supersedes every older one, so retransmitting an old one until its
 * receipt is wasted (and would hold outbox slots meant for the user's texts);
 * what makes delivery good enough is that a record is sent again whenever it
 * changes, and it changes at every start of the engine (homeRecord.ts signs a
 * fresh one, seqno = its clock) and before it gets old. An offline contact's
 * copy waits at the relay like any mail: a record is signed only once a home
 * relay link is open, so there is a relay to hand it to. `reachSent` keeps one
 * seqno from being sent twice to a contact (on a change and on the intro both).
 */
import { equals, fromHex, toHex } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import type { Clock, Crypto, Random, Store } from '../ports/index.ts'
import { decodeReachRecord, isNewer, verifyReachRecord } from '../reach/index.ts'
import type { VerifiedReachRecord } from '../reach/index.ts'
import { MESSAGE_ID_BYTES } from '../wire/index.ts'
import type { BatchedMessage } from '../wire/index.ts'
import type { ContactBook } from './contactBook.ts'
import { UnknownContactError } from './errors.ts'
import type { ContactRecord } from './records.ts'
import type { Outgoing, Sealed } from './sealer.ts'

/** Why a contact's reach body was dropped: it is not a valid record now, or it is someone else's. */
export type ReachDropReason = 'invalid' | 'not-theirs'

export type ReachArrival =
  /** The contact's record, to be stored, now holding the newer reach record. */
  | { readonly kind: 'kept'; readonly record: ContactRecord }
  /** Valid, but not newer than the one held: the copy held stays (isNewer). */
  | { readonly kind: 'stale' }
  | { readonly kind: 'dropped'; readonly reason: ReachDropReason }

/**
 * Judges a reach record that `contact` sent. Verified at `now` (shape, times,
 * signature), then it must be the contact's own: its signer is the identity
 * sealed sender proved for this envelope, so a contact cannot plant someone
 * else's record, however genuine, as theirs.
 */
export function acceptContactReach(crypto: Crypto, contact: ContactRecord, bytes: Uint8Array, now: number): ReachArrival {
  let record
  try {
    record = verifyReachRecord(crypto, bytes, { now })
  } catch {
    return { kind: 'dropped', reason: 'invalid' }
  }
  if (!equals(record.identity, fromHex(contact.id))) return { kind: 'dropped', reason: 'not-theirs' }
  const held = storedReach(contact)
  // What is stored was verified when it came; only its seqno matters here.
  if (held !== null && !isNewer(record, decodeReachRecord(held).record)) return { kind: 'stale' }
  return { kind: 'kept', record: { ...contact, reach: toHex(bytes) } }
}

/**
 * A contact's record as this book stored it: verified when it arrived (acceptContactReach), so
 * decoded again here, not verified again (a sender checks one per custody receipt).
 */
export function heldContactReach(bytes: Uint8Array): VerifiedReachRecord {
  return decodeReachRecord(bytes).record as VerifiedReachRecord
}

/** The newest verified reach record a contact sent, as it came; null before the first. It may have expired since. */
export function storedReach(contact: ContactRecord): Uint8Array | null {
  return contact.reach === undefined ? null : fromHex(contact.reach)
}

export interface ReachShareDeps {
  readonly random: Random
  readonly clock: Clock
  readonly store: Store
  readonly book: ContactBook
  readonly seal: (contact: ContactRecord, items: readonly BatchedMessage[]) => Sealed
  readonly identity: () => Identity
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>
}

export interface ReachShare {
  /** The contact's newest verified reach record; null for none (or no such contact). */
  read(contactId: string): Promise<Uint8Array | null>
  /**
   * Seals our own signed `record` to a contact, once per seqno: null when they were sent
   * this seqno or a newer one already. The session step and `reachSent` are stored together.
   */
  compose(contactId: string, record: Uint8Array): Promise<Outgoing | null>
}

export function createReachShare(d: ReachShareDeps): ReachShare {
  return {
    async read(contactId) {
      const contact = await d.book.get(contactId)
      return contact ? storedReach(contact) : null
    },
    compose: (contactId, record) =>
      d.exclusive(async () => {
        const me = d.identity()
        const contact = await d.book.get(contactId)
        if (!contact) throw new UnknownContactError()
        // Shape only, for the seqno. Whose it is, is not checked: the recipient is what enforces that
        // (a dishonest sender runs other code anyway), and the tests play such a sender through here.
        const { seqno } = decodeReachRecord(record).record
        if ((contact.reachSent ?? -1) >= seqno) return null
        const body = { type: 'reach' as const, sender: { identity: me.signingKey.publicKey, binding: me.binding }, sentAt: d.clock.now(), record }
        const sealed = d.seal(contact, [{ id: d.random.bytes(MESSAGE_ID_BYTES), body }])
        await d.store.batch([...sealed.ops, d.book.put({ ...contact, reachSent: seqno })])
        sealed.commit()
        return sealed.outgoing
      }),
  }
}

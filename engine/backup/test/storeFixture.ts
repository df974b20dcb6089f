/**
 * A realistic schema-2 store, written record by record in the shapes of
 * engine/messenger/records.ts (by hand, not through the messenger, so that the
 * backup tests pin the record layout they were written against): an identity,
 * a profile, settings, prekeys, two contacts with sessions, history over two
 * buckets, message index, outbox and seen records. Shared by the backup,
 * export and crash tests.
 */
import { toHex, utf8Encode } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { encodeIdentity, generateIdentity } from '../../identity/identity.ts'
import type { Identity } from '../../identity/identity.ts'
import { encodeRecord, keys } from '../../messenger/records.ts'
import type { ContactRecord, MessageRecord, OutboxRecord, SeenRecord } from '../../messenger/records.ts'
import type { Clock } from '../../ports/clock.ts'
import type { Store, StoreOp } from '../../ports/store.ts'

export const crypto = nobleCrypto()
export const T0 = 1_700_000_000_000

export const clock: Clock = { now: () => T0, setTimeout: () => 0, clearTimeout: () => undefined }

export interface Fixture {
  readonly identity: Identity
  readonly id: string
  readonly contacts: readonly ContactRecord[]
  /** Every record written, by key. */
  readonly records: ReadonlyMap<string, Uint8Array>
}

export interface FixtureInit {
  /** Messages in the first contact's conversation (the second has 3). 300 spans two buckets. */
  readonly messages?: number
  readonly schema?: number
  /** Extra filler records (`settings/filler/<n>`, 200 bytes each), for size. */
  readonly filler?: number
}

const json = (record: object): Uint8Array => encodeRecord(record)

/** Writes a store for `name` in one batch and returns what it wrote. */
export async function populateStore(store: Store, name: string, init: FixtureInit = {}): Promise<Fixture> {
  const random = seededRandom(`fixture-${name}`)
  const hex = (n: number): string => toHex(random.bytes(n))
  const identity = generateIdentity(crypto, random)
  const id = toHex(identity.signingKey.publicKey)
  const records = new Map<string, Uint8Array>()
  const put = (key: string, value: Uint8Array): void => void records.set(key, value)

  put(keys.identity, encodeIdentity(identity))
  put(keys.schema, json({ version: init.schema ?? 2 }))
  put(keys.profile, json({ displayName: `${name} ✓`, createdAt: T0 - 86_400_000 }))
  put(keys.settings, json({ readReceipts: true }))
  put(keys.prekeys, json({ current: { id: 7, secretKey: hex(32), publicKey: hex(32), signature: hex(64) } }))

  const contacts: ContactRecord[] = ['Zoë', 'Bob'].map((displayName, i) => ({
    id: hex(32),
    displayName: `${displayName} of ${name}`,
    staticKey: hex(32),
    binding: hex(64),
    relays: i === 0 ? ['wss://relay.example/a', 'wss://relay.example/b'] : [],
    addedAt: T0 - 3_600_000 * (i + 1),
    verified: i === 0,
    keyChangedAt: null,
    provisionalName: false,
    signedPrekey: i === 0 ? { id: 3, publicKey: hex(32), signature: hex(64) } : null,
  }))

  const counts = [init.messages ?? 300, 3]
  contacts.forEach((contact, c) => {
    put(keys.contact(contact.id), json(contact))
    put(keys.session(contact.id, hex(32)), json({ rootKey: hex(32), chainKey: hex(32), counter: c }))
    const count = counts[c]!
    put(keys.historyHead(contact.id), json({ next: count }))
    for (let seq = 0; seq < count; seq++) {
      const out = seq % 3 === 0
      const failed = out && seq === 3
      const message: MessageRecord = {
        id: hex(16),
        contactId: contact.id,
        direction: out ? 'out' : 'in',
        text: `message ${seq} to ${contact.displayName} — "quoted" \\ ünïcödé 🎉`,
        timestamp: T0 + seq * 1000,
        seq,
        status: failed ? 'failed' : out ? 'delivered' : 'received',
        ...(failed ? { failure: 'expired' } : {}),
      }
      put(keys.message(contact.id, seq), json(message))
      put(keys.messageIndex(message.id), json({ contactId: contact.id, historyKey: keys.message(contact.id, seq) }))
    }
  })

  const envelopeId = hex(16)
  const outbox: OutboxRecord = {
    envelopeId,
    destination: contacts[1]!.id,
    envelope: hex(120),
    messageIds: [hex(16)],
    historyKeys: [keys.message(contacts[1]!.id, 2)],
    queuedAt: T0,
    expiresAt: T0 + 86_400_000,
    attempts: 1,
    relayed: false,
  }
  put(keys.outbox(outbox.destination, envelopeId), json(outbox))
  const seen: SeenRecord = { contactId: contacts[0]!.id, ids: [hex(16)], expiresAt: T0 + 86_400_000 }
  put(keys.seen(hex(16)), json(seen))
  for (let i = 0; i < (init.filler ?? 0); i++) put(`settings/filler/${String(i).padStart(6, '0')}`, random.bytes(200))

  const ops: StoreOp[] = [...records].map(([key, value]) => ({ type: 'set', key, value }))
  await store.batch(ops)
  return { identity, id, contacts, records }
}

/** Every key and value in a store, hex-encoded: equal dumps are byte-equal stores. */
export async function dump(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const key of await store.keys('')) out[key] = toHex((await store.get(key))!)
  return out
}

/** A dump of `records` as a store holding exactly them would give. */
export function dumpOf(records: ReadonlyMap<string, Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of [...records.keys()].sort()) out[key] = toHex(records.get(key)!)
  return out
}

/** The error's name, or 'resolved'. */
export async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    return (err as Error).name
  }
  return 'resolved'
}

export const utf8 = utf8Encode

/**
 * Contacts, keyed by their Ed25519 identity: the only thing that resolves a
 * recipient. A contact's X25519 identity key (the Noise static key its sessions
 * start from) may change only with a valid binding signature from the same
 * Ed25519 identity, and then the contact becomes unverified and carries a warning:
 * never a silent rebind.
 */
import { equals, fromHex, toHex } from '../bytes.ts'
import { safetyNumber, shortFingerprint, verifyBinding } from '../identity/index.ts'
import type { Crypto, Store, StoreOp } from '../ports/index.ts'
import { SenderProofError, UnknownContactError } from './errors.ts'
import { decodeRecord, encodeRecord, keys } from './records.ts'
import type { ContactRecord } from './records.ts'

export type SignedPrekeyRecord = NonNullable<ContactRecord['signedPrekey']>
import type { ContactView } from './views.ts'

/** What an offer or a sealed message proves about its sender. */
export interface KeyProof {
  readonly identity: Uint8Array
  readonly staticKey: Uint8Array
  readonly binding: Uint8Array
}

export interface Learned {
  readonly record: ContactRecord
  /** Store operation that persists `record`; null when nothing changed. */
  readonly op: StoreOp | null
  readonly isNew: boolean
  readonly keyChanged: boolean
}

export interface ContactBook {
  get(id: string): Promise<ContactRecord | undefined>
  list(): Promise<ContactRecord[]>
  view(record: ContactRecord): ContactView
  /**
   * Folds what a sender proved into the book. `name` labels a new contact
   * (`null`: a provisional placeholder); relays are merged. Throws SenderProofError
   * when the binding does not hold.
   */
  learn(proof: KeyProof, name: string | null, relays: readonly string[], signedPrekey?: SignedPrekeyRecord): Promise<Learned>
  setVerified(id: string, verified: boolean): Promise<ContactRecord>
  /** The store operation that writes `record` (the caller batches it with what changed it). */
  put(record: ContactRecord): StoreOp
}

export function createContactBook(crypto: Crypto, store: Store, me: () => Uint8Array, now: () => number): ContactBook {
  const safetyNumbers = new Map<string, string>()

  const get = async (id: string): Promise<ContactRecord | undefined> => {
    const bytes = await store.get(keys.contact(id))
    if (!bytes) return undefined
    // Records written before verification existed lack its fields.
    const r = decodeRecord<Partial<ContactRecord> & ContactRecord>('contact', bytes)
    return {
      ...r,
      verified: r.verified ?? false,
      keyChangedAt: r.keyChangedAt ?? null,
      provisionalName: r.provisionalName ?? false,
      signedPrekey: r.signedPrekey ?? null,
    }
  }
  const put = (record: ContactRecord): StoreOp => ({ type: 'set', key: keys.contact(record.id), value: encodeRecord(record) })

  return {
    get,
    async list() {
      const ids = (await store.keys(keys.contactPrefix)).map((k) => k.slice(keys.contactPrefix.length))
      const records = await Promise.all(ids.map(get))
      return records.filter((r): r is ContactRecord => r !== undefined).sort((a, b) => a.addedAt - b.addedAt)
    },
    view(record) {
      let sn = safetyNumbers.get(record.id)
      if (sn === undefined) {
        sn = safetyNumber(crypto, me(), fromHex(record.id))
        safetyNumbers.set(record.id, sn)
      }
      const { id, displayName, addedAt, verified, keyChangedAt } = record
      return { id, displayName, addedAt, verified, keyChangedAt, fingerprint: shortFingerprint(crypto, fromHex(id)), safetyNumber: sn }
    },
    async learn(proof, name, relays, signedPrekey) {
      const id = toHex(proof.identity)
      const known = await get(id)
      const sameKey = known !== undefined && equals(fromHex(known.staticKey), proof.staticKey)
      // A known key needs no signature check (the hot path); a new one always does.
      if (!sameKey && !verifyBinding(crypto, proof.identity, proof.staticKey, proof.binding)) throw new SenderProofError()
      if (!known) {
        const record: ContactRecord = {
          id,
          displayName: name ?? `Unknown ${shortFingerprint(crypto, proof.identity).slice(0, 9)}`,
          staticKey: toHex(proof.staticKey),
          binding: toHex(proof.binding),
          relays: [...relays],
          addedAt: now(),
          verified: false,
          keyChangedAt: null,
          provisionalName: name === null,
          signedPrekey: signedPrekey ?? null,
        }
        return { record, op: put(record), isNew: true, keyChanged: false }
      }
      const mergedRelays = [...new Set([...known.relays, ...relays])]
      const rename = known.provisionalName && name !== null
      const newPrekey = signedPrekey !== undefined && JSON.stringify(signedPrekey) !== JSON.stringify(known.signedPrekey)
      // A new key is a new device (or a reinstall): it holds none of our reach records, so the next share sends ours again.
      const { reachSent: _reachSent, ...keptOnKeyChange } = known
      const record: ContactRecord = {
        ...(sameKey ? known : keptOnKeyChange),
        relays: mergedRelays,
        ...(newPrekey ? { signedPrekey } : {}),
        ...(rename ? { displayName: name, provisionalName: false } : {}),
        ...(sameKey
          ? {}
          : { staticKey: toHex(proof.staticKey), binding: toHex(proof.binding), verified: false, keyChangedAt: now() }),
      }
      const changed = !sameKey || rename || newPrekey || mergedRelays.length !== known.relays.length
      return { record, op: changed ? put(record) : null, isNew: false, keyChanged: !sameKey }
    },
    async setVerified(id, verified) {
      const known = await get(id)
      if (!known) throw new UnknownContactError()
      const record: ContactRecord = { ...known, verified, keyChangedAt: verified ? null : known.keyChangedAt }
      await store.batch([put(record)])
      return record
    },
    put,
  }
}

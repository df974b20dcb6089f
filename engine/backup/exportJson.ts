/**
 * Data export for portability (docs/export-format.md): the profile, contacts
 * and message history as a stable, documented JSON document a person or
 * another app can read. Not a backup: it holds no private key, no session
 * state and no outbox, so it can neither be restored nor used to impersonate
 * anyone.
 */
import { toHex } from '../bytes.ts'
import { decodeIdentity } from '../identity/identity.ts'
import { keys } from '../messenger/records.ts'
import type { Store } from '../ports/store.ts'
import { phaseReporter } from './backupProgress.ts'
import type { BackupProgress } from './backupProgress.ts'
import {
  isoTime,
  readContact,
  readMessage,
  readProfile,
  type ExportContact,
  type ExportConversation,
  type ExportMessage,
  type ExportProfile,
} from './exportRecords.ts'
import { UnreadableRecordError } from './snapshotErrors.ts'

export const EXPORT_FORMAT = 'sovereign-export'
/** Additive changes (a new field, a new status value) keep 1; anything else bumps it. */
export const EXPORT_VERSION = 1

export interface ExportDocument {
  readonly format: typeof EXPORT_FORMAT
  readonly version: typeof EXPORT_VERSION
  readonly exportedAt: string
  readonly profile: ExportProfile | null
  readonly contacts: readonly ExportContact[]
  readonly conversations: readonly ExportConversation[]
}

export interface ExportJsonInit {
  /** The export's timestamp, ms since the epoch (injected: the engine reads no clock of its own). */
  readonly now: number
  /** 'reading' progress: conversations read of those there are. */
  readonly onProgress?: BackupProgress
}

/** Gets issued at once while reading one conversation. */
const READ_PAGE = 256

/**
 * The store as an export document, pretty-printed JSON ending in a newline.
 * History is read one conversation at a time (its keys, then its records in
 * pages), so memory holds one conversation's keys at once plus the output.
 * Throws `UnreadableRecordError` when a record it needs is not in its schema's shape.
 */
export async function exportJson(store: Store, options: ExportJsonInit): Promise<string> {
  return JSON.stringify(await exportDocument(store, options), null, 2) + '\n'
}

/** The export as a value (what `exportJson` serializes), for callers that post-process it. */
export async function exportDocument(store: Store, options: ExportJsonInit): Promise<ExportDocument> {
  if (!Number.isFinite(options.now)) throw new RangeError('the export time is not a valid time')
  const exportedAt = isoTime(options.now, 'export time')
  const profile = await exportProfile(store)

  const contacts: ExportContact[] = []
  for (const value of await getAll(store, await store.keys(keys.contactPrefix))) contacts.push(readContact(value))

  // A conversation may outlive its contact, so its ids come from the history heads as well.
  const historyPrefix = keys.historyHead('')
  const conversationIds = [
    ...new Set([...contacts.map((c) => c.id), ...(await store.keys(historyPrefix)).map((k) => k.slice(historyPrefix.length))]),
  ].sort()
  const report = phaseReporter(options.onProgress, 'reading')
  report(0, conversationIds.length)
  const conversations: ExportConversation[] = []
  for (const [i, contactId] of conversationIds.entries()) {
    // Keys are `msg/<contact>/<bucket>/<seq>`, both zero-padded: key order is bucket then seq order.
    const messageKeys = await store.keys(keys.messagePrefix(contactId))
    const messages: ExportMessage[] = (await getAll(store, messageKeys)).map(readMessage)
    if (messages.length > 0) conversations.push({ contactId, messages })
    report(i + 1, conversationIds.length)
  }

  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt, profile, contacts, conversations }
}

async function exportProfile(store: Store): Promise<ExportProfile | null> {
  const identityBytes = await store.get(keys.identity)
  const profileBytes = await store.get(keys.profile)
  if (identityBytes === undefined || profileBytes === undefined) return null
  let id: string
  try {
    const identity = decodeIdentity(identityBytes)
    identity.signingKey.secretKey.fill(0)
    identity.staticKey.secretKey.fill(0)
    id = toHex(identity.signingKey.publicKey)
  } catch {
    throw new UnreadableRecordError('identity')
  }
  return readProfile(profileBytes, id)
}

/** Values of `keys`, in order, fetched a page at a time; a key deleted meanwhile is skipped. */
async function getAll(store: Store, keyList: readonly string[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (let start = 0; start < keyList.length; start += READ_PAGE) {
    const values = await Promise.all(keyList.slice(start, start + READ_PAGE).map((key) => store.get(key)))
    for (const value of values) if (value !== undefined) out.push(value)
  }
  return out
}

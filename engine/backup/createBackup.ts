/**
 * A backup is the whole store, sealed: every record, values as opaque bytes,
 * encoded by snapshotCodec.ts and encrypted by backupFile.ts. Restoring it
 * (restoreBackup.ts) gives back the same device: identity, contacts, sessions,
 * history and outbox.
 */
import type { Clock } from '../ports/clock.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import type { Store } from '../ports/store.ts'
import { sealBackup } from './backupFile.ts'
import type { ScryptParams } from './backupFile.ts'
import { fractionReporter, phaseReporter } from './backupProgress.ts'
import type { BackupProgress } from './backupProgress.ts'
import { encodeSnapshot } from './snapshotCodec.ts'
import type { SnapshotRecord } from './snapshotCodec.ts'
import { IDENTITY_KEY, SCHEMA_KEY, findRecord, parseSchemaVersion } from './snapshotFields.ts'
import { NothingToBackUpError, UnversionedStoreError } from './snapshotErrors.ts'

export interface CreateBackupComponents {
  readonly crypto: Crypto
  readonly random: Random
  /** Stamps the snapshot, so a restore can say how old it is. */
  readonly clock: Pick<Clock, 'now'>
}

export interface CreateBackupInit {
  /** Defaults to backupFile's DEFAULT_SCRYPT_PARAMS; tests pass the floor. */
  readonly scrypt?: ScryptParams
  readonly onProgress?: BackupProgress
}

/** Gets issued at once: enough to keep a file store's queue busy, few enough to bound memory in flight. */
const READ_PAGE = 256

/**
 * Reads every record and seals them under `passphrase`. Throws
 * `NothingToBackUpError` when the store has no identity and
 * `UnversionedStoreError` when it has no schema version (such a backup could
 * not be restored). Records are read page by page, each as of its own `get`:
 * run it where no engine batch interleaves (between the engine's store
 * operations) for a snapshot consistent across records. A key deleted while
 * it runs is left out.
 */
export async function createBackup(
  store: Store,
  passphrase: string,
  deps: CreateBackupComponents,
  options: CreateBackupInit = {},
): Promise<Uint8Array> {
  const createdAt = Math.floor(deps.clock.now())
  const keys = await store.keys('')
  if (!keys.includes(IDENTITY_KEY)) throw new NothingToBackUpError()

  const reportRead = phaseReporter(options.onProgress, 'reading')
  reportRead(0, keys.length)
  const records: SnapshotRecord[] = []
  for (let start = 0; start < keys.length; start += READ_PAGE) {
    const page = keys.slice(start, start + READ_PAGE)
    const values = await Promise.all(page.map((key) => store.get(key)))
    page.forEach((key, i) => {
      const value = values[i]
      if (value !== undefined) records.push({ key, value })
    })
    reportRead(start + page.length, keys.length)
  }

  // The same checks restoreBackup makes, so a backup that could not be restored is never written.
  if (findRecord(records, IDENTITY_KEY) === undefined) throw new NothingToBackUpError()
  const schema = findRecord(records, SCHEMA_KEY)
  if (schema === undefined || parseSchemaVersion(schema) === undefined) throw new UnversionedStoreError()

  const payload = encodeSnapshot({ createdAt, records })
  try {
    return await sealBackup({
      crypto: deps.crypto,
      random: deps.random,
      passphrase,
      payload,
      ...(options.scrypt ? { params: options.scrypt } : {}),
      onProgress: fractionReporter(options.onProgress, 'sealing'),
    })
  } finally {
    // The payload holds the identity's secret keys in the clear.
    payload.fill(0)
  }
}

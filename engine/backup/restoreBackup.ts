/**
 * Restores a backup made by createBackup.ts: the store becomes exactly the
 * backed-up store, or stays exactly as it was.
 *
 * The restored data replaces this device's identity, contacts and sessions
 * underneath whatever is using the store. The caller must stop the engine
 * before calling this (nothing may write to the store meanwhile, and a running
 * engine would keep the old identity in memory) and start it again afterwards
 * from the store (reload the app), so that migrations run over the restored
 * data and every cache is rebuilt from it.
 */
import type { Crypto } from '../ports/crypto.ts'
import type { Store, StoreOp } from '../ports/store.ts'
import { openBackup } from './backupFile.ts'
import { fractionReporter, phaseReporter } from './backupProgress.ts'
import type { BackupProgress } from './backupProgress.ts'
import { decodeSnapshot } from './snapshotCodec.ts'
import type { Snapshot } from './snapshotCodec.ts'
import {
  IDENTITY_KEY,
  PROFILE_KEY,
  SCHEMA_KEY,
  findRecord,
  isIdentityRecord,
  parseProfileName,
  parseSchemaVersion,
} from './snapshotFields.ts'
import { BackupSchemaTooNewError, MalformedBackupError } from './snapshotErrors.ts'

export interface RestoreBackupComponents {
  readonly crypto: Crypto
}

export interface RestoreBackupInit {
  /** The newest schema version this app reads; a backup of a newer one is refused. */
  readonly maxSchema: number
  readonly onProgress?: BackupProgress
  /** Runs once the whole file checked out, just before the one batch that replaces the store (stop the engine here). */
  readonly beforeWrite?: () => Promise<void>
}

export interface RestoreResult {
  /** Records now in the store. */
  readonly records: number
  /** Schema version of the restored data; older than the app's is fine, the engine migrates at its next start. */
  readonly schema: number
  /** The restored profile's display name; null when it has no readable profile record. */
  readonly profileName: string | null
  /** When the backup was made, ms since the epoch. */
  readonly createdAt: number
}

/**
 * Opens and fully validates `file`, then replaces the store's contents in one
 * batch (every key not in the backup deleted, every backed-up record set).
 * Every failure is a typed error thrown before the store is written: the
 * file-level ones of backupFile.ts (wrong passphrase or corrupt, truncated,
 * unsupported version or parameters), `UnsupportedSnapshotVersionError`,
 * `MalformedBackupError`, `BackupSchemaTooNewError`. A failed batch leaves the
 * store as it was (Store.batch is all or nothing).
 */
export async function restoreBackup(
  store: Store,
  file: Uint8Array,
  passphrase: string,
  deps: RestoreBackupComponents,
  options: RestoreBackupInit,
): Promise<RestoreResult> {
  const payload = await openBackup({
    crypto: deps.crypto,
    passphrase,
    file,
    onProgress: fractionReporter(options.onProgress, 'opening'),
  })
  try {
    const snapshot = decodeSnapshot(payload, phaseReporter(options.onProgress, 'checking'))
    const { schema, profileName } = checkSnapshot(snapshot, options.maxSchema)

    const restored = new Set<string>()
    const ops: StoreOp[] = []
    for (const { key, value } of snapshot.records) {
      restored.add(key)
      ops.push({ type: 'set', key, value })
    }
    for (const key of await store.keys('')) {
      if (!restored.has(key)) ops.push({ type: 'delete', key })
    }

    await options.beforeWrite?.()
    const reportWrite = phaseReporter(options.onProgress, 'writing')
    reportWrite(0, ops.length)
    await store.batch(ops)
    reportWrite(ops.length, ops.length)
    return { records: snapshot.records.length, schema, profileName, createdAt: snapshot.createdAt }
  } finally {
    // The payload holds the identity's secret keys in the clear; the values set
    // above are views into it, which Store.batch has copied once it settles.
    payload.fill(0)
  }
}

function checkSnapshot(snapshot: Snapshot, maxSchema: number): { schema: number; profileName: string | null } {
  const schemaRecord = findRecord(snapshot.records, SCHEMA_KEY)
  if (schemaRecord === undefined) throw new MalformedBackupError('no schema version record')
  const schema = parseSchemaVersion(schemaRecord)
  if (schema === undefined) throw new MalformedBackupError('the schema version record is unreadable')
  // Checked before any other record: a newer schema may lay out the identity or the profile differently.
  if (schema > maxSchema) throw new BackupSchemaTooNewError(schema, maxSchema)

  const identity = findRecord(snapshot.records, IDENTITY_KEY)
  if (identity === undefined) throw new MalformedBackupError('no identity record')
  if (!isIdentityRecord(identity)) throw new MalformedBackupError('the identity record is unreadable')

  // The name is only shown to confirm which backup was restored; the profile
  // record is the engine's to read (and migrate), so an odd one is no reason to refuse.
  const profile = findRecord(snapshot.records, PROFILE_KEY)
  return { schema, profileName: (profile && parseProfileName(profile)) ?? null }
}

/**
 * Typed errors of the backup contents (the store snapshot inside a backup
 * file) and of the data export. The file-level errors (wrong passphrase,
 * truncated file, …) are in errors.ts. Messages never name a record key:
 * keys carry peer ids.
 */
import { SovereignError } from '../errors.ts'

/** The store has no identity: there is no profile to back up. */
export class NothingToBackUpError extends SovereignError {
  constructor() {
    super('NothingToBackUpError', 'there is no profile on this device to back up')
  }
}

/**
 * The store has an identity but no valid schema version record, so a backup
 * of it could not be restored (restoring checks the version). The engine
 * writes the record at start; a store without one has not been opened by it.
 */
export class UnversionedStoreError extends SovereignError {
  constructor() {
    super('UnversionedStoreError', 'the stored data has no schema version; open the app once before backing up')
  }
}

/**
 * The backup opened (so it was made with this passphrase and is intact) but its
 * contents are not a valid store snapshot: a bad record list, or a missing or
 * unreadable identity or schema record. Nothing was restored.
 */
export class MalformedBackupError extends SovereignError {
  constructor(detail: string) {
    super('MalformedBackupError', `the backup contents are invalid (${detail}); nothing was restored`)
  }
}

/** The snapshot inside the backup uses a layout version this build does not read: a newer app made it. */
export class UnsupportedSnapshotVersionError extends SovereignError {
  readonly version: number
  constructor(version: number) {
    super('UnsupportedSnapshotVersionError', `backup contents version ${version} is not supported by this version of the app; nothing was restored`)
    this.version = version
  }
}

/**
 * The backed-up data has a newer schema than this app knows: migrations only
 * run forward (DESIGN.md §6), so restoring it would hand the engine records it
 * cannot read. Update the app, then restore.
 */
export class BackupSchemaTooNewError extends SovereignError {
  readonly schema: number
  readonly maxSchema: number
  constructor(schema: number, maxSchema: number) {
    super(
      'BackupSchemaTooNewError',
      `the backup holds data of schema version ${schema}, newer than this app reads (${maxSchema}); update the app, nothing was restored`,
    )
    this.schema = schema
    this.maxSchema = maxSchema
  }
}

/** A stored record the export needs is not in the shape its schema says. */
export class UnreadableRecordError extends SovereignError {
  constructor(kind: string) {
    super('UnreadableRecordError', `a stored ${kind} record could not be read; nothing was exported`)
  }
}

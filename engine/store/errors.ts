import { SovereignError } from '../errors.ts'

/** A key that is not a non-empty, well-formed string of at most `MAX_KEY_LENGTH` code units. */
export class InvalidStoreKeyError extends SovereignError {
  constructor(message: string) {
    super('InvalidStoreKeyError', message)
  }
}

/** A value that is not a `Uint8Array`. */
export class InvalidStoreValueError extends SovereignError {
  constructor(message: string) {
    super('InvalidStoreValueError', message)
  }
}

/** A batch entry that is not a `set` or `delete` operation. */
export class InvalidStoreOpError extends SovereignError {
  constructor(message: string) {
    super('InvalidStoreOpError', message)
  }
}

/** A stored record failed its checksum or framing: the medium was damaged. */
export class CorruptRecordError extends SovereignError {
  constructor(message: string) {
    super('CorruptRecordError', message)
  }
}

/** The store was closed; open it again to use it. */
export class StoreClosedError extends SovereignError {
  constructor(message = 'store is closed') {
    super('StoreClosedError', message)
  }
}

/**
 * A write failed after its batch journal became durable. The batch will be
 * applied when the store is opened again; until then the store refuses work
 * because its in-memory index may no longer match the disk.
 */
export class StoreFailedError extends SovereignError {
  constructor(message: string) {
    super('StoreFailedError', message)
  }
}

/**
 * The store's schema version is newer than this build understands. Raised
 * before any write: the data stays exactly as the newer build left it.
 */
export class SchemaTooNewError extends SovereignError {
  readonly stored: number
  readonly supported: number
  constructor(stored: number, supported: number) {
    super(
      'SchemaTooNewError',
      `This data was written by a newer version of Sovereign (schema ${stored}); ` +
        `this version understands up to ${supported}. Update the app — nothing was changed.`,
    )
    this.stored = stored
    this.supported = supported
  }
}

/** No chain of migrations leads from the stored schema to the current one; nothing was changed. */
export class MigrationGapError extends SovereignError {
  readonly stored: number
  readonly supported: number
  constructor(stored: number, supported: number) {
    super(
      'MigrationGapError',
      `This version of Sovereign cannot upgrade data from schema ${stored} to ${supported}: ` +
        'no migration leads there. Nothing was changed.',
    )
    this.stored = stored
    this.supported = supported
  }
}

/** A list of migrations that is not one forward step per version, or a bad target version: a programming error. */
export class InvalidMigrationError extends SovereignError {
  constructor(message: string) {
    super('InvalidMigrationError', message)
  }
}

/**
 * The storage medium's own layout version (e.g. an IndexedDB database version)
 * is newer than this build knows. Nothing was read, written or deleted.
 */
export class StoreTooNewError extends SovereignError {
  readonly stored: number | undefined
  readonly supported: number
  constructor(stored: number | undefined, supported: number) {
    super(
      'StoreTooNewError',
      `This database was written by a newer version of Sovereign (database version ${stored ?? 'unknown'}); ` +
        `this version understands up to ${supported}. Update the app — nothing was changed.`,
    )
    this.stored = stored
    this.supported = supported
  }
}

/**
 * Opening waited too long for another open copy of the app (an older one that
 * does not yield) to release the storage it must upgrade. Nothing was changed.
 */
export class StoreBlockedError extends SovereignError {
  constructor(message: string) {
    super('StoreBlockedError', message)
  }
}

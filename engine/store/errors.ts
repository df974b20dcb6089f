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

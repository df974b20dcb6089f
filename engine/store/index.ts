export { createMemoryStore } from './memoryStore.ts'
export { createSortedKeySet } from './sortedKeySet.ts'
export type { SortedKeySet } from './sortedKeySet.ts'
export {
  MAX_KEY_LENGTH,
  assertValidKey,
  assertValidPrefix,
  assertValidValue,
  copyBytes,
  prefixUpperBound,
  validateOps,
} from './validation.ts'
export {
  RECORD_HEADER_LENGTH,
  crc32,
  decodeJournal,
  decodeRecord,
  encodeJournal,
  encodeRecord,
} from './recordCodec.ts'
export type { StoredRecord } from './recordCodec.ts'
export { SCHEMA_KEY, decodeSchemaVersion, encodeSchemaVersion, migrateStore, readSchemaVersion } from './schema.ts'
export type { Migration, MigrationReport } from './schema.ts'
export {
  CorruptRecordError,
  InvalidMigrationError,
  InvalidStoreKeyError,
  InvalidStoreOpError,
  InvalidStoreValueError,
  MigrationGapError,
  SchemaTooNewError,
  StoreBlockedError,
  StoreClosedError,
  StoreFailedError,
  StoreTooNewError,
} from './errors.ts'

export {
  BACKUP_HEADER_LENGTH,
  BACKUP_MAGIC,
  BACKUP_NONCE_LENGTH,
  BACKUP_SALT_LENGTH,
  BACKUP_VERSION,
  DEFAULT_SCRYPT_PARAMS,
  MAX_SCRYPT_LOG_N,
  MIN_SCRYPT_PARAMS,
  checkScryptParams,
  openBackup,
  sealBackup,
} from './backupFile.ts'
export type { OpenBackupInit, ScryptParams, SealBackupInit } from './backupFile.ts'
export {
  InvalidPassphraseError,
  NotABackupError,
  TruncatedBackupError,
  UnsupportedBackupParamsError,
  UnsupportedBackupVersionError,
  WeakBackupParamsError,
  WrongPassphraseOrCorruptError,
} from './errors.ts'
export { createBackup } from './createBackup.ts'
export type { CreateBackupComponents, CreateBackupInit } from './createBackup.ts'
export { restoreBackup } from './restoreBackup.ts'
export type { RestoreBackupComponents, RestoreBackupInit, RestoreResult } from './restoreBackup.ts'
export type { BackupPhase, BackupProgress } from './backupProgress.ts'
export { SNAPSHOT_MAGIC, SNAPSHOT_VERSION, decodeSnapshot, encodeSnapshot } from './snapshotCodec.ts'
export type { Snapshot, SnapshotRecord } from './snapshotCodec.ts'
export { EXPORT_FORMAT, EXPORT_VERSION, exportDocument, exportJson } from './exportJson.ts'
export type { ExportDocument, ExportJsonInit } from './exportJson.ts'
export type { ExportContact, ExportConversation, ExportMessage, ExportProfile } from './exportRecords.ts'
export {
  BackupSchemaTooNewError,
  MalformedBackupError,
  NothingToBackUpError,
  UnreadableRecordError,
  UnsupportedSnapshotVersionError,
  UnversionedStoreError,
} from './snapshotErrors.ts'

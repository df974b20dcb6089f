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

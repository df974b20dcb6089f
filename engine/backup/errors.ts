import { SovereignError } from '../errors.ts'

/** The file does not start with the backup magic 'SOVB': not a Sovereign backup at all. */
export class NotABackupError extends SovereignError {
  constructor() {
    super('NotABackupError', 'this file is not a Sovereign backup')
  }
}

/**
 * The version byte is not one this build reads. Older versions are refused as
 * well as newer ones: the header is authenticated only once the key is known,
 * so a downgraded version byte must not select a weaker reading of the file.
 */
export class UnsupportedBackupVersionError extends SovereignError {
  constructor(version: number) {
    super('UnsupportedBackupVersionError', `backup format version ${version} is not supported by this version of the app`)
  }
}

/** The file ends before its header and authentication tag are complete. */
export class TruncatedBackupError extends SovereignError {
  constructor() {
    super('TruncatedBackupError', 'the backup file is incomplete (truncated)')
  }
}

/**
 * Authentication failed. A wrong passphrase and a damaged file (a flipped bit,
 * a cut-off ciphertext) are cryptographically indistinguishable, so the message
 * names both; nothing was restored.
 */
export class WrongPassphraseOrCorruptError extends SovereignError {
  constructor() {
    super(
      'WrongPassphraseOrCorruptError',
      'wrong passphrase, or the backup file is damaged (the two cannot be told apart); nothing was restored',
    )
  }
}

/**
 * scrypt parameters below the floor. Refused before any key derivation, so a
 * tampered header cannot talk the reader into a cheap KDF (DESIGN.md §6).
 */
export class WeakBackupParamsError extends SovereignError {
  constructor(message: string) {
    super('WeakBackupParamsError', message)
  }
}

/**
 * scrypt parameters above the cap (or not whole numbers). Refused before any
 * allocation, so a hostile file cannot make the reader exhaust memory or time.
 */
export class UnsupportedBackupParamsError extends SovereignError {
  constructor(message: string) {
    super('UnsupportedBackupParamsError', message)
  }
}

/** The passphrase is empty or is not well-formed Unicode (a lone surrogate would encode as U+FFFD). */
export class InvalidPassphraseError extends SovereignError {
  constructor(message: string) {
    super('InvalidPassphraseError', message)
  }
}

/**
 * Backup, restore and export as the engine offers them (engine/backup does the
 * work). A backup is read between the messenger's own writes so it is one
 * consistent snapshot; a restore stops the engine first, replaces the store in
 * one batch, and leaves the engine stopped: the host starts a fresh one (the
 * page reloads), which migrates the restored data if it is older.
 */
import { SovereignError } from '../engine/errors.ts'
import { createBackup, exportJson, restoreBackup } from '../engine/backup/index.ts'
import type { BackupProgress, ScryptParams } from '../engine/backup/index.ts'
import { SCHEMA_VERSION } from '../engine/messenger/migrations/index.ts'
import type { Clock, Crypto, Random, Store } from '../engine/ports/index.ts'

/** Shorter passphrases fall to a guessing attack on a stolen file despite scrypt. */
export const MIN_PASSPHRASE_LENGTH = 8

export class WeakPassphraseError extends SovereignError {
  constructor() {
    super('WeakPassphraseError', `Choose a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters; a few unrelated words are best.`)
  }
}

export class EngineStoppedError extends SovereignError {
  constructor() {
    super('EngineStoppedError', 'A backup was restored: reload to open it.')
  }
}

export interface BackupComponents {
  readonly store: Store
  readonly crypto: Crypto
  readonly random: Random
  readonly clock: Clock
  /** Runs `fn` between the messenger's own store operations. */
  readonly quiet: <T>(fn: () => Promise<T>) => Promise<T>
  /** Stops links, actors, timers and the messenger before a restore replaces the store; runs inside `quiet`, so it must not wait for the messenger. */
  readonly stop: () => Promise<void>
  /** Tests pass the scrypt floor; real backups use backupFile's default. */
  readonly scrypt?: ScryptParams
}

export interface Backups {
  create(passphrase: string, onProgress?: BackupProgress): Promise<Uint8Array>
  restore(file: Uint8Array, passphrase: string, onProgress?: BackupProgress): Promise<{ profileName: string | null; createdAt: number; records: number }>
  exportData(): Promise<string>
}

export function createBackups(c: BackupComponents): Backups {
  return {
    create(passphrase, onProgress) {
      if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) throw new WeakPassphraseError()
      return c.quiet(() =>
        createBackup(c.store, passphrase, c, { ...(c.scrypt ? { scrypt: c.scrypt } : {}), ...(onProgress ? { onProgress } : {}) }),
      )
    },
    async restore(file, passphrase, onProgress) {
      // The engine stops only once the whole file checked out, just before the one batch that replaces the store.
      const options = { maxSchema: SCHEMA_VERSION, beforeWrite: c.stop, ...(onProgress ? { onProgress } : {}) }
      const result = await c.quiet(() => restoreBackup(c.store, file, passphrase, c, options))
      return { profileName: result.profileName, createdAt: result.createdAt, records: result.records }
    },
    exportData: () => c.quiet(() => exportJson(c.store, { now: c.clock.now() })),
  }
}

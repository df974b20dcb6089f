/**
 * What backup, restore and export mean on screen: file names, one progress bar
 * over the engine's phases, errors in words, and saving bytes as a download.
 * The engine calls themselves go through `Engine` (engine.ts).
 */
import type { BackupPhase } from '../../workers/api.ts'
import { errorText } from './errorText.ts'

/** The engine refuses shorter passphrases (`WeakPassphraseError`); checked here first to say so at once. */
export const MIN_PASSPHRASE_LENGTH = 8

/** Extension of backup files, for the file picker's `accept`. */
export const BACKUP_EXTENSION = '.sovb'

/** Local calendar date as YYYY-MM-DD: the day the user made the file, as they would name it. */
export function isoDay(at: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`
}

export function backupFileName(at: Date = new Date()): string {
  return `sovereign-backup-${isoDay(at)}${BACKUP_EXTENSION}`
}

export function exportFileName(at: Date = new Date()): string {
  return `sovereign-export-${isoDay(at)}.json`
}

/** Code points, as the engine counts them: an emoji is one character to a person. */
export function passphraseLength(passphrase: string): number {
  return [...passphrase].length
}

/** Why a new backup passphrase cannot be used yet, or null when it can. */
export function passphraseProblem(passphrase: string, confirmation: string): string | null {
  if (passphraseLength(passphrase) < MIN_PASSPHRASE_LENGTH) {
    return `Choose a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters; a few unrelated words are best.`
  }
  if (passphrase !== confirmation) return 'The two passphrases do not match. Type the same passphrase twice.'
  return null
}

export type BackupTask = 'backup' | 'restore'

export interface TaskProgress {
  readonly label: string
  /** 0..1 over the whole task. */
  readonly fraction: number
}

/**
 * Share of the whole task each phase stands for. 'sealing' and 'opening' are
 * scrypt, most of the time taken (engine/backup/backupProgress.ts); the rest
 * scales with the number of records.
 */
const PHASES: Record<BackupTask, readonly { readonly phase: BackupPhase; readonly weight: number; readonly label: string }[]> = {
  backup: [
    { phase: 'reading', weight: 0.2, label: 'Reading your messages and contacts…' },
    { phase: 'sealing', weight: 0.8, label: 'Encrypting with your passphrase…' },
  ],
  restore: [
    { phase: 'opening', weight: 0.6, label: 'Unlocking the backup with your passphrase…' },
    { phase: 'checking', weight: 0.15, label: 'Checking everything in the backup…' },
    { phase: 'writing', weight: 0.25, label: 'Replacing the data on this device…' },
  ],
}

export function startingProgress(task: BackupTask): TaskProgress {
  return { label: task === 'backup' ? 'Preparing the backup…' : 'Reading the file…', fraction: 0 }
}

export function taskProgress(task: BackupTask, phase: BackupPhase, done: number, total: number): TaskProgress {
  const phases = PHASES[task]
  const at = phases.findIndex((p) => p.phase === phase)
  if (at < 0) return startingProgress(task)
  const before = phases.slice(0, at).reduce((sum, p) => sum + p.weight, 0)
  const within = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0
  const current = phases[at]!
  return { label: current.label, fraction: Math.min(1, before + current.weight * within) }
}

/** Backup errors worth their own words; the rest use the engine's message (`errorText`). */
const BACKUP_ERRORS: Record<string, string> = {
  NothingToBackUpError: 'There is no profile on this device to back up yet.',
  EngineStoppedError: 'A backup was just restored on this device. Reload the page first.',
}

export function backupErrorText(err: unknown): string {
  const name = err instanceof Error ? err.name : ''
  return BACKUP_ERRORS[name] ?? errorText(err, 'The backup could not be made. Please try again.')
}

/** Every refusal below happens before anything is written, so each can say that nothing changed. */
const RESTORE_ERRORS: Record<string, string> = {
  WrongPassphraseOrCorruptError:
    'Wrong passphrase, or the file is damaged (the two cannot be told apart). Nothing was changed: check the passphrase and try again.',
  NotABackupError: `This file is not a Sovereign backup. Choose a ${BACKUP_EXTENSION} file made with “Back up…”. Nothing was changed.`,
  TruncatedBackupError:
    'This backup file is incomplete: it may not have finished downloading or copying. Nothing was changed.',
  UnsupportedBackupVersionError: 'This backup was made by a different version of Sovereign and cannot be read here. Nothing was changed.',
  UnsupportedSnapshotVersionError: 'This backup was made by a newer version of Sovereign. Update the app, then restore. Nothing was changed.',
  BackupSchemaTooNewError: 'This backup was made by a newer version of Sovereign. Update the app, then restore. Nothing was changed.',
  MalformedBackupError: 'The backup opened, but what is inside is not valid. Nothing was changed.',
  UnsupportedBackupParamsError:
    'This file asks for encryption settings Sovereign does not accept; it may have been tampered with. Nothing was changed.',
  WeakBackupParamsError:
    'This file asks for encryption settings Sovereign does not accept; it may have been tampered with. Nothing was changed.',
  EngineStoppedError: 'The app must restart before it can restore again. Reload the page, then try again.',
}

export function restoreErrorText(err: unknown): string {
  const name = err instanceof Error ? err.name : ''
  return RESTORE_ERRORS[name] ?? errorText(err, 'The backup could not be restored. Please try again.')
}

/** The engine stopped (a restore ran): only a reload brings it back. */
export function needsReload(err: unknown): boolean {
  return err instanceof Error && err.name === 'EngineStoppedError'
}

/** How long a blob URL stays valid after the click; the download has started reading it by then. */
const REVOKE_AFTER_MS = 30_000

/** Saves `data` through the browser's download flow, as a temporary `<a download>` would when clicked. */
export function download(data: Uint8Array | string, fileName: string, type: string): void {
  // Bytes from the worker arrive on a plain ArrayBuffer (structured clone), never a shared one.
  const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer> | string], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  link.style.display = 'none'
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS)
}

/** Size of a file in words: "12.4 KB". */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1000
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

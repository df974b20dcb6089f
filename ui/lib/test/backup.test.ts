import { describe, expect, test } from 'vitest'
import {
  backupErrorText,
  backupFileName,
  exportFileName,
  formatSize,
  needsReload,
  passphraseProblem,
  restoreErrorText,
  taskProgress,
} from '../backup.ts'

const typed = (name: string, message = 'engine words'): Error => Object.assign(new Error(message), { name })

describe('backup on screen', () => {
  test('file names carry the local date, zero-padded', () => {
    const at = new Date(2026, 0, 5, 23, 59)
    expect(backupFileName(at)).toBe('sovereign-backup-2026-01-05.sovb')
    expect(exportFileName(at)).toBe('sovereign-export-2026-01-05.json')
  })

  test('a new passphrase needs 8 characters (emoji count once) and a matching confirmation', () => {
    expect(passphraseProblem('short', 'short')).toMatch(/at least 8/)
    expect(passphraseProblem('🔑🔑🔑🔑🔑🔑🔑', '🔑🔑🔑🔑🔑🔑🔑')).toMatch(/at least 8/)
    expect(passphraseProblem('long enough', 'long enougH')).toMatch(/do not match/)
    expect(passphraseProblem('long enough', 'long enough')).toBeNull()
    expect(passphraseProblem('🔑🔑🔑🔑🔑🔑🔑🔑', '🔑🔑🔑🔑🔑🔑🔑🔑')).toBeNull()
  })

  test('progress runs once from 0 to 1 across the phases, in order', () => {
    const backup = [
      taskProgress('backup', 'reading', 0, 10),
      taskProgress('backup', 'reading', 10, 10),
      taskProgress('backup', 'sealing', 500, 1000),
      taskProgress('backup', 'sealing', 1000, 1000),
    ].map((p) => p.fraction)
    expect(backup[0]).toBe(0)
    expect(backup.at(-1)).toBeCloseTo(1)
    expect([...backup].sort((a, b) => a - b)).toEqual(backup)

    const restore = (['opening', 'checking', 'writing'] as const).flatMap((phase) => [
      taskProgress('restore', phase, 0, 4).fraction,
      taskProgress('restore', phase, 4, 4).fraction,
    ])
    expect(restore[0]).toBe(0)
    expect(restore.at(-1)).toBeCloseTo(1)
    expect([...restore].sort((a, b) => a - b)).toEqual(restore)
    // An empty phase (no records) neither divides by zero nor goes backwards.
    expect(taskProgress('restore', 'writing', 0, 0).fraction).toBeCloseTo(0.75)
    expect(taskProgress('backup', 'sealing', 3, 1000).label).toMatch(/Encrypting/)
  })

  test('every restore refusal says in words that nothing changed', () => {
    for (const name of [
      'WrongPassphraseOrCorruptError',
      'NotABackupError',
      'TruncatedBackupError',
      'UnsupportedBackupVersionError',
      'BackupSchemaTooNewError',
      'MalformedBackupError',
      'UnsupportedBackupParamsError',
      'WeakBackupParamsError',
    ]) {
      const text = restoreErrorText(typed(name))
      expect(text).toMatch(/Nothing was changed/)
      expect(text).not.toMatch(/Error/)
    }
    expect(restoreErrorText(typed('WrongPassphraseOrCorruptError'))).toMatch(/^Wrong passphrase/)
    expect(restoreErrorText(new TypeError('x is undefined'))).toBe('The backup could not be restored. Please try again.')
    expect(needsReload(typed('EngineStoppedError'))).toBe(true)
    expect(needsReload(typed('WrongPassphraseOrCorruptError'))).toBe(false)
  })

  test('backup errors use the engine sentence for a weak passphrase and never a stack', () => {
    expect(backupErrorText(typed('WeakPassphraseError', 'Choose a passphrase of at least 8 characters.'))).toBe(
      'Choose a passphrase of at least 8 characters.',
    )
    expect(backupErrorText(typed('NothingToBackUpError'))).toMatch(/no profile/)
    expect(backupErrorText(new Error('boom\n at x.ts:1'))).toBe('The backup could not be made. Please try again.')
  })

  test('sizes read as people write them', () => {
    expect(formatSize(512)).toBe('512 bytes')
    expect(formatSize(12_400)).toBe('12 KB')
    expect(formatSize(2_500_000)).toBe('2.5 MB')
  })
})

import { createSignal, Show, type JSX } from 'solid-js'
import {
  backupErrorText,
  backupFileName,
  download,
  formatSize,
  MIN_PASSPHRASE_LENGTH,
  passphraseLength,
  passphraseProblem,
  startingProgress,
  taskProgress,
  type TaskProgress,
} from '../lib/backup.ts'
import { useEngine } from '../lib/engine.ts'
import { TaskProgressBar } from './TaskProgressBar.tsx'
import { TaskSheet } from './TaskSheet.tsx'

export interface BackupDialogProps {
  readonly open: boolean
  readonly onClose: () => void
}

interface SavedBackup {
  readonly bytes: Uint8Array
  readonly fileName: string
}

/**
 * Makes the encrypted backup file and downloads it. A modal `<dialog>` like the
 * safety number's; while the backup is being made it cannot be closed, and a
 * failure keeps the passphrase so the user can try again at once.
 */
export function BackupDialog(props: BackupDialogProps): JSX.Element {
  const engine = useEngine()
  const [passphrase, setPassphrase] = createSignal('')
  const [confirmation, setConfirmation] = createSignal('')
  const [reveal, setReveal] = createSignal(false)
  const [busy, setBusy] = createSignal(false)
  const [progress, setProgress] = createSignal<TaskProgress | null>(null)
  const [error, setError] = createSignal<string | null>(null)
  const [mismatch, setMismatch] = createSignal(false)
  const [saved, setSaved] = createSignal<SavedBackup | null>(null)
  let first: HTMLInputElement | undefined
  let second: HTMLInputElement | undefined
  let done: HTMLButtonElement | undefined

  /** Each time the sheet opens: a clean form, focus on its first field. */
  const reset = (): void => {
    setPassphrase('')
    setConfirmation('')
    setReveal(false)
    setProgress(null)
    setError(null)
    setMismatch(false)
    setSaved(null)
    first?.focus()
  }


  const close = (): void => {
    if (!busy()) props.onClose()
  }

  const submit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    if (busy()) return
    const problem = passphraseProblem(passphrase(), confirmation())
    setError(problem)
    const mismatched = problem !== null && passphraseLength(passphrase()) >= MIN_PASSPHRASE_LENGTH
    setMismatch(mismatched)
    if (problem !== null) {
      ;(mismatched ? second : first)?.focus()
      return
    }
    setBusy(true)
    setProgress(startingProgress('backup'))
    try {
      const bytes = await engine.createBackup(passphrase(), (phase, done, total) =>
        setProgress(taskProgress('backup', phase, done, total)),
      )
      const file = { bytes, fileName: backupFileName() }
      download(file.bytes, file.fileName, 'application/octet-stream')
      // The passphrase has done its job; it should not linger in the page.
      setPassphrase('')
      setConfirmation('')
      setBusy(false)
      setSaved(file)
      done?.focus()
    } catch (err) {
      setError(backupErrorText(err))
      setBusy(false)
      first?.focus()
    } finally {
      setProgress(null)
    }
  }

  return (
    <TaskSheet open={props.open} onClose={props.onClose} onOpen={reset} locked={busy()} name="backup" title="Back up" status="An encrypted copy of everything on this device">

          <Show
            when={saved()}
            fallback={
              <form class="backup-form" onSubmit={submit} aria-describedby="backup-about">
                <div id="backup-about" class="backup-about">
                  <p class="muted">
                    The backup holds your identity key, contacts, conversations and sessions. Use it to move to a new
                    device or to recover this one.
                  </p>
                  <p class="backup-warning">
                    <strong>Your passphrase is the only way to open it.</strong> It cannot be recovered or reset:
                    nobody, not even Sovereign, can open the backup without it. And anyone with the file and the
                    passphrase can read your messages, so choose a long one you do not use elsewhere.
                  </p>
                </div>
                <label class="field">
                  <span class="field__label">Passphrase</span>
                  <input
                    ref={first}
                    data-testid="backup-passphrase"
                    type={reveal() ? 'text' : 'password'}
                    autocomplete="new-password"
                    spellcheck={false}
                    value={passphrase()}
                    onInput={(e) => setPassphrase(e.currentTarget.value)}
                    disabled={busy()}
                    aria-invalid={error() !== null && !mismatch()}
                    aria-describedby="backup-passphrase-hint"
                  />
                </label>
                <p id="backup-passphrase-hint" class="hint">
                  At least {MIN_PASSPHRASE_LENGTH} characters; a few unrelated words are easy to type and hard to
                  guess.
                </p>
                <label class="field">
                  <span class="field__label">Passphrase again</span>
                  <input
                    ref={second}
                    data-testid="backup-passphrase-confirm"
                    type={reveal() ? 'text' : 'password'}
                    autocomplete="new-password"
                    spellcheck={false}
                    value={confirmation()}
                    onInput={(e) => setConfirmation(e.currentTarget.value)}
                    disabled={busy()}
                    aria-invalid={mismatch()}
                  />
                </label>
                <label class="check">
                  <input type="checkbox" checked={reveal()} onChange={(e) => setReveal(e.currentTarget.checked)} disabled={busy()} />
                  Show passphrase
                </label>

                <Show when={progress()}>{(p) => <TaskProgressBar id="backup-progress" progress={p()} />}</Show>
                <Show when={error()}>
                  {(message) => (
                    <p class="alert" role="alert" data-testid="backup-error">
                      {message()}
                    </p>
                  )}
                </Show>

                <div class="sheet__actions">
                  <button type="submit" class="button button--primary" data-testid="backup-start" disabled={busy()}>
                    <Show when={busy()} fallback="Make backup">
                      <span class="spinner" aria-hidden="true" />
                      Making backup…
                    </Show>
                  </button>
                  <button type="button" class="button button--ghost" disabled={busy()} onClick={close}>
                    Cancel
                  </button>
                </div>
              </form>
            }
          >
            {(file) => (
              <>
                <div class="backup-done" role="status" data-testid="backup-done">
                  <span class="backup-done__mark" aria-hidden="true">
                    ✓
                  </span>
                  <p>
                    <strong>Backup saved</strong> in your downloads:
                    <br />
                    <span class="backup-file">{file().fileName}</span> · {formatSize(file().bytes.length)}
                  </p>
                </div>
                <p class="muted">
                  Keep the file somewhere other than this device, and the passphrase somewhere safe, such as a
                  password manager. To use it, choose “Restore from backup” on the new device.
                </p>
                <div class="sheet__actions">
                  <button type="button" class="button button--primary" data-testid="backup-close" ref={done} onClick={close}>
                    Done
                  </button>
                  <button
                    type="button"
                    class="button button--ghost"
                    onClick={() => download(file().bytes, file().fileName, 'application/octet-stream')}
                  >
                    Download again
                  </button>
                </div>
              </>
            )}
          </Show>
    </TaskSheet>
  )
}

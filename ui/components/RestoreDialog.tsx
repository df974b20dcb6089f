import { createSignal, Show, type JSX } from 'solid-js'
import { BACKUP_EXTENSION, formatSize, needsReload, restoreErrorText, startingProgress, taskProgress, type TaskProgress } from '../lib/backup.ts'
import { useEngine, type RestoredBackup } from '../lib/engine.ts'
import { formatDate } from '../lib/format.ts'
import { TaskProgressBar } from './TaskProgressBar.tsx'
import { TaskSheet } from './TaskSheet.tsx'

export interface RestoreDialogProps {
  readonly open: boolean
  readonly onClose: () => void
}

/** Long enough to read the confirmation before the page goes. */
const RELOAD_AFTER_MS = 1500

/**
 * Replaces everything on this device with a backup file. The engine checks the
 * whole file before it writes anything, so a wrong passphrase or a damaged file
 * is an error shown here with the device unchanged; on success the engine has
 * stopped and the page reloads into the restored profile.
 */
export function RestoreDialog(props: RestoreDialogProps): JSX.Element {
  const engine = useEngine()
  const [file, setFile] = createSignal<File | null>(null)
  const [passphrase, setPassphrase] = createSignal('')
  const [understood, setUnderstood] = createSignal(false)
  const [busy, setBusy] = createSignal(false)
  const [progress, setProgress] = createSignal<TaskProgress | null>(null)
  const [error, setError] = createSignal<{ readonly text: string; readonly field: 'file' | 'passphrase' | 'confirm' | null } | null>(null)
  const [mustReload, setMustReload] = createSignal(false)
  const [restored, setRestored] = createSignal<RestoredBackup | null>(null)
  let picker: HTMLInputElement | undefined
  let secret: HTMLInputElement | undefined
  let done: HTMLDivElement | undefined

  /** The profile a restore would replace; null on a new device. */
  const current = (): string | null => engine.profile()?.displayName ?? null
  /** Once a restore has run (or the engine stopped) the dialog stays until the page reloads. */
  const locked = (): boolean => busy() || restored() !== null

  /** Each time the sheet opens: a clean form, focus on its first field. */
  const reset = (): void => {
    setFile(null)
    setPassphrase('')
    setUnderstood(false)
    setProgress(null)
    setError(null)
    setRestored(null)
    setMustReload(false)
    picker?.focus()
  }


  const close = (): void => {
    if (!locked()) props.onClose()
  }

  const fail = (text: string, field: 'file' | 'passphrase' | 'confirm' | null): void => {
    setError({ text, field })
    if (field === 'file') picker?.focus()
    else if (field === 'passphrase') secret?.focus()
  }

  const submit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    if (busy()) return
    const chosen = file()
    if (chosen === null) return fail(`Choose the backup file (${BACKUP_EXTENSION}) first.`, 'file')
    if (passphrase() === '') return fail('Enter the passphrase the backup was made with.', 'passphrase')
    if (current() !== null && !understood()) return fail('Confirm that this replaces everything on this device.', 'confirm')
    setBusy(true)
    setError(null)
    setProgress(startingProgress('restore'))
    try {
      // Read afresh each time: the bytes are handed over (transferred) to the engine.
      const bytes = new Uint8Array(await chosen.arrayBuffer())
      const result = await engine.restoreBackup(bytes, passphrase(), (phase, done, total) =>
        setProgress(taskProgress('restore', phase, done, total)),
      )
      setPassphrase('')
      setRestored(result)
      done?.focus()
      setTimeout(() => location.reload(), RELOAD_AFTER_MS)
    } catch (err) {
      setMustReload(needsReload(err))
      setBusy(false)
      fail(restoreErrorText(err), err instanceof Error && err.name === 'WrongPassphraseOrCorruptError' ? 'passphrase' : null)
    } finally {
      setProgress(null)
      setBusy(false)
    }
  }

  const invalid = (field: 'file' | 'passphrase'): boolean => error()?.field === field

  return (
    <TaskSheet open={props.open} onClose={props.onClose} onOpen={reset} locked={locked()} name="restore" title="Restore from backup" status="Bring back a profile from a backup file">

          <Show
            when={restored()}
            fallback={
              <form class="backup-form" onSubmit={submit} aria-describedby="restore-warning">
                <p id="restore-warning" class="backup-warning">
                  <Show
                    when={current()}
                    fallback={
                      <>
                        The profile, contacts and conversations in the backup will be set up on this device, including
                        your identity key, so your contacts keep reaching you here.
                      </>
                    }
                  >
                    {(name) => (
                      <>
                        <strong>This replaces everything on this device.</strong> {name()}'s profile, contacts and
                        messages here will be deleted and replaced by the backup. Back up first if you want to keep them.
                      </>
                    )}
                  </Show>
                </p>

                <label class="field">
                  <span class="field__label">Backup file</span>
                  <input
                    ref={picker}
                    class="file-input"
                    data-testid="restore-file"
                    type="file"
                    accept={`${BACKUP_EXTENSION},application/octet-stream`}
                    disabled={busy()}
                    aria-invalid={invalid('file')}
                    onChange={(e) => {
                      setFile(e.currentTarget.files?.[0] ?? null)
                      setError(null)
                    }}
                  />
                </label>
                <Show when={file()}>
                  {(f) => (
                    <p class="hint">
                      {f().name} · {formatSize(f().size)}
                    </p>
                  )}
                </Show>
                <label class="field">
                  <span class="field__label">Passphrase</span>
                  <input
                    ref={secret}
                    data-testid="restore-passphrase"
                    type="password"
                    autocomplete="current-password"
                    spellcheck={false}
                    value={passphrase()}
                    onInput={(e) => setPassphrase(e.currentTarget.value)}
                    disabled={busy()}
                    aria-invalid={invalid('passphrase')}
                    aria-describedby="restore-passphrase-hint"
                  />
                </label>
                <p id="restore-passphrase-hint" class="hint">
                  The one chosen when the backup was made.
                </p>
                <Show when={current() !== null}>
                  <label class="check check--warn">
                    <input
                      type="checkbox"
                      data-testid="restore-confirm"
                      checked={understood()}
                      onChange={(e) => setUnderstood(e.currentTarget.checked)}
                      disabled={busy()}
                      aria-invalid={error()?.field === 'confirm'}
                    />
                    Replace everything on this device with the backup
                  </label>
                </Show>

                <Show when={progress()}>{(p) => <TaskProgressBar id="restore-progress" progress={p()} />}</Show>
                <Show when={error()}>
                  {(e) => (
                    <p class="alert" role="alert" data-testid="restore-error">
                      {e().text}
                    </p>
                  )}
                </Show>

                <div class="sheet__actions">
                  <Show
                    when={!mustReload()}
                    fallback={
                      <button type="button" class="button button--primary" onClick={() => location.reload()}>
                        Reload
                      </button>
                    }
                  >
                    <button
                      type="submit"
                      class="button"
                      classList={{ 'button--primary': current() === null, 'button--danger': current() !== null }}
                      data-testid="restore-start"
                      disabled={busy()}
                    >
                      <Show when={busy()} fallback={current() === null ? 'Restore' : 'Replace and restore'}>
                        <span class="spinner" aria-hidden="true" />
                        Restoring…
                      </Show>
                    </button>
                  </Show>
                  <button type="button" class="button button--ghost" disabled={busy()} onClick={close}>
                    Cancel
                  </button>
                </div>
              </form>
            }
          >
            {(result) => (
              <div ref={done} class="backup-done" role="status" tabindex="-1" data-testid="restore-done">
                <span class="backup-done__mark" aria-hidden="true">
                  ✓
                </span>
                <p>
                  <strong>
                    Restored {result().profileName === null ? 'the' : `${result().profileName}'s`} profile from{' '}
                    {formatDate(result().createdAt)}.
                  </strong>{' '}
                  Reloading…
                </p>
              </div>
            )}
          </Show>
    </TaskSheet>
  )
}

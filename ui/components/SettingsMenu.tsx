import { createSignal, Show, type JSX } from 'solid-js'
import { download, exportFileName } from '../lib/backup.ts'
import { useEngine } from '../lib/engine.ts'
import { errorText } from '../lib/errorText.ts'
import { BackupDialog } from './BackupDialog.tsx'
import { RestoreDialog } from './RestoreDialog.tsx'

/** Gap between the gear and the panel, px. */
const GAP = 6

/**
 * Gear in the header and the few settings behind it. A native popover: outside
 * clicks and Escape close it, and it sits in the top layer above every pane.
 */
export function SettingsMenu(): JSX.Element {
  const engine = useEngine()
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [exporting, setExporting] = createSignal(false)
  const [dialog, setDialog] = createSignal<'backup' | 'restore' | null>(null)
  let button: HTMLButtonElement | undefined
  let panel: HTMLDivElement | undefined

  // Under the gear, right edges aligned (the gear sits at the header's right end).
  const place = (event: ToggleEvent): void => {
    if (event.newState !== 'open' || button === undefined || panel === undefined) return
    setError(null)
    const at = button.getBoundingClientRect()
    panel.style.top = `${at.bottom + GAP}px`
    panel.style.right = `${Math.max(8, document.documentElement.clientWidth - at.right)}px`
  }

  const toggleReadReceipts = async (enabled: boolean): Promise<void> => {
    setBusy(true)
    setError(null)
    try {
      await engine.setReadReceipts(enabled)
    } catch (err) {
      setError(errorText(err, 'The setting could not be saved. Please try again.'))
    } finally {
      setBusy(false)
    }
  }

  /** Closes the panel first: focus goes back to the gear, and returns there when the dialog closes. */
  const openDialog = (which: 'backup' | 'restore'): void => {
    panel?.hidePopover()
    setDialog(which)
  }

  const exportData = async (): Promise<void> => {
    if (exporting()) return
    setExporting(true)
    setError(null)
    try {
      download(await engine.exportData(), exportFileName(), 'application/json')
    } catch (err) {
      setError(errorText(err, 'Your data could not be exported. Please try again.'))
    } finally {
      setExporting(false)
    }
  }

  return (
    <>
      <button
        ref={button}
        type="button"
        class="button button--ghost settings-open"
        data-testid="settings-open"
        popovertarget="settings-panel"
        aria-label="Settings"
        title="Settings"
      >
        <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true">
          <path d="M8.6 2.2h2.8l.4 2.1 1.5.9 2-.8 1.4 2.4-1.6 1.4v1.6l1.6 1.4-1.4 2.4-2-.8-1.5.9-.4 2.1H8.6l-.4-2.1-1.5-.9-2 .8-1.4-2.4 1.6-1.4V8.2L3.3 6.8l1.4-2.4 2 .8 1.5-.9.4-2.1Z" />
          <circle cx="10" cy="10" r="2.4" />
        </svg>
      </button>
      <div
        ref={panel}
        id="settings-panel"
        class="settings"
        popover="auto"
        role="dialog"
        aria-labelledby="settings-title"
        data-testid="settings-panel"
        onBeforeToggle={place}
      >
        <h2 id="settings-title">Settings</h2>
        <label class="setting">
          <span class="setting__text">
            <span class="setting__name">Send read receipts</span>
            <span class="setting__hint" id="read-receipts-hint">
              When on, your contacts see when you have read their messages; when off, they only see that a message
              was delivered.
            </span>
          </span>
          <input
            type="checkbox"
            role="switch"
            class="switch"
            data-testid="read-receipts-toggle"
            aria-describedby="read-receipts-hint"
            checked={engine.readReceipts() === true}
            disabled={busy() || engine.readReceipts() === null}
            onChange={(e) => void toggleReadReceipts(e.currentTarget.checked)}
          />
        </label>
        <section class="settings__section" aria-labelledby="settings-data-title">
          <h3 id="settings-data-title" class="settings__subtitle">
            Your data
          </h3>
          <button type="button" class="settings__action" data-testid="backup-open" aria-haspopup="dialog" onClick={() => openDialog('backup')}>
            <span class="setting__name">Back up…</span>
            <span class="setting__hint">An encrypted file to move to a new device or recover this one.</span>
          </button>
          <button type="button" class="settings__action" data-testid="restore-open" aria-haspopup="dialog" onClick={() => openDialog('restore')}>
            <span class="setting__name">Restore from backup…</span>
            <span class="setting__hint">Replaces everything on this device.</span>
          </button>
          <button
            type="button"
            class="settings__action"
            data-testid="export-data"
            disabled={exporting()}
            aria-describedby="export-hint"
            onClick={() => void exportData()}
          >
            <span class="setting__name">
              <Show when={exporting()} fallback="Export my data (JSON)">
                <span class="spinner" aria-hidden="true" /> Exporting…
              </Show>
            </span>
            <span class="setting__hint" id="export-hint">
              Readable by any program, not encrypted and not a backup: it holds your messages but no keys.
            </span>
          </button>
        </section>
        <Show when={error()}>
          {(message) => (
            <p class="alert" role="alert">
              {message()}
            </p>
          )}
        </Show>
      </div>
      <BackupDialog open={dialog() === 'backup'} onClose={() => setDialog(null)} />
      <RestoreDialog open={dialog() === 'restore'} onClose={() => setDialog(null)} />
    </>
  )
}

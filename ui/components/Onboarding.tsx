import { createSignal, Show, type JSX } from 'solid-js'
import { useEngine } from '../lib/engine.ts'
import { errorText } from '../lib/errorText.ts'
import { RestoreDialog } from './RestoreDialog.tsx'

/** First run: pick a display name; the engine makes the identity keys. */
export function Onboarding(): JSX.Element {
  const engine = useEngine()
  const [name, setName] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [restoring, setRestoring] = createSignal(false)

  const submit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    if (busy()) return
    setBusy(true)
    setError(null)
    try {
      await engine.createProfile(name())
    } catch (err) {
      setError(errorText(err, 'Your identity could not be created. Please try again.'))
      setBusy(false)
    }
  }

  return (
    <div class="startup">
      <form class="startup__card onboarding" onSubmit={submit} aria-labelledby="onboarding-title">
        <span class="brand__mark brand__mark--large" aria-hidden="true" />
        <h1 id="onboarding-title">Welcome to Sovereign</h1>
        <p class="muted">
          Private messages, end-to-end encrypted, with no account and no phone number. Your identity is a key made on
          this device.
        </p>
        <label class="field">
          <span class="field__label">Display name</span>
          <input
            data-testid="display-name-input"
            type="text"
            name="displayName"
            autocomplete="nickname"
            placeholder="How contacts will see you"
            required
            autofocus
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
            disabled={busy()}
            aria-invalid={error() !== null}
            aria-describedby="onboarding-hint"
          />
        </label>
        <p id="onboarding-hint" class="hint">
          Shown to the people you add: it travels inside your offer code.
        </p>
        <Show when={error()}>
          {(message) => (
            <p class="alert" role="alert" data-testid="onboarding-error">
              {message()}
            </p>
          )}
        </Show>
        <button data-testid="onboard-submit" type="submit" class="button button--primary" disabled={busy()}>
          <Show when={busy()} fallback="Create my identity">
            <span class="spinner" aria-hidden="true" />
            Creating keys…
          </Show>
        </button>
        <p class="onboarding__restore">
          Had Sovereign on another device?{' '}
          <button
            type="button"
            class="link-button"
            data-testid="onboarding-restore"
            disabled={busy()}
            aria-haspopup="dialog"
            onClick={() => setRestoring(true)}
          >
            Restore from backup
          </button>
        </p>
      </form>
      <RestoreDialog open={restoring()} onClose={() => setRestoring(false)} />
    </div>
  )
}

import { createEffect, createSignal, For, Show, type JSX } from 'solid-js'
import type { ContactView } from '../../workers/api.ts'
import { useEngine } from '../lib/engine.ts'
import { errorText } from '../lib/errorText.ts'
import { formatDate } from '../lib/format.ts'
import { safetyGroups } from '../lib/safetyNumber.ts'
import { isVerified, keyChanged } from '../lib/trust.ts'
import { SafetyQr } from './SafetyQr.tsx'
import { VerifiedBadge } from './VerifiedBadge.tsx'

export interface SafetyNumberDialogProps {
  readonly contact: ContactView
  readonly open: boolean
  readonly onClose: () => void
}

/**
 * The safety number of (me, contact), to compare with the other person's screen,
 * and the switch that records the comparison. A modal `<dialog>`: Escape and the
 * backdrop close it, focus stays inside while it is open.
 */
export function SafetyNumberDialog(props: SafetyNumberDialogProps): JSX.Element {
  const engine = useEngine()
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  let dialog: HTMLDialogElement | undefined

  createEffect(() => {
    if (dialog === undefined) return
    if (props.open && !dialog.open) {
      setError(null)
      dialog.showModal()
    } else if (!props.open && dialog.open) dialog.close()
  })

  const verified = (): boolean => isVerified(props.contact)
  const name = (): string => props.contact.displayName

  const toggle = async (): Promise<void> => {
    if (busy()) return
    setBusy(true)
    setError(null)
    try {
      await engine.setVerified(props.contact.id, !verified())
    } catch (err) {
      setError(errorText(err, 'The verification could not be saved. Please try again.'))
    } finally {
      setBusy(false)
    }
  }

  return (
    <dialog
      ref={dialog}
      class="sheet"
      aria-labelledby="safety-title"
      onClose={() => props.onClose()}
      onClick={(e) => {
        // A click on the dialog box itself (not its content) is the backdrop.
        if (e.target === e.currentTarget) e.currentTarget.close()
      }}
    >
      <Show when={props.open}>
        <div class="sheet__body">
          <header class="sheet__head">
            <div class="sheet__title">
              <h2 id="safety-title">Safety number</h2>
              <p class="sheet__status" role="status">
                <Show when={verified()} fallback={<>{name()} · Not verified</>}>
                  <VerifiedBadge name={name()} />
                  {name()} · Verified
                </Show>
              </p>
            </div>
            <button type="button" class="button button--ghost sheet__close" aria-label="Close" onClick={() => dialog?.close()}>
              ×
            </button>
          </header>

          <Show when={keyChanged(props.contact) ? props.contact.keyChangedAt : null}>
            {(at) => (
              <p class="sheet__changed">
                {name()}'s security key changed on {formatDate(at())}, so this is a new number. Compare it again.
              </p>
            )}
          </Show>

          <p class="muted">
            Compare these numbers with {name()}'s screen, in person or over a call you trust. If they match, mark as
            verified.
          </p>

          <div class="safety">
            <div class="safety__digits" data-testid="safety-number" translate="no" role="group" aria-label="Safety number">
              <For each={safetyGroups(props.contact.safetyNumber)}>
                {(group) => (
                  <>
                    <span class="safety__group">{group}</span>{' '}
                  </>
                )}
              </For>
            </div>
            <SafetyQr safetyNumber={props.contact.safetyNumber} />
          </div>

          <Show when={error()}>
            {(message) => (
              <p class="alert" role="alert">
                {message()}
              </p>
            )}
          </Show>

          <div class="sheet__actions">
            <button
              type="button"
              data-testid="verify-toggle"
              class="button"
              classList={{ 'button--primary': !verified() }}
              disabled={busy()}
              onClick={toggle}
            >
              {verified() ? 'Mark as unverified' : 'Mark as verified'}
            </button>
            <button type="button" class="button button--ghost" onClick={() => dialog?.close()}>
              Done
            </button>
          </div>
        </div>
      </Show>
    </dialog>
  )
}

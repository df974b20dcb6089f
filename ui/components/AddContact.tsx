import { createSignal, Show, type JSX } from 'solid-js'
import type { ContactView } from '../../workers/api.ts'
import { useEngine } from '../lib/engine.ts'
import { errorText } from '../lib/errorText.ts'

export interface AddContactProps {
  readonly onAdded: (contact: ContactView) => void
}

/** Paste box for someone else's offer code. The engine validates it. */
export function AddContact(props: AddContactProps): JSX.Element {
  const engine = useEngine()
  const [code, setCode] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)

  const submit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    if (busy()) return
    const pasted = code().trim()
    if (pasted === '') {
      setError('Paste the offer code you were given.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      const contact = await engine.addContact(pasted)
      setCode('')
      props.onAdded(contact)
    } catch (err) {
      setError(errorText(err, 'This contact could not be added. Please try again.'))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="panel" onSubmit={submit} aria-labelledby="add-contact-title">
      <div class="panel__head">
        <h2 id="add-contact-title">Their offer code</h2>
        <span class="hint">Paste the code you were given.</span>
      </div>
      <textarea
        data-testid="offer-input"
        class="code"
        rows="4"
        spellcheck={false}
        autocomplete="off"
        aria-label="Offer code to add"
        aria-invalid={error() !== null}
        aria-describedby={error() !== null ? 'offer-error' : undefined}
        placeholder="SOV1…"
        value={code()}
        onInput={(e) => {
          setCode(e.currentTarget.value)
          setError(null)
        }}
        disabled={busy()}
      />
      <Show when={error()}>
        {(message) => (
          <p id="offer-error" class="alert" role="alert" data-testid="offer-error">
            {message()}
          </p>
        )}
      </Show>
      <div class="panel__actions">
        <button data-testid="add-contact" type="submit" class="button button--primary" disabled={busy()}>
          {busy() ? 'Checking…' : 'Add contact'}
        </button>
      </div>
    </form>
  )
}

import { createSignal, Show, type JSX } from 'solid-js'
import { useEngine } from '../lib/engine.ts'
import { errorText } from '../lib/errorText.ts'

export interface ComposerProps {
  readonly contactId: string
  readonly contactName: string
}

/** The send box. Enter sends, Shift+Enter starts a new line. */
export function Composer(props: ComposerProps): JSX.Element {
  const engine = useEngine()
  const [text, setText] = createSignal('')
  const [sending, setSending] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  let box: HTMLTextAreaElement | undefined

  const send = async (): Promise<void> => {
    const body = text()
    if (body.trim() === '' || sending()) return
    setSending(true)
    setError(null)
    try {
      await engine.send(props.contactId, body)
      setText('')
    } catch (err) {
      // Keep the draft so nothing typed is lost.
      setError(errorText(err, 'The message could not be sent. Please try again.'))
    } finally {
      setSending(false)
      box?.focus()
    }
  }

  const onKeyDown = (event: KeyboardEvent): void => {
    // An IME composition uses Enter to pick a candidate; that is not a send.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return
    event.preventDefault()
    void send()
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault()
        void send()
      }}
    >
      <Show when={error()}>
        {(message) => (
          <p class="alert composer__error" role="alert" data-testid="send-error">
            {message()}
          </p>
        )}
      </Show>
      <div class="composer__row">
        <textarea
          ref={box}
          data-testid="message-input"
          class="composer__input"
          rows="1"
          placeholder={`Message ${props.contactName}`}
          aria-label={`Message ${props.contactName}`}
          value={text()}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={onKeyDown}
          autofocus
        />
        <button
          data-testid="send-button"
          type="submit"
          class="button button--primary composer__send"
          disabled={sending() || text().trim() === ''}
        >
          Send
        </button>
      </div>
    </form>
  )
}

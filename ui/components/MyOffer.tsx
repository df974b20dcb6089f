import { createSignal, onCleanup, Show, type JSX } from 'solid-js'
import { useEngine } from '../lib/engine.ts'

type CopyState = 'idle' | 'copied' | 'selected'

/** This user's offer code, to hand to a new contact. */
export function MyOffer(): JSX.Element {
  const engine = useEngine()
  const [copy, setCopy] = createSignal<CopyState>('idle')
  let box: HTMLTextAreaElement | undefined
  let reset: ReturnType<typeof setTimeout> | undefined
  onCleanup(() => clearTimeout(reset))

  const settle = (state: CopyState): void => {
    setCopy(state)
    clearTimeout(reset)
    reset = setTimeout(() => setCopy('idle'), 2500)
  }

  const copyOffer = async (): Promise<void> => {
    const code = engine.offer()
    if (code === null) return
    try {
      // Needs a secure context and focus; plain-http LAN relays have neither.
      await navigator.clipboard.writeText(code)
      settle('copied')
    } catch {
      box?.focus()
      box?.select()
      settle('selected')
    }
  }

  return (
    <section class="panel" aria-labelledby="my-offer-title">
      <div class="panel__head">
        <h2 id="my-offer-title">Your offer code</h2>
        <span class="hint">Give this to the person you want to add.</span>
      </div>
      <Show
        when={engine.offer()}
        fallback={
          <Show
            when={engine.offerError()}
            fallback={
              <p class="placeholder" role="status">
                <span class="spinner" aria-hidden="true" />
                Preparing your code…
              </p>
            }
          >
            {(message) => (
              <p class="alert" role="alert">
                {message()}
              </p>
            )}
          </Show>
        }
      >
        {(code) => (
          <>
            <textarea
              ref={box}
              data-testid="my-offer"
              class="code"
              readonly
              rows="4"
              spellcheck={false}
              aria-label="Your offer code"
              value={code()}
              onFocus={(e) => e.currentTarget.select()}
            />
            <div class="panel__actions">
              <button data-testid="copy-offer" type="button" class="button" onClick={copyOffer}>
                {copy() === 'copied' ? 'Copied ✓' : 'Copy code'}
              </button>
              <span class="hint" role="status">
                <Show when={copy() === 'selected'}>Selected — press Ctrl+C (⌘C) to copy.</Show>
              </span>
            </div>
          </>
        )}
      </Show>
    </section>
  )
}

import { Show, type JSX } from 'solid-js'

export interface StartupScreenProps {
  readonly message: string
  /** Present when start-up failed; shown as text, never as a stack. */
  readonly error?: string | undefined
}

export function StartupScreen(props: StartupScreenProps): JSX.Element {
  return (
    <div class="startup" aria-busy={props.error === undefined}>
      <div class="startup__card">
        <span class="brand__mark brand__mark--large" aria-hidden="true" />
        <Show when={props.error} fallback={<p class="startup__text" role="status"><span class="spinner" aria-hidden="true" />{props.message}</p>}>
          {(error) => (
            <>
              <p class="startup__text">{props.message}</p>
              <p class="alert" role="alert" data-testid="startup-error">
                {error()}
              </p>
              <button type="button" class="button" onClick={() => location.reload()}>
                Try again
              </button>
            </>
          )}
        </Show>
      </div>
    </div>
  )
}

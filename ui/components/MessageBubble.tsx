import { Show, createSignal, type JSX } from 'solid-js'
import type { DeliveryProblem, MessageView } from '../../workers/api.ts'
import { formatTime } from '../lib/format.ts'
import { DeliveryStatus } from './DeliveryStatus.tsx'

export interface MessageBubbleProps {
  /** `problem`: why a relay says it still waits (shown by the delivery mark). */
  readonly message: MessageView & { readonly problem?: DeliveryProblem | undefined }
  /** Who the conversation is with, for the status tooltips. */
  readonly contactName: string
  /** Sends a failed message again; shown only on failed outgoing messages. */
  readonly onRetry?: (message: MessageView) => Promise<void>
}

/** One message. The text goes in as a text node: never HTML (DESIGN.md §7). */
export function MessageBubble(props: MessageBubbleProps): JSX.Element {
  const [retrying, setRetrying] = createSignal(false)
  const [retryError, setRetryError] = createSignal<string | null>(null)
  const retry = async (): Promise<void> => {
    if (!props.onRetry || retrying()) return
    setRetrying(true)
    setRetryError(null)
    try {
      await props.onRetry(props.message)
    } catch (err) {
      setRetryError(err instanceof Error ? err.message : 'It could not be sent again.')
    } finally {
      setRetrying(false)
    }
  }
  return (
    <li
      class="bubble"
      classList={{
        'bubble--out': props.message.direction === 'out',
        'bubble--in': props.message.direction === 'in',
        'bubble--failed': props.message.status === 'failed',
      }}
      data-testid="message"
      data-direction={props.message.direction}
      data-status={props.message.status}
    >
      <p class="bubble__text">{props.message.text}</p>
      <p class="bubble__meta">
        <time datetime={new Date(props.message.timestamp).toISOString()}>{formatTime(props.message.timestamp)}</time>
        <Show when={props.message.direction === 'out'}>
          <DeliveryStatus message={props.message} contactName={props.contactName} />
        </Show>
        <Show when={props.message.direction === 'out' && props.message.status === 'failed' && props.onRetry}>
          <button type="button" class="bubble__retry" data-testid="retry" disabled={retrying()} onClick={() => void retry()}>
            {retrying() ? 'Sending…' : 'Try again'}
          </button>
        </Show>
      </p>
      <Show when={retryError()}>{(text) => <p class="bubble__error" role="alert">{text()}</p>}</Show>
    </li>
  )
}

import { Show, type JSX } from 'solid-js'
import type { MessageView } from '../../workers/api.ts'
import { formatTime } from '../lib/format.ts'
import { DeliveryStatus } from './DeliveryStatus.tsx'

export interface MessageBubbleProps {
  readonly message: MessageView
  /** Who the conversation is with, for the status tooltips. */
  readonly contactName: string
}

/** One message. The text goes in as a text node: never HTML (DESIGN.md §7). */
export function MessageBubble(props: MessageBubbleProps): JSX.Element {
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
      </p>
    </li>
  )
}

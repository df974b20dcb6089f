import { Show, type JSX } from 'solid-js'
import type { MessageStatus, MessageView } from '../../workers/api.ts'
import { formatTime } from '../lib/format.ts'

const STATUS_TEXT: Record<MessageStatus, string> = {
  queued: 'Queued',
  sent: 'Sent',
  relayed: 'Relayed',
  delivered: 'Delivered',
  read: 'Read',
  received: 'Received',
  failed: 'Not delivered',
}

export interface MessageBubbleProps {
  readonly message: MessageView
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
          <span class={`status status--${props.message.status}`}>{STATUS_TEXT[props.message.status]}</span>
        </Show>
      </p>
    </li>
  )
}

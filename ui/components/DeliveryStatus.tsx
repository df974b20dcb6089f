import { Match, Show, Switch, type JSX } from 'solid-js'
import type { DeliveryProblem, MessageView } from '../../workers/api.ts'
import { failureText, statusDetail, statusLabel } from '../lib/delivery.ts'

export interface DeliveryStatusProps {
  /** `problem`: why a relay says it still waits (ui/lib/conversationState.ts), shown with the mark. */
  readonly message: MessageView & { readonly problem?: DeliveryProblem | undefined }
  readonly contactName: string
}

const CHECK = 'm4.4 7.2 1.8 1.8 3.4-3.6'
/** Two marks side by side: circles 8 apart, so the first check stays whole under the second circle. */
const PAIR_CHECK_1 = 'm3.9 7.2 1.8 1.8 3.4-3.6'
const PAIR_CHECK_2 = 'm11.9 7.2 1.8 1.8 3.4-3.6'

/**
 * Where an outgoing message is, as one small mark that only ever moves forward:
 * clock (queued) → check (sent) → check and a dashed circle (held by a relay) →
 * two checks (delivered) → two filled checks (read). A failure is spelled out.
 */
export function DeliveryStatus(props: DeliveryStatusProps): JSX.Element {
  const status = (): MessageView['status'] => props.message.status
  return (
    <Show
      when={status() !== 'failed'}
      fallback={
        <span
          class="status status--failed"
          data-testid="message-status"
          role="status"
          title={statusDetail(props.message, props.contactName)}
        >
          <svg viewBox="0 0 14 14" width="14" height="14" aria-hidden="true">
            <circle class="status__disc" cx="7" cy="7" r="6" />
            <path class="status__mark" d="M7 3.9v3.6M7 9.9v.1" />
          </svg>
          {failureText(props.message.failure)}
        </span>
      }
    >
      <span
        class={`status status--${status()}`}
        data-testid="message-status"
        role="img"
        aria-label={props.message.problem ? `${statusLabel(status())}, still waiting` : statusLabel(status())}
        title={statusDetail(props.message, props.contactName)}
      >
        <Show when={props.message.problem}>
          <span class="status__waiting" data-testid="message-waiting" aria-hidden="true">
            !
          </span>
        </Show>
        <Switch>
          <Match when={status() === 'queued'}>
            <svg viewBox="0 0 14 14" width="14" height="14" aria-hidden="true">
              <circle cx="7" cy="7" r="5.6" />
              <path d="M7 4.2V7l1.9 1.3" />
            </svg>
          </Match>
          <Match when={status() === 'sent'}>
            <svg viewBox="0 0 14 14" width="14" height="14" aria-hidden="true">
              <circle cx="7" cy="7" r="5.6" />
              <path d={CHECK} />
            </svg>
          </Match>
          <Match when={status() === 'relayed'}>
            <svg viewBox="0 0 21 14" width="21" height="14" aria-hidden="true">
              <circle class="status__pending" cx="14.5" cy="7" r="5.6" />
              <circle class="status__cover" cx="6.5" cy="7" r="5.6" />
              <path d={PAIR_CHECK_1} />
            </svg>
          </Match>
          <Match when={status() === 'delivered'}>
            <svg viewBox="0 0 21 14" width="21" height="14" aria-hidden="true">
              <circle cx="6.5" cy="7" r="5.6" />
              <path d={PAIR_CHECK_1} />
              <circle class="status__cover" cx="14.5" cy="7" r="5.6" />
              <path d={PAIR_CHECK_2} />
            </svg>
          </Match>
          <Match when={status() === 'read'}>
            <svg viewBox="0 0 21 14" width="21" height="14" aria-hidden="true">
              <circle class="status__disc" cx="6.5" cy="7" r="6.2" />
              <path class="status__mark" d={PAIR_CHECK_1} />
              <circle class="status__disc status__disc--ring" cx="14.5" cy="7" r="6.2" />
              <path class="status__mark" d={PAIR_CHECK_2} />
            </svg>
          </Match>
        </Switch>
      </span>
    </Show>
  )
}

import type { JSX } from 'solid-js'

export interface NameTwinNoticeProps {
  readonly name: string
  readonly onCheck: () => void
  readonly onDismiss: () => void
}

/** After adding someone whose name another contact already has: names do not identify people, keys do. */
export function NameTwinNotice(props: NameTwinNoticeProps): JSX.Element {
  return (
    <div class="notice notice--info" role="status" data-testid="name-twin-notice">
      <svg class="notice__icon" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true">
        <circle cx="10" cy="10" r="8" />
        <path class="notice__mark" d="M10 9v5M10 6v.1" />
      </svg>
      <p class="notice__text">
        You already have a contact named {props.name}. This is a different person or a new device — check the safety
        number.
      </p>
      <div class="notice__actions">
        <button type="button" class="button button--small notice__action" onClick={() => props.onCheck()}>
          Check safety number
        </button>
        <button
          type="button"
          class="button button--ghost button--small"
          aria-label="Dismiss"
          onClick={() => props.onDismiss()}
        >
          ×
        </button>
      </div>
    </div>
  )
}

import type { JSX } from 'solid-js'
import { formatDate } from '../lib/format.ts'

export interface KeyChangeWarningProps {
  readonly name: string
  readonly changedAt: number
  readonly onVerify: () => void
}

/**
 * Shown until the user verifies again after a contact's identity key changed:
 * a new phone is the usual reason, someone in the middle the one that matters.
 */
export function KeyChangeWarning(props: KeyChangeWarningProps): JSX.Element {
  return (
    <div class="notice notice--warn" role="alert" data-testid="key-change-warning">
      <svg class="notice__icon" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true">
        <path d="M10 2.5 1.8 17h16.4L10 2.5Z" />
        <path class="notice__mark" d="M10 8v4.2M10 14.4v.1" />
      </svg>
      <p class="notice__text">
        {props.name}'s security key changed on{' '}
        <time datetime={new Date(props.changedAt).toISOString()}>{formatDate(props.changedAt)}</time>. Messages are
        still end-to-end encrypted, but verify the safety number before sharing anything sensitive.
      </p>
      <div class="notice__actions">
        <button type="button" class="button button--small notice__action" onClick={() => props.onVerify()}>
          Verify safety number
        </button>
      </div>
    </div>
  )
}

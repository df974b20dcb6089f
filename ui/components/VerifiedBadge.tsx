import type { JSX } from 'solid-js'

export interface VerifiedBadgeProps {
  /** Whose badge it is, for the accessible name. */
  readonly name: string
}

/** Shield with a check: the user compared safety numbers with this contact. */
export function VerifiedBadge(props: VerifiedBadgeProps): JSX.Element {
  return (
    <span class="verified" data-testid="verified-badge" role="img" aria-label={`${props.name} is verified`} title="Verified">
      <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
        <path class="verified__shield" d="M8 1.2 2.6 3.1v4.1c0 3.4 2.3 6.3 5.4 7.6 3.1-1.3 5.4-4.2 5.4-7.6V3.1L8 1.2Z" />
        <path class="verified__check" d="m5.4 8.1 1.8 1.8 3.4-3.6" />
      </svg>
    </span>
  )
}

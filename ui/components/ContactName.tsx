import { Show, type JSX } from 'solid-js'
import type { ContactView } from '../../workers/api.ts'
import { isVerified, keyChanged } from '../lib/trust.ts'
import { VerifiedBadge } from './VerifiedBadge.tsx'

export interface ContactNameProps {
  readonly contact: ContactView
  /** `data-testid` of the name text itself. */
  readonly testId?: string
}

/**
 * A contact's name as lists and headers show it: a verified badge once the user
 * compared safety numbers, a warning mark while a changed key is unverified.
 */
export function ContactName(props: ContactNameProps): JSX.Element {
  return (
    <span class="name">
      <span class="name__text" data-testid={props.testId}>
        {props.contact.displayName}
      </span>
      <Show when={isVerified(props.contact)}>
        <VerifiedBadge name={props.contact.displayName} />
      </Show>
      <Show when={keyChanged(props.contact)}>
        <span class="name__warn" role="img" aria-label="Security key changed" title="Security key changed">
          !
        </span>
      </Show>
    </span>
  )
}

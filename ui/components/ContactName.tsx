import { Show, type JSX } from 'solid-js'
import type { ContactView } from '../../workers/api.ts'
import { useEngine } from '../lib/engine.ts'
import { isVerified, keyChanged } from '../lib/trust.ts'
import { VerifiedBadge } from './VerifiedBadge.tsx'

export interface ContactNameProps {
  readonly contact: ContactView
  /** `data-testid` of the name text itself. */
  readonly testId?: string
}

/**
 * A contact's name as every list and header shows it: a verified badge when the
 * user compared safety numbers, and the short fingerprint when another contact
 * has the same name, since a name alone never says who someone is.
 */
export function ContactName(props: ContactNameProps): JSX.Element {
  const engine = useEngine()
  const twin = (): boolean => engine.nameTwins(props.contact.id).length > 0
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
      <Show when={twin()}>
        <span class="name__fp" data-testid="name-twin-fingerprint" title="Fingerprint: tells contacts with the same name apart">
          {props.contact.fingerprint}
        </span>
      </Show>
    </span>
  )
}

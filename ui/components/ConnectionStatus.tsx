import type { JSX } from 'solid-js'
import { useEngine, type RelayState } from '../lib/engine.ts'

const LABEL: Record<RelayState, string> = {
  open: 'Online',
  connecting: 'Connecting…',
  waiting: 'Reconnecting…',
  offline: 'Offline',
}

/** The relay link at a glance; messages still queue while it is down. */
export function ConnectionStatus(): JSX.Element {
  const engine = useEngine()
  const title = (): string => {
    const error = engine.relayError()
    const state = engine.relayState()
    if (state === 'open') return `Linked to ${engine.relayUrl}`
    if (error !== null) return `${error} Messages wait in your outbox until the link is back.`
    return `Relay ${engine.relayUrl}. Messages wait in your outbox until the link is up.`
  }
  return (
    <p
      class={`conn conn--${engine.relayState()}`}
      data-testid="connection-status"
      data-state={engine.relayState()}
      role="status"
      title={title()}
    >
      <span class="conn__dot" aria-hidden="true" />
      <span class="conn__label">{LABEL[engine.relayState()]}</span>
    </p>
  )
}

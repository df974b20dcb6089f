import type { JSX } from 'solid-js'
import { useEngine, type RelayState } from '../lib/engine.ts'
import { gradeText, qualityDetails } from '../lib/quality.ts'

const LABEL: Record<RelayState, string> = {
  open: 'Online',
  connecting: 'Connecting…',
  waiting: 'Reconnecting…',
  offline: 'Offline',
}

/** The relay link at a glance, with its measured grade; messages still queue while it is down. */
export function ConnectionStatus(): JSX.Element {
  const engine = useEngine()
  const label = (): string => {
    const quality = engine.relayQuality()
    const base = LABEL[engine.relayState()]
    return quality === null ? base : `${base} · ${gradeText(quality.grade)}`
  }
  const title = (): string => {
    const error = engine.relayError()
    const state = engine.relayState()
    if (state === 'open') {
      const quality = engine.relayQuality()
      return quality === null ? `Linked to ${engine.relayUrl}` : `Linked to ${engine.relayUrl}\n${qualityDetails(quality)}`
    }
    if (error !== null) return `${error} Messages wait in your outbox until the link is back.`
    return `Relay ${engine.relayUrl}. Messages wait in your outbox until the link is up.`
  }
  return (
    <p
      class={`conn conn--${engine.relayState()}`}
      data-testid="connection-status"
      data-state={engine.relayState()}
      data-grade={engine.relayQuality()?.grade}
      role="status"
      title={title()}
    >
      <span class={`conn__dot grade--${engine.relayQuality()?.grade ?? 'unknown'}`} aria-hidden="true" />
      <span class="conn__label">{label()}</span>
    </p>
  )
}

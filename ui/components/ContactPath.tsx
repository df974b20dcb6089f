import { Show, type JSX } from 'solid-js'
import { useEngine } from '../lib/engine.ts'
import { gradeText, qualityDetails } from '../lib/quality.ts'

export interface ContactPathProps {
  readonly contactId: string
  readonly contactName: string
}

/** How messages to this contact travel now: "Direct · excellent" over an open link to them, else "Via relay". */
export function ContactPath(props: ContactPathProps): JSX.Element {
  const engine = useEngine()
  const path = () => engine.path(props.contactId)
  const quality = () => {
    const p = path()
    return p.kind === 'direct' ? p.quality : null
  }
  const title = (): string => {
    if (path().kind === 'relay') return `Messages to ${props.contactName} go through your relay, still end-to-end encrypted.`
    const q = quality()
    const base = `Direct link to ${props.contactName}.`
    return q === null ? base : `${base} ${qualityDetails(q)}`
  }
  return (
    <span
      class={`path path--${path().kind}`}
      data-testid="contact-path"
      data-path={path().kind}
      data-grade={quality()?.grade}
      title={title()}
    >
      <Show when={path().kind === 'direct'} fallback="Via relay">
        <span class={`path__dot grade--${quality()?.grade ?? 'unknown'}`} aria-hidden="true" />
        Direct
        <Show when={quality()}>{(q) => <> · {gradeText(q().grade)}</>}</Show>
      </Show>
    </span>
  )
}

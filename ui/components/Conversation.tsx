import { createEffect, createSignal, For, on, Show, type JSX } from 'solid-js'
import { useEngine } from '../lib/engine.ts'
import { errorText } from '../lib/errorText.ts'
import { initial } from '../lib/format.ts'
import { keyChanged } from '../lib/trust.ts'
import { Composer } from './Composer.tsx'
import { ContactName } from './ContactName.tsx'
import { ContactPath } from './ContactPath.tsx'
import { KeyChangeWarning } from './KeyChangeWarning.tsx'
import { MessageBubble } from './MessageBubble.tsx'
import { NameTwinNotice } from './NameTwinNotice.tsx'
import { SafetyNumberDialog } from './SafetyNumberDialog.tsx'

export interface ConversationProps {
  readonly contactId: string
  readonly onBack: () => void
  /** Just added, and another contact has the same name: say so once. */
  readonly nameTwinNotice?: boolean
  readonly onDismissNameTwinNotice?: () => void
}

/** Distance from the bottom, in px, under which new messages keep the view pinned. */
const PIN_SLACK = 96

export function Conversation(props: ConversationProps): JSX.Element {
  const engine = useEngine()
  const contact = () => engine.contact(props.contactId)
  const messages = () => engine.messages(props.contactId)
  const [loadingEarlier, setLoadingEarlier] = createSignal(false)
  const [earlierError, setEarlierError] = createSignal<string | null>(null)
  const [safetyOpen, setSafetyOpen] = createSignal(false)
  let list: HTMLDivElement | undefined
  let pinned = true

  const scrollToEnd = (): void => {
    if (list !== undefined) list.scrollTop = list.scrollHeight
  }

  // Follow the conversation as it grows, unless the reader scrolled up to read.
  createEffect(
    on(
      () => messages().at(-1)?.id,
      () => {
        const newest = messages().at(-1)
        if (pinned || newest?.direction === 'out') requestAnimationFrame(scrollToEnd)
      },
    ),
  )

  const loadEarlier = async (): Promise<void> => {
    if (list === undefined) return
    const fromBottom = list.scrollHeight - list.scrollTop
    setLoadingEarlier(true)
    setEarlierError(null)
    try {
      await engine.loadEarlier(props.contactId)
      // Keep the message the reader was looking at in place.
      requestAnimationFrame(() => {
        if (list !== undefined) list.scrollTop = list.scrollHeight - fromBottom
      })
    } catch (err) {
      setEarlierError(errorText(err, 'Older messages could not be loaded.'))
    } finally {
      setLoadingEarlier(false)
    }
  }

  return (
    <Show when={contact()}>
      {(c) => (
        <section class="conversation" aria-label={`Conversation with ${c().displayName}`}>
          <header class="conversation__head">
            <button type="button" class="button button--ghost back" onClick={() => props.onBack()} aria-label="Back to chats">
              ←
            </button>
            <span class="avatar" aria-hidden="true">
              {initial(c().displayName)}
            </span>
            <div class="conversation__who">
              <h1 class="conversation__name">
                <ContactName contact={c()} />
              </h1>
              <Show
                when={engine.nameTwins(props.contactId).length > 0}
                fallback={
                  <p class="conversation__sub">
                    <ContactPath contactId={props.contactId} contactName={c().displayName} /> · End-to-end encrypted ·{' '}
                    {c().fingerprint}
                  </p>
                }
              >
                {/* Another contact has this name: the fingerprint comes first, it is what tells them apart. */}
                <p class="conversation__sub">
                  <span class="conversation__fp" data-testid="name-twin-fingerprint">
                    {c().fingerprint}
                  </span>{' '}
                  · <ContactPath contactId={props.contactId} contactName={c().displayName} /> · End-to-end encrypted
                </p>
              </Show>
            </div>
            <button
              type="button"
              class="button button--ghost button--small safety-open"
              data-testid="open-safety-number"
              aria-haspopup="dialog"
              onClick={() => setSafetyOpen(true)}
            >
              <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                <path d="M8 1.5 3 3.3v3.9c0 3.1 2.1 5.8 5 7 2.9-1.2 5-3.9 5-7V3.3L8 1.5Z" />
              </svg>
              <span class="safety-open__label">Safety number</span>
            </button>
          </header>

          <div class="conversation__notices">
            <Show when={keyChanged(c()) ? c().keyChangedAt : null}>
              {(at) => (
                <KeyChangeWarning name={c().displayName} changedAt={at()} onVerify={() => setSafetyOpen(true)} />
              )}
            </Show>
            <Show when={props.nameTwinNotice === true && engine.nameTwins(props.contactId).length > 0}>
              <NameTwinNotice
                name={c().displayName}
                onCheck={() => setSafetyOpen(true)}
                onDismiss={() => props.onDismissNameTwinNotice?.()}
              />
            </Show>
          </div>

          <div
            class="messages"
            ref={list}
            onScroll={(e) => {
              const el = e.currentTarget
              pinned = el.scrollHeight - el.scrollTop - el.clientHeight < PIN_SLACK
            }}
          >
            <Show when={engine.hasEarlier(props.contactId)}>
              <div class="messages__earlier">
                <button type="button" class="button button--ghost button--small" disabled={loadingEarlier()} onClick={loadEarlier}>
                  {loadingEarlier() ? 'Loading…' : 'Load earlier messages'}
                </button>
                <Show when={earlierError()}>{(m) => <p class="alert" role="alert">{m()}</p>}</Show>
              </div>
            </Show>
            <Show
              when={messages().length > 0}
              fallback={
                <p class="placeholder placeholder--center">
                  No messages yet. Say hello — only {c().displayName} can read it.
                </p>
              }
            >
              <ol class="messages__list" aria-live="polite">
                <For each={messages()}>{(m) => <MessageBubble message={m} contactName={c().displayName} onRetry={(msg) => engine.retry(msg.contactId, msg.id)} />}</For>
              </ol>
            </Show>
          </div>

          <Composer contactId={props.contactId} contactName={c().displayName} />
          <SafetyNumberDialog contact={c()} open={safetyOpen()} onClose={() => setSafetyOpen(false)} />
        </section>
      )}
    </Show>
  )
}

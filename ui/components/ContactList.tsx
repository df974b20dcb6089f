import { For, Show, type JSX } from 'solid-js'
import { useEngine } from '../lib/engine.ts'
import { formatTime, initial } from '../lib/format.ts'
import { ContactName } from './ContactName.tsx'

export interface ContactListProps {
  readonly selected: string | null
  readonly onSelect: (contactId: string) => void
}

export function ContactList(props: ContactListProps): JSX.Element {
  const engine = useEngine()
  return (
    <Show
      when={engine.contacts().length > 0}
      fallback={<p class="placeholder">No contacts yet. Swap offer codes to start a chat.</p>}
    >
      <ul class="contacts">
        <For each={engine.contacts()}>
          {(contact) => (
            <li>
              <button
                type="button"
                class="contact"
                data-testid="contact-item"
                aria-current={props.selected === contact.id ? 'true' : undefined}
                onClick={() => props.onSelect(contact.id)}
              >
                <span class="avatar" aria-hidden="true">
                  {initial(contact.displayName)}
                </span>
                <span class="contact__body">
                  <span class="contact__name">
                    <ContactName contact={contact} testId="contact-name" />
                  </span>
                  {/* A name alone never says who someone is: twins show their fingerprint. */}
                  <Show when={engine.nameTwins(contact.id).length > 0}>
                    <span class="contact__fp" data-testid="name-twin-fingerprint">
                      {contact.fingerprint}
                    </span>
                  </Show>
                  <span class="contact__preview">
                    <Show
                      when={engine.lastMessage(contact.id)}
                      fallback={
                        engine.nameTwins(contact.id).length > 0 ? <>No messages yet</> : <>Fingerprint {contact.fingerprint}</>
                      }
                    >
                      {(last) => (
                        <>
                          {last().direction === 'out' ? 'You: ' : ''}
                          {last().text}
                        </>
                      )}
                    </Show>
                  </span>
                </span>
                <span class="contact__meta">
                  <Show when={engine.lastMessage(contact.id)}>
                    {(last) => <span class="contact__time">{formatTime(last().timestamp)}</span>}
                  </Show>
                  <Show when={engine.unread(contact.id) > 0}>
                    <span class="badge" data-testid="unread-count" aria-label={`${engine.unread(contact.id)} unread`}>
                      {engine.unread(contact.id)}
                    </span>
                  </Show>
                </span>
              </button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  )
}

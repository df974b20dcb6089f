import { createEffect, createSignal, Show, type JSX } from 'solid-js'
import { useEngine } from '../lib/engine.ts'
import { AddContact } from './AddContact.tsx'
import { ConnectionStatus } from './ConnectionStatus.tsx'
import { ContactList } from './ContactList.tsx'
import { Conversation } from './Conversation.tsx'
import { MyOffer } from './MyOffer.tsx'
import { SettingsMenu } from './SettingsMenu.tsx'

/** The signed-in app: header, contact list and the open conversation (or the add-contact pane). */
export function Messenger(): JSX.Element {
  const engine = useEngine()
  const [selected, setSelected] = createSignal<string | null>(null)
  /** The contact just added under a name another contact already has. */
  const [nameTwinAdded, setNameTwinAdded] = createSignal<string | null>(null)
  const openId = (): string | undefined => {
    const id = selected()
    return id !== null && engine.contact(id) !== undefined ? id : undefined
  }

  createEffect(() => engine.openConversation(openId() ?? null))

  return (
    <div class="app" classList={{ 'app--chat': openId() !== undefined }}>
      <header class="topbar">
        <div class="brand">
          <span class="brand__mark" aria-hidden="true" />
          <span class="brand__name">Sovereign</span>
        </div>
        <ConnectionStatus />
        <Show when={engine.profile()}>
          {(me) => (
            <div class="me" title={`Your fingerprint: ${me().fingerprint}`}>
              <span class="me__name" data-testid="profile-name">{me().displayName}</span>
              <span class="me__fp" data-testid="profile-fingerprint">{me().fingerprint}</span>
            </div>
          )}
        </Show>
        <SettingsMenu />
      </header>

      <div class="layout">
        <aside class="sidebar" aria-label="Chats">
          <div class="sidebar__head">
            <h2>Chats</h2>
            <button
              type="button"
              class="button button--ghost button--small"
              aria-pressed={openId() === undefined}
              onClick={() => setSelected(null)}
            >
              + New contact
            </button>
          </div>
          <ContactList selected={openId() ?? null} onSelect={setSelected} />
        </aside>

        <main class="main">
          <Show
            when={openId()}
            keyed
            fallback={
              <section class="connect" aria-labelledby="connect-title">
                <h1 id="connect-title">Add a contact</h1>
                <p class="muted">
                  Swap offer codes with someone you trust, in person or over a channel you already use. The code
                  carries your public key, so only the two of you can read what you send.
                </p>
                <MyOffer />
                <AddContact
                  onAdded={(contact) => {
                    setNameTwinAdded(engine.nameTwins(contact.id).length > 0 ? contact.id : null)
                    setSelected(contact.id)
                  }}
                />
              </section>
            }
          >
            {(id) => (
              <Conversation
                contactId={id}
                onBack={() => setSelected(null)}
                nameTwinNotice={nameTwinAdded() === id}
                onDismissNameTwinNotice={() => setNameTwinAdded(null)}
              />
            )}
          </Show>
        </main>
      </div>
    </div>
  )
}

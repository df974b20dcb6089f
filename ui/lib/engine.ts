/**
 * The UI's only door to the engine worker. Engine events (batched, DESIGN.md §8)
 * become Solid signals and stores here; components read those and call the
 * commands below, never the worker (STYLE.md, UI).
 */
import { batch, createContext, createEffect, createMemo, createRoot, createSignal, untrack, useContext, type Accessor } from 'solid-js'
import { createStore } from 'solid-js/store'
import type { BackupProgress, ContactView, EngineEvent, MessageView, ProfileView } from '../../workers/api.ts'
import { createEngineClient, type EngineClient } from '../../workers/client.ts'
import { conversationUpdates, emptyConversations, type ConversationState } from './conversationState.ts'
import { errorText } from './errorText.ts'
import { nameKey } from './format.ts'
import { createLinkState, type ContactPath, type LinkQuality, type RelayState } from './linkState.ts'
import { defaultRelayUrl } from './relayUrl.ts'

export type AppPhase = 'starting' | 'onboarding' | 'ready' | 'failed'

export type { ContactPath, LinkQuality, RelayState } from './linkState.ts'

export interface Engine {
  readonly phase: Accessor<AppPhase>
  /** Why the engine cannot run (only in phase `failed`). */
  readonly failure: Accessor<string | null>
  readonly profile: Accessor<ProfileView | null>
  /** Most recently active first. */
  readonly contacts: Accessor<readonly ContactView[]>
  contact(id: string): ContactView | undefined
  /**
   * Other contacts with the same display name. A name never resolves a recipient
   * (the key does), so twins must be told apart by fingerprint on screen.
   */
  nameTwins(contactId: string): readonly ContactView[]
  /** The loaded part of a conversation, oldest first. */
  messages(contactId: string): readonly MessageView[]
  lastMessage(contactId: string): MessageView | undefined
  unread(contactId: string): number
  /** True while an older page may exist. */
  hasEarlier(contactId: string): boolean
  readonly offer: Accessor<string | null>
  readonly offerError: Accessor<string | null>
  readonly relayUrl: string
  readonly relayState: Accessor<RelayState>
  readonly relayError: Accessor<string | null>
  /** Quality of the open relay link; null while it is not open or not yet measured. */
  readonly relayQuality: Accessor<LinkQuality | null>
  path(contactId: string): ContactPath
  /** Whether read receipts go out (opt-in); null until the engine answered. */
  readonly readReceipts: Accessor<boolean | null>

  /** Rejects with the engine's typed error; show it with `errorText`. */
  createProfile(displayName: string): Promise<void>
  addContact(code: string): Promise<ContactView>
  /** Records that the user compared safety numbers (or takes it back); clears a key-change warning. */
  setVerified(contactId: string, verified: boolean): Promise<ContactView>
  send(contactId: string, text: string): Promise<void>
  /** Sends a failed message again (same id); rejects with the engine's typed error. */
  retry(contactId: string, messageId: string): Promise<void>
  /** Saves the read-receipt setting; rejects (and keeps the old value) if it could not be saved. */
  setReadReceipts(enabled: boolean): Promise<void>
  /**
   * Marks the conversation as on screen and loads its latest page once. While it is
   * on screen and the page is visible, its incoming messages are marked read.
   */
  openConversation(contactId: string | null): void
  loadEarlier(contactId: string): Promise<void>
  /** The encrypted backup file; `WeakPassphraseError` under 8 characters. */
  createBackup(passphrase: string, onProgress?: BackupProgress): Promise<Uint8Array>
  /**
   * Replaces everything on this device with the backup, or changes nothing (typed error).
   * On success the engine has stopped: reload the page to open the restored profile.
   */
  restoreBackup(file: Uint8Array, passphrase: string, onProgress?: BackupProgress): Promise<RestoredBackup>
  /** Profile, contacts and conversations as JSON (docs/export-format.md); no keys. */
  exportData(): Promise<string>
  dispose(): void
}

export interface RestoredBackup {
  readonly profileName: string | null
  /** When the backup was made. */
  readonly createdAt: number
}

const PAGE = 50
/** How long the offer waits for the relay before it is made without it. */
const OFFER_WAIT_MS = 3000

export function startEngine(client: EngineClient = createEngineClient()): Engine {
  return createRoot((disposeRoot) => {
    const [phase, setPhase] = createSignal<AppPhase>('starting')
    const [failure, setFailure] = createSignal<string | null>(null)
    const [profile, setProfile] = createSignal<ProfileView | null>(null)
    const [offer, setOffer] = createSignal<string | null>(null)
    const [offerError, setOfferError] = createSignal<string | null>(null)
    const [connectAttempted, setConnectAttempted] = createSignal(false)
    const [relayError, setRelayError] = createSignal<string | null>(null)
    const [state, setState] = createStore<ConversationState>(emptyConversations())
    const relayUrl = defaultRelayUrl()
    const [readReceipts, setReadReceiptsSignal] = createSignal<boolean | null>(null)
    const [active, setActive] = createSignal<string | null>(null)
    const [visible, setVisible] = createSignal(document.visibilityState === 'visible')
    const onVisibility = (): void => {
      setVisible(document.visibilityState === 'visible')
    }
    document.addEventListener('visibilitychange', onVisibility)
    const historyRequested = new Set<string>()
    /** On screen for the reader: open and the page visible. */
    const seen = (contactId: string): boolean => active() === contactId && visible()
    const linkState = createLinkState({
      client,
      relayUrl,
      // Before the first connect() answers the app is still on its way to the relay.
      connecting: () => phase() === 'ready' && !connectAttempted(),
      visible,
    })

    const fail = (message: string): void => {
      setFailure(message)
      setPhase('failed')
    }

    const { upsertContact, noteLast, upsertMessage, setStatus, setProblem } = conversationUpdates(state, setState)

    const apply = (events: readonly EngineEvent[]): void => {
      batch(() => {
        for (const event of events) {
          switch (event.type) {
            case 'message':
              if (upsertMessage(event.message) && event.message.direction === 'in' && !seen(event.message.contactId)) {
                setState('unread', event.message.contactId, (n) => (n ?? 0) + 1)
              }
              break
            case 'messageStatus':
              setStatus(event.contactId, event.id, event.status, event.failure)
              break
            case 'deliveryProblem':
              setProblem(event.contactId, event.ids, event.reason)
              break
            case 'contact':
              upsertContact(event.contact)
              break
            case 'links':
              linkState.setLinks(event.links)
              break
          }
        }
      })
    }

    const refreshOffer = async (): Promise<void> => {
      try {
        setOffer(await client.createOffer())
        setOfferError(null)
      } catch (err) {
        setOfferError(errorText(err, 'Your offer code could not be made.'))
      }
    }

    const connectRelay = async (): Promise<void> => {
      const connecting = client
        .connect(relayUrl)
        .then(() => setRelayError(null))
        .catch((err: unknown) => setRelayError(errorText(err, 'The relay could not be reached.')))
        .finally(() => {
          setConnectAttempted(true)
          client.links().then(linkState.setLinks, () => undefined)
        })
      // The offer lists the relay, so prefer to make it once the link is set up,
      // but a slow relay must not hide the code.
      let timer: ReturnType<typeof setTimeout> | undefined
      const wait = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, OFFER_WAIT_MS)
      })
      await Promise.race([connecting, wait])
      clearTimeout(timer)
      await refreshOffer()
    }

    const isUnread = (m: MessageView): boolean => m.direction === 'in' && m.status === 'received'

    /** Last message of every chat, and how many are unread where the last one is. */
    const loadPreviews = async (contacts: readonly ContactView[]): Promise<void> => {
      await Promise.all(
        contacts.map(async (c) => {
          const page = await client.history(c.id, { limit: 1 }).catch(() => [])
          const newest = page.at(-1)
          if (newest === undefined) return
          noteLast(newest)
          if (!isUnread(newest)) return
          // Counted over the latest page: a badge says "some", it need not say exactly how many beyond that.
          const recent = await client.history(c.id, { limit: PAGE }).catch(() => [newest])
          const count = recent.filter(isUnread).length
          if (!seen(c.id)) setState('unread', c.id, (n) => Math.max(n ?? 0, count))
        }),
      )
    }

    const enter = async (me: ProfileView): Promise<void> => {
      const contacts = await client.contacts()
      batch(() => {
        setProfile(me)
        for (const c of contacts) upsertContact(c)
        setPhase('ready')
      })
      void loadPreviews(contacts)
      void connectRelay()
      client.readReceipts().then(
        (enabled) => setReadReceiptsSignal((current) => current ?? enabled),
        () => undefined,
      )
    }

    /** Conversations with a markRead call on its way, and whether another look is due after it. */
    const reading = new Map<string, boolean>()
    const markRead = async (contactId: string): Promise<void> => {
      if (reading.has(contactId)) {
        reading.set(contactId, true)
        return
      }
      reading.set(contactId, false)
      setState('unread', contactId, 0)
      // The engine answers with 'read' status events; a failure leaves the messages unread for the next look.
      await client.markRead(contactId).catch(() => undefined)
      const again = reading.get(contactId) === true
      reading.delete(contactId)
      if (again && seen(contactId)) await markRead(contactId)
    }

    // A conversation on screen is read: on opening it, when the page becomes visible
    // again, and for each message that arrives while it is shown.
    createEffect(() => {
      const id = active()
      if (id === null || !visible() || phase() !== 'ready') return
      const waiting = (state.unread[id] ?? 0) > 0 || (state.messages[id] ?? []).some(isUnread)
      if (waiting) untrack(() => void markRead(id))
    })


    client.onFailure(fail)
    client.onEvents(apply)
    void (async () => {
      try {
        const me = await client.profile()
        if (me === null) setPhase('onboarding')
        else await enter(me)
      } catch (err) {
        fail(errorText(err, 'The encryption engine did not start. Reload to try again.'))
      }
    })()

    const sortedContacts = createMemo((): readonly ContactView[] => {
      const activity = (c: ContactView): number => Math.max(c.addedAt, state.last[c.id]?.timestamp ?? 0)
      return [...state.contacts].sort((a, b) => activity(b) - activity(a))
    })

    /** Contacts by display-name key, only for names held by more than one contact. */
    const twins = createMemo((): ReadonlyMap<string, readonly ContactView[]> => {
      const byName = new Map<string, ContactView[]>()
      for (const c of state.contacts) {
        const key = nameKey(c.displayName)
        const same = byName.get(key)
        if (same === undefined) byName.set(key, [c])
        else same.push(c)
      }
      for (const [key, same] of byName) if (same.length < 2) byName.delete(key)
      return byName
    })


    const loadPage = async (contactId: string, before?: number): Promise<void> => {
      const query = before === undefined ? { limit: PAGE } : { limit: PAGE, before }
      const page = await client.history(contactId, query)
      batch(() => {
        for (const m of page) upsertMessage(m)
        setState('earlier', contactId, page.length >= PAGE)
      })
    }

    return {
      phase,
      failure,
      profile,
      contacts: sortedContacts,
      contact: (id) => state.contacts.find((c) => c.id === id),
      nameTwins(contactId) {
        const contact = state.contacts.find((c) => c.id === contactId)
        if (contact === undefined) return []
        return (twins().get(nameKey(contact.displayName)) ?? []).filter((c) => c.id !== contactId)
      },
      messages: (contactId) => state.messages[contactId] ?? [],
      lastMessage: (contactId) => state.last[contactId],
      unread: (contactId) => state.unread[contactId] ?? 0,
      hasEarlier: (contactId) => state.earlier[contactId] ?? false,
      offer,
      offerError,
      relayUrl,
      relayState: linkState.relayState,
      relayError,
      relayQuality: linkState.relayQuality,
      path: (contactId) => linkState.path(contactId),
      readReceipts,

      async createProfile(displayName) {
        const me = await client.createProfile(displayName)
        await enter(me)
      },

      async addContact(code) {
        const contact = await client.acceptOffer(code)
        upsertContact(contact)
        return contact
      },

      async setVerified(contactId, verified) {
        const contact = await client.setVerified(contactId, verified)
        upsertContact(contact)
        return contact
      },

      async send(contactId, text) {
        upsertMessage(await client.send(contactId, text))
      },

      async retry(contactId, messageId) {
        for (const m of await client.retry(contactId, [messageId])) upsertMessage(m)
      },

      async setReadReceipts(enabled) {
        const before = readReceipts()
        setReadReceiptsSignal(enabled)
        try {
          await client.setReadReceipts(enabled)
        } catch (err) {
          setReadReceiptsSignal(before)
          throw err
        }
      },

      openConversation(contactId) {
        setActive(contactId)
        if (contactId === null) return
        if (historyRequested.has(contactId)) return
        historyRequested.add(contactId)
        loadPage(contactId).catch(() => historyRequested.delete(contactId))
      },

      async loadEarlier(contactId) {
        const oldest = state.messages[contactId]?.[0]
        await loadPage(contactId, oldest?.seq)
      },

      createBackup: (passphrase, onProgress) => client.createBackup(passphrase, onProgress),
      restoreBackup: (file, passphrase, onProgress) => client.restoreBackup(file, passphrase, onProgress),
      exportData: () => client.exportData(),

      dispose() {
        linkState.dispose()
        document.removeEventListener('visibilitychange', onVisibility)
        client.dispose()
        disposeRoot()
      },
    }
  })
}

const EngineContext = createContext<Engine>()

export const EngineProvider = EngineContext.Provider

export function useEngine(): Engine {
  const engine = useContext(EngineContext)
  if (engine === undefined) throw new Error('useEngine() needs an <EngineProvider>')
  return engine
}

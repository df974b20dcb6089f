/**
 * The UI's only door to the engine worker. Engine events (batched, DESIGN.md §8)
 * become Solid signals and stores here; components read those and call the
 * commands below, never the worker (STYLE.md, UI).
 */
import { batch, createContext, createMemo, createRoot, createSignal, useContext, type Accessor } from 'solid-js'
import { createStore, produce } from 'solid-js/store'
import type { ContactView, EngineEvent, LinkView, MessageStatus, MessageView, ProfileView } from '../../workers/api.ts'
import { createEngineClient, type EngineClient } from '../../workers/client.ts'
import { errorText } from './errorText.ts'
import { nameKey } from './format.ts'
import { defaultRelayUrl } from './relayUrl.ts'

export type AppPhase = 'starting' | 'onboarding' | 'ready' | 'failed'

/** What the relay link looks like to a user; `data-state` of the status badge. */
export type RelayState = 'offline' | 'connecting' | 'open' | 'waiting'

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

  /** Rejects with the engine's typed error; show it with `errorText`. */
  createProfile(displayName: string): Promise<void>
  addContact(code: string): Promise<ContactView>
  /** Records that the user compared safety numbers (or takes it back); clears a key-change warning. */
  setVerified(contactId: string, verified: boolean): Promise<ContactView>
  send(contactId: string, text: string): Promise<void>
  /** Marks the conversation as on screen (no unread count) and loads its latest page once. */
  openConversation(contactId: string | null): void
  loadEarlier(contactId: string): Promise<void>
  dispose(): void
}

const PAGE = 50
/** How long the offer waits for the relay before it is made without it. */
const OFFER_WAIT_MS = 3000

/** Store copy of a message: its status changes in place (views stay read-only). */
type StoredMessage = { -readonly [K in keyof MessageView]: MessageView[K] }

interface State {
  contacts: ContactView[]
  messages: Record<string, StoredMessage[]>
  last: Record<string, StoredMessage>
  unread: Record<string, number>
  earlier: Record<string, boolean>
}

export function startEngine(client: EngineClient = createEngineClient()): Engine {
  return createRoot((disposeRoot) => {
    const [phase, setPhase] = createSignal<AppPhase>('starting')
    const [failure, setFailure] = createSignal<string | null>(null)
    const [profile, setProfile] = createSignal<ProfileView | null>(null)
    const [offer, setOffer] = createSignal<string | null>(null)
    const [offerError, setOfferError] = createSignal<string | null>(null)
    const [links, setLinks] = createSignal<readonly LinkView[]>([])
    const [connectAttempted, setConnectAttempted] = createSignal(false)
    const [relayError, setRelayError] = createSignal<string | null>(null)
    const [state, setState] = createStore<State>({ contacts: [], messages: {}, last: {}, unread: {}, earlier: {} })
    const relayUrl = defaultRelayUrl()
    const historyRequested = new Set<string>()
    let active: string | null = null

    const fail = (message: string): void => {
      setFailure(message)
      setPhase('failed')
    }

    const upsertContact = (contact: ContactView): void => {
      setState(
        'contacts',
        produce((list) => {
          const i = list.findIndex((c) => c.id === contact.id)
          if (i >= 0) list[i] = contact
          else list.push(contact)
        }),
      )
    }

    const noteLast = (message: MessageView): void => {
      const current = state.last[message.contactId]
      if (current === undefined || current.id === message.id || current.timestamp <= message.timestamp) {
        setState('last', message.contactId, { ...message })
      }
    }

    /** Inserts or replaces by id, keeping timestamp order; returns whether it was new. */
    const upsertMessage = (message: MessageView): boolean => {
      let added = false
      setState(
        'messages',
        produce((all) => {
          const list = (all[message.contactId] ??= [])
          for (let i = list.length - 1; i >= 0; i--) {
            const known = list[i]
            if (known?.id === message.id) {
              // Same id means same text and time (ids are stable across redelivery).
              known.status = message.status
              return
            }
          }
          added = true
          // Newest messages arrive last, so the slot is almost always at the end.
          let at = list.length
          while (at > 0 && (list[at - 1]?.timestamp ?? 0) > message.timestamp) at--
          list.splice(at, 0, { ...message })
        }),
      )
      noteLast(message)
      return added
    }

    const setStatus = (contactId: string, id: string, status: MessageStatus): void => {
      const list = state.messages[contactId] ?? []
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i]?.id === id) {
          // Only the status text of that one bubble re-renders.
          setState('messages', contactId, i, 'status', status)
          break
        }
      }
      if (state.last[contactId]?.id === id) setState('last', contactId, 'status', status)
    }

    const apply = (events: readonly EngineEvent[]): void => {
      batch(() => {
        for (const event of events) {
          switch (event.type) {
            case 'message':
              if (upsertMessage(event.message) && event.message.direction === 'in' && active !== event.message.contactId) {
                setState('unread', event.message.contactId, (n) => (n ?? 0) + 1)
              }
              break
            case 'messageStatus':
              setStatus(event.contactId, event.id, event.status)
              break
            case 'contact':
              upsertContact(event.contact)
              break
            case 'links':
              setLinks(event.links)
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
          client.links().then(setLinks, () => undefined)
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

    const loadPreviews = async (contacts: readonly ContactView[]): Promise<void> => {
      await Promise.all(
        contacts.map(async (c) => {
          const page = await client.history(c.id, { limit: 1 }).catch(() => [])
          const newest = page.at(-1)
          if (newest !== undefined) noteLast(newest)
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
    }

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

    const relayState = createMemo((): RelayState => {
      // Peer links (later: WebRTC) are not the relay; fall back to all links if none names it.
      const relayLinks = links().filter((l) => l.address === relayUrl)
      const states = (relayLinks.length > 0 ? relayLinks : links()).map((l) => l.state)
      if (states.includes('open')) return 'open'
      if (states.includes('connecting') || states.includes('handshaking')) return 'connecting'
      if (states.includes('waiting')) return 'waiting'
      // Before the first connect() answers the app is still on its way to the relay.
      if (phase() === 'ready' && !connectAttempted()) return 'connecting'
      return 'offline'
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
      relayState,
      relayError,

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

      openConversation(contactId) {
        active = contactId
        if (contactId === null) return
        setState('unread', contactId, 0)
        if (historyRequested.has(contactId)) return
        historyRequested.add(contactId)
        loadPage(contactId).catch(() => historyRequested.delete(contactId))
      },

      async loadEarlier(contactId) {
        const oldest = state.messages[contactId]?.[0]
        await loadPage(contactId, oldest?.timestamp)
      },

      dispose() {
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

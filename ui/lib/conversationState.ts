/**
 * The app's conversation state in one Solid store (contacts, messages per
 * contact, each chat's last message, unread counts, paging) and the updates that
 * keep it in step with engine events. No engine calls here: ui/lib/engine.ts
 * feeds it.
 */
import { produce, type SetStoreFunction } from 'solid-js/store'
import type { ContactView, MessageStatus, MessageView } from '../../workers/api.ts'

/** Store copy of a message: its status changes in place (views stay read-only). */
export type StoredMessage = { -readonly [K in keyof MessageView]: MessageView[K] }

export interface ConversationState {
  contacts: ContactView[]
  messages: Record<string, StoredMessage[]>
  last: Record<string, StoredMessage>
  unread: Record<string, number>
  earlier: Record<string, boolean>
}

export function emptyConversations(): ConversationState {
  return { contacts: [], messages: {}, last: {}, unread: {}, earlier: {} }
}

export interface ConversationUpdates {
  upsertContact(contact: ContactView): void
  /** Keeps the chat's newest message for the contact list. */
  noteLast(message: MessageView): void
  /** Inserts or replaces by id, keeping timestamp order; returns whether it was new. */
  upsertMessage(message: MessageView): boolean
  setStatus(contactId: string, id: string, status: MessageStatus, failure?: string): void
}

export function conversationUpdates(
  state: ConversationState,
  setState: SetStoreFunction<ConversationState>,
): ConversationUpdates {
  const noteLast = (message: MessageView): void => {
    const current = state.last[message.contactId]
    if (current === undefined || current.id === message.id || current.timestamp <= message.timestamp) {
      setState('last', message.contactId, { ...message })
    }
  }
  return {
    upsertContact(contact) {
      setState(
        'contacts',
        produce((list) => {
          const i = list.findIndex((c) => c.id === contact.id)
          if (i >= 0) list[i] = contact
          else list.push(contact)
        }),
      )
    },
    noteLast,
    upsertMessage(message) {
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
              known.failure = message.failure
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
    },
    setStatus(contactId, id, status, failure) {
      const list = state.messages[contactId] ?? []
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i]?.id === id) {
          // Only the status of that one bubble re-renders.
          setState('messages', contactId, i, 'status', status)
          if (failure !== undefined) setState('messages', contactId, i, 'failure', failure)
          break
        }
      }
      if (state.last[contactId]?.id === id) setState('last', contactId, 'status', status)
    },
  }
}

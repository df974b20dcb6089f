/**
 * The app's conversation state in one Solid store (contacts, messages per
 * contact, each chat's last message, unread counts, paging) and the updates that
 * keep it in step with engine events. No engine calls here: ui/lib/engine.ts
 * feeds it.
 */
import { produce, type SetStoreFunction } from 'solid-js/store'
import type { ContactView, DeliveryProblem, MessageStatus, MessageView } from '../../workers/api.ts'

/**
 * Store copy of a message: its status changes in place (views stay read-only). `problem`: why
 * a relay says it still waits (a 'deliveryProblem' event), shown until its status moves on.
 */
export type StoredMessage = { -readonly [K in keyof MessageView]: MessageView[K] } & { problem?: DeliveryProblem }

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
  /** A relay said why these messages still wait; a later status change clears it. */
  setProblem(contactId: string, ids: readonly string[], problem: DeliveryProblem): void
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
          // A status that moved on answers the problem: relayed, delivered, or failed for its own reason.
          if (status !== 'queued' && status !== 'sent') setState('messages', contactId, i, 'problem', undefined)
          if (failure !== undefined) setState('messages', contactId, i, 'failure', failure)
          break
        }
      }
      if (state.last[contactId]?.id === id) setState('last', contactId, 'status', status)
    },
    setProblem(contactId, ids, problem) {
      const wanted = new Set(ids)
      const list = state.messages[contactId] ?? []
      for (let i = list.length - 1; i >= 0 && wanted.size > 0; i--) {
        const message = list[i]
        if (message === undefined || !wanted.delete(message.id)) continue
        // Only while it still waits: a late refusal must not cloud a message already relayed.
        if (message.status === 'queued' || message.status === 'sent') setState('messages', contactId, i, 'problem', problem)
      }
    },
  }
}

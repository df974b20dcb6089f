/**
 * The conversation store's delivery problems (issue 11): a relay's word on why a message still
 * waits shows on that message only while it waits, and a status that moves on clears it.
 */
import { createStore } from 'solid-js/store'
import { describe, expect, test } from 'vitest'
import type { MessageView } from '../../../workers/api.ts'
import { conversationUpdates, emptyConversations } from '../conversationState.ts'

const message = (id: string, status: MessageView['status']): MessageView => ({
  id,
  contactId: 'bob',
  direction: 'out',
  text: id,
  timestamp: Number.parseInt(id, 16),
  seq: Number.parseInt(id, 16),
  status,
})

describe('delivery problems in the conversation store', () => {
  test('marks the waiting messages named, not the others, and clears the mark when the status moves on', () => {
    const [state, setState] = createStore(emptyConversations())
    const updates = conversationUpdates(state, setState)
    for (const m of [message('01', 'sent'), message('02', 'relayed'), message('03', 'sent')]) updates.upsertMessage(m)
    updates.setProblem('bob', ['01', '02'], 'home-unreachable')
    expect(state.messages['bob']!.map((m) => m.problem)).toEqual(['home-unreachable', undefined, undefined])
    updates.setStatus('bob', '01', 'relayed')
    expect(state.messages['bob']![0]!.problem).toBeUndefined()
    updates.setProblem('bob', ['03'], 'no-custody')
    updates.setStatus('bob', '03', 'sent')
    expect(state.messages['bob']![2]!.problem).toBe('no-custody')
  })
})

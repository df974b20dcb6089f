/**
 * Coalesces the sends of one tick to one contact into a single composeBatch
 * call, so a burst leaves as a few envelopes (one ratchet step each) instead of
 * one per message. Each caller still gets its own message or its own error.
 */
import type { Messenger, MessageView, Outgoing } from '../engine/messenger/index.ts'

interface Waiting {
  readonly text: string
  resolve(message: MessageView): void
  reject(error: unknown): void
}

export type SendFn = (contactId: string, text: string) => Promise<MessageView>

export function createSendCoalescer(
  messenger: Pick<Messenger, 'compose' | 'composeBatch'>,
  sealed: (messages: readonly MessageView[], outgoing: readonly Outgoing[]) => void,
): SendFn {
  const queues = new Map<string, Waiting[]>()

  const flush = async (contactId: string): Promise<void> => {
    const waiting = queues.get(contactId) ?? []
    queues.delete(contactId)
    try {
      const { messages, outgoing } = await messenger.composeBatch(contactId, waiting.map((w) => w.text))
      sealed(messages, outgoing)
      waiting.forEach((w, i) => w.resolve(messages[i]!))
    } catch {
      // One bad message must not fail its neighbours: send each alone, so only it rejects.
      for (const w of waiting) {
        try {
          const { message, outgoing } = await messenger.compose(contactId, w.text)
          sealed([message], [outgoing])
          w.resolve(message)
        } catch (error) {
          w.reject(error)
        }
      }
    }
  }

  return (contactId, text) =>
    new Promise<MessageView>((resolve, reject) => {
      const queue = queues.get(contactId)
      if (queue) {
        queue.push({ text, resolve, reject })
        return
      }
      queues.set(contactId, [{ text, resolve, reject }])
      void Promise.resolve().then(() => flush(contactId))
    })
}

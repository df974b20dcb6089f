/**
 * Collects engine events and delivers them in batches: one postMessage per tick
 * or per 64 events, not one per event (DESIGN.md §8: the data plane is batched).
 */
export interface EventBatcher<E> {
  push(...events: readonly E[]): void
  subscribe(listener: (events: E[]) => void): number
  unsubscribe(id: number): void
}

export const MAX_BATCH = 64

export function createEventBatcher<E>(schedule: (fn: () => void) => void): EventBatcher<E> {
  const listeners = new Map<number, (events: E[]) => void>()
  let nextId = 1
  let pending: E[] = []
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_BATCH)
      pending = pending.slice(MAX_BATCH)
      for (const listener of listeners.values()) {
        try {
          listener(batch)
        } catch {
          // A listener that throws (a closed page) must not starve the others.
        }
      }
    }
  }
  return {
    push(...events) {
      if (listeners.size === 0 || events.length === 0) return
      pending.push(...events)
      if (pending.length >= MAX_BATCH) flush()
      else if (!scheduled) {
        scheduled = true
        schedule(flush)
      }
    },
    subscribe(listener) {
      const id = nextId++
      listeners.set(id, listener)
      return id
    },
    unsubscribe(id) {
      listeners.delete(id)
    },
  }
}

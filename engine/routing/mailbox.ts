/**
 * Envelopes held for a destination that has no route yet, per destination and
 * bounded. In-memory for the walking skeleton; custody with durable quotas is
 * issue 4's. One copy per message id: a sender's retry (the same envelope with
 * a higher attempt) replaces the held copy instead of taking a second slot.
 */
export interface HeldEnvelope {
  /** Hex message id: what a retry of the same envelope shares with the original. */
  readonly id: string
  readonly bytes: Uint8Array
  readonly expiresAt: number
  /** Hex id when this node originated it (so the sender can mark it sent). */
  readonly localId: string | null
  /** Hex id of the neighbour it came from, null when originated here: never flushed back to it. */
  readonly from: string | null
}

/** 'replaced': a copy with the same id was held and the new one took its place. */
export type HoldResult = 'held' | 'replaced' | 'full'

export interface Mailbox {
  /** Holds `envelope`; 'full' when the destination's quota is (a replacement needs no room). */
  hold(destination: string, envelope: HeldEnvelope): HoldResult
  /** True when an envelope with message id `id` is held for `destination`. */
  has(destination: string, id: string): boolean
  /** Removes and returns what is held for `destination` and still unexpired, oldest first. */
  take(destination: string, now: number): HeldEnvelope[]
  destinations(): string[]
  readonly size: number
}

export function createMailbox(perDestinationLimit: number): Mailbox {
  // Per destination, by message id; a Map keeps first-held order through replacements.
  const boxes = new Map<string, Map<string, HeldEnvelope>>()
  let size = 0
  return {
    hold(destination, envelope) {
      const box = boxes.get(destination) ?? new Map<string, HeldEnvelope>()
      const previous = box.get(envelope.id)
      if (previous) {
        // Keep marking it sent if this node originated either copy.
        box.set(envelope.id, { ...envelope, localId: envelope.localId ?? previous.localId })
        return 'replaced'
      }
      if (box.size >= perDestinationLimit) return 'full'
      box.set(envelope.id, envelope)
      boxes.set(destination, box)
      size++
      return 'held'
    },
    has: (destination, id) => boxes.get(destination)?.has(id) ?? false,
    take(destination, now) {
      const box = boxes.get(destination)
      if (!box) return []
      boxes.delete(destination)
      size -= box.size
      return [...box.values()].filter((e) => e.expiresAt >= now)
    },
    destinations: () => [...boxes.keys()],
    get size() {
      return size
    },
  }
}

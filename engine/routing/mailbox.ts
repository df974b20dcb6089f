/**
 * Envelopes held for a destination that has no route yet, per destination and
 * bounded. In-memory for the walking skeleton; custody with durable quotas is
 * issue 4's.
 */
export interface HeldEnvelope {
  readonly bytes: Uint8Array
  readonly expiresAt: number
  /** Hex id when this node originated it (so the sender can mark it sent). */
  readonly localId: string | null
  /** Hex id of the neighbour it came from, null when originated here: never flushed back to it. */
  readonly from: string | null
}

export interface Mailbox {
  /** False when the destination's quota is full (the envelope is not held). */
  hold(destination: string, envelope: HeldEnvelope): boolean
  /** Removes and returns what is held for `destination` and still unexpired. */
  take(destination: string, now: number): HeldEnvelope[]
  destinations(): string[]
  readonly size: number
}

export function createMailbox(perDestinationLimit: number): Mailbox {
  const boxes = new Map<string, HeldEnvelope[]>()
  let size = 0
  return {
    hold(destination, envelope) {
      const box = boxes.get(destination) ?? []
      if (box.length >= perDestinationLimit) return false
      box.push(envelope)
      boxes.set(destination, box)
      size++
      return true
    },
    take(destination, now) {
      const box = boxes.get(destination)
      if (!box) return []
      boxes.delete(destination)
      size -= box.length
      return box.filter((e) => e.expiresAt >= now)
    },
    destinations: () => [...boxes.keys()],
    get size() {
      return size
    },
  }
}

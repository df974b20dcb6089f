/**
 * The home-relay simulator's messages, one slot each in typed arrays (a million users send
 * hundreds of thousands an hour), and the ids their envelopes carry: the kind, the message's
 * index and a serial, so that whoever receives one finds its slot without a lookup.
 */

/** Envelope id kinds: a message, or its end-to-end receipt. */
export const MSG = 1
export const RCPT = 2

/** Fills bytes 0–9 of a 16-byte id: `kind`, `index` and `serial` (u32 each), the seed's low byte. */
export function envelopeId(kind: number, index: number, serial: number, seed: number): Uint8Array {
  const id = new Uint8Array(16)
  id[0] = kind
  id[1] = index >>> 24
  id[2] = (index >>> 16) & 0xff
  id[3] = (index >>> 8) & 0xff
  id[4] = index & 0xff
  id[5] = serial >>> 24
  id[6] = (serial >>> 16) & 0xff
  id[7] = (serial >>> 8) & 0xff
  id[8] = serial & 0xff
  id[9] = seed & 0xff
  return id
}

export class MessageStore {
  capacity: number
  sender: Int32Array
  recipient: Int32Array
  sentAt: Float64Array
  deliveredAt: Float64Array
  /** Bit per attempt seen at the recipient (attempts 0–31). */
  attempts: Uint32Array
  /** 0 pending, 1 confirmed (end-to-end receipt), 2 outbox failed. */
  state: Uint8Array
  /** The recipient was online when it was sent. */
  toOnline: Uint8Array
  /** A home relay of the recipient signed for it (custody receipt accepted). */
  relayed: Uint8Array
  count = 0
  duplicates = 0
  redelivered = 0

  constructor(capacity: number) {
    this.capacity = capacity
    this.sender = new Int32Array(capacity)
    this.recipient = new Int32Array(capacity)
    this.sentAt = new Float64Array(capacity)
    this.deliveredAt = new Float64Array(capacity)
    this.attempts = new Uint32Array(capacity)
    this.state = new Uint8Array(capacity)
    this.toOnline = new Uint8Array(capacity)
    this.relayed = new Uint8Array(capacity)
  }

  /** A new message's index; the arrays double when full. */
  add(): number {
    if (this.count === this.capacity) this.grow()
    return this.count++
  }

  private grow(): void {
    const capacity = (this.capacity *= 2)
    const g = <T extends Int32Array | Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity)
      b.set(a as never)
      return b
    }
    this.sender = g(this.sender, (n) => new Int32Array(n))
    this.recipient = g(this.recipient, (n) => new Int32Array(n))
    this.sentAt = g(this.sentAt, (n) => new Float64Array(n))
    this.deliveredAt = g(this.deliveredAt, (n) => new Float64Array(n))
    this.attempts = g(this.attempts, (n) => new Uint32Array(n))
    this.state = g(this.state, (n) => new Uint8Array(n))
    this.toOnline = g(this.toOnline, (n) => new Uint8Array(n))
    this.relayed = g(this.relayed, (n) => new Uint8Array(n))
  }
}

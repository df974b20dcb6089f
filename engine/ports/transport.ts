/**
 * A duplex, message-oriented byte channel between two neighbours. Messages keep
 * their boundaries and their order. Bytes that arrive before `onMessage` is set
 * are queued and handed over when it is; the same holds for a close that happens
 * before `onClose` is set.
 */
export interface Link {
  /** Transport-level label for logs (`ws:127.0.0.1:53122`), never an identity. */
  readonly label: string
  /** The remote's network address without port, for per-address budgets and scores; absent where unknown. */
  readonly remoteAddress?: string
  /** Bytes handed to the transport and not yet written out (backpressure). */
  readonly bufferedAmount: number
  send(bytes: Uint8Array): void
  onMessage(handler: (bytes: Uint8Array) => void): void
  /** Called once, when either side closed the link or it failed. */
  onClose(handler: (reason: string) => void): void
  close(reason?: string): void
}

export interface Listener {
  /** Where peers can dial this listener (`ws://127.0.0.1:8080/link`). */
  readonly address: string
  close(): Promise<void>
}

export interface Transport {
  /** Opens a link to `address`; rejects with a `DialError` when it cannot. */
  dial(address: string): Promise<Link>
  /** Accepts inbound links; hosts that cannot listen (a browser) omit this. */
  listen?(address: string, onLink: (link: Link) => void): Promise<Listener>
}

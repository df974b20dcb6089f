import type { Link } from '../ports/transport.ts'
import { LinkClosedError, MessageTooLargeError } from './errors.ts'

/**
 * Largest message a link carries, on every transport. The ws transports set
 * `maxPayload` to this, so a peer cannot make us buffer more per frame; the
 * memory transport enforces it too so tests catch an oversize frame early.
 */
export const MAX_MESSAGE_BYTES = 128 * 1024

export interface LinkCoreInit {
  /** Transport-level label for logs, never an identity. */
  readonly label: string
  /** The remote's network address without port, where the transport knows it (Link.remoteAddress). */
  readonly remoteAddress?: string
  /** Writes one message to the channel; only called while the link is open. */
  send(bytes: Uint8Array): void
  /** Closes the channel after a local `close`; called at most once. */
  close(reason: string): void
  bufferedAmount(): number
  /** Called once when the link becomes closed, locally or not (for bookkeeping). */
  onEnded?(): void
}

/** What a transport holds: the `Link` it hands out and the two inputs that drive it. */
export interface LinkCore {
  readonly link: Link
  readonly closed: boolean
  /** Bytes that arrived; queued until `onMessage` is set, dropped once closed. */
  receive(bytes: Uint8Array): void
  /** The channel closed or failed without a local `close`; ignored if already closed. */
  ended(reason: string): void
}

/**
 * The behaviour every transport shares, written once so the contract holds
 * everywhere: queueing before a handler is set, order, exactly-once close,
 * `LinkClosedError` after close, and the size limit. Callbacks run in
 * microtasks, never inside `send`/`close`, so a handler cannot re-enter them.
 */
export function createLinkCore(init: LinkCoreInit): LinkCore {
  return new CoreLink(init)
}

/**
 * One object is both the Link handed out and its core. A class, not closures over two
 * literals: a relay holds one per neighbour (10,000, DESIGN.md §8), and a literal with a
 * getter is kept in dictionary mode by V8 (~450 bytes each, plus a closure per method).
 */
class CoreLink implements Link, LinkCore {
  readonly label: string
  readonly remoteAddress?: string
  private readonly inbox: Uint8Array[] = []
  private head = 0
  private messageHandler: ((bytes: Uint8Array) => void) | undefined = undefined
  private closeHandler: ((reason: string) => void) | undefined = undefined
  private closeReason: string | undefined = undefined
  private closeDelivered = false
  private scheduled = false
  private readonly init: LinkCoreInit

  constructor(init: LinkCoreInit) {
    this.init = init
    this.label = init.label
    if (init.remoteAddress !== undefined) this.remoteAddress = init.remoteAddress
  }

  get link(): Link {
    return this
  }

  get closed(): boolean {
    return this.closeReason !== undefined
  }

  get bufferedAmount(): number {
    return this.closeReason === undefined ? this.init.bufferedAmount() : 0
  }

  send(bytes: Uint8Array): void {
    if (this.closeReason !== undefined) throw new LinkClosedError(`link ${this.label} is closed`)
    if (!(bytes instanceof Uint8Array)) throw new TypeError('send takes a Uint8Array')
    if (bytes.length > MAX_MESSAGE_BYTES) {
      throw new MessageTooLargeError(`message of ${bytes.length} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`)
    }
    this.init.send(bytes)
  }

  onMessage(handler: (bytes: Uint8Array) => void): void {
    this.messageHandler = handler
    if (this.head < this.inbox.length) this.schedule()
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandler = handler
    if (this.closeReason !== undefined) this.schedule()
  }

  close(reason = 'closed'): void {
    if (this.closeReason !== undefined) return
    // After a local close the consumer wants no more input, queued or not.
    this.inbox.length = 0
    this.head = 0
    this.markClosed(reason)
    this.init.close(reason)
  }

  receive(bytes: Uint8Array): void {
    if (this.closeReason !== undefined) return
    if (this.messageHandler && this.head === this.inbox.length && !this.scheduled) {
      this.messageHandler(bytes)
      return
    }
    this.inbox.push(bytes)
    if (this.messageHandler) this.schedule()
  }

  ended(reason: string): void {
    if (this.closeReason !== undefined) return
    this.markClosed(reason)
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    void Promise.resolve().then(() => this.drain())
  }

  private drain(): void {
    this.scheduled = false
    const inbox = this.inbox
    try {
      while (this.messageHandler && this.head < inbox.length) {
        const bytes = inbox[this.head]!
        inbox[this.head++] = EMPTY
        this.messageHandler(bytes)
      }
    } finally {
      // A handler that throws does not lose the messages behind it.
      if (this.head < inbox.length) {
        if (this.messageHandler) this.schedule()
      } else {
        inbox.length = 0
        this.head = 0
      }
    }
    // Pending messages go first; a close waits only for a handler that exists.
    const drained = this.head === inbox.length || !this.messageHandler
    if (this.closeReason !== undefined && this.closeHandler && !this.closeDelivered && drained) {
      this.closeDelivered = true
      this.closeHandler(this.closeReason)
    }
  }

  private markClosed(reason: string): void {
    this.closeReason = reason
    this.schedule()
    this.init.onEnded?.()
  }
}

const EMPTY = new Uint8Array(0)

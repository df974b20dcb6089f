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
  const inbox: Uint8Array[] = []
  let head = 0
  let messageHandler: ((bytes: Uint8Array) => void) | undefined
  let closeHandler: ((reason: string) => void) | undefined
  let closeReason: string | undefined
  let closeDelivered = false
  let scheduled = false

  function schedule(): void {
    if (scheduled) return
    scheduled = true
    void Promise.resolve().then(drain)
  }

  function drain(): void {
    scheduled = false
    try {
      while (messageHandler && head < inbox.length) {
        const bytes = inbox[head]!
        inbox[head++] = EMPTY
        messageHandler(bytes)
      }
    } finally {
      // A handler that throws does not lose the messages behind it.
      if (head < inbox.length) {
        if (messageHandler) schedule()
      } else {
        inbox.length = 0
        head = 0
      }
    }
    // Pending messages go first; a close waits only for a handler that exists.
    const drained = head === inbox.length || !messageHandler
    if (closeReason !== undefined && closeHandler && !closeDelivered && drained) {
      closeDelivered = true
      closeHandler(closeReason)
    }
  }

  function markClosed(reason: string): void {
    closeReason = reason
    schedule()
    init.onEnded?.()
  }

  const link: Link = {
    label: init.label,
    ...(init.remoteAddress !== undefined ? { remoteAddress: init.remoteAddress } : {}),
    get bufferedAmount(): number {
      return closeReason === undefined ? init.bufferedAmount() : 0
    },
    send(bytes: Uint8Array): void {
      if (closeReason !== undefined) throw new LinkClosedError(`link ${init.label} is closed`)
      if (!(bytes instanceof Uint8Array)) throw new TypeError('send takes a Uint8Array')
      if (bytes.length > MAX_MESSAGE_BYTES) {
        throw new MessageTooLargeError(`message of ${bytes.length} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`)
      }
      init.send(bytes)
    },
    onMessage(handler: (bytes: Uint8Array) => void): void {
      messageHandler = handler
      if (head < inbox.length) schedule()
    },
    onClose(handler: (reason: string) => void): void {
      closeHandler = handler
      if (closeReason !== undefined) schedule()
    },
    close(reason = 'closed'): void {
      if (closeReason !== undefined) return
      // After a local close the consumer wants no more input, queued or not.
      inbox.length = 0
      head = 0
      markClosed(reason)
      init.close(reason)
    },
  }

  return {
    link,
    get closed(): boolean {
      return closeReason !== undefined
    },
    receive(bytes: Uint8Array): void {
      if (closeReason !== undefined) return
      if (messageHandler && head === inbox.length && !scheduled) {
        messageHandler(bytes)
        return
      }
      inbox.push(bytes)
      if (messageHandler) schedule()
    },
    ended(reason: string): void {
      if (closeReason !== undefined) return
      markClosed(reason)
    },
  }
}

const EMPTY = new Uint8Array(0)

/**
 * Hands a Link's inbound bytes from one consumer to the next (handshake, then the
 * open session) without losing any in between: the initiator may send transport
 * frames right behind its last handshake message, before the session actor starts.
 */
import type { Link } from '../engine/ports/index.ts'

export interface LinkChannel {
  readonly link: Link
  /** Sets the consumer; bytes queued while there was none are handed over first. */
  setReceiver(receiver: ((bytes: Uint8Array) => void) | null): void
  /** Sets the close handler; called at once if the link already closed. */
  setOnClose(handler: ((reason: string) => void) | null): void
  readonly closedReason: string | null
}

export function createLinkChannel(link: Link): LinkChannel {
  let receiver: ((bytes: Uint8Array) => void) | null = null
  let onClose: ((reason: string) => void) | null = null
  let closedReason: string | null = null
  const queue: Uint8Array[] = []

  link.onMessage((bytes) => {
    if (receiver) receiver(bytes)
    else queue.push(bytes)
  })
  link.onClose((reason) => {
    closedReason = reason
    onClose?.(reason)
  })

  return {
    link,
    setReceiver(next) {
      receiver = next
      while (receiver && queue.length > 0) receiver(queue.shift()!)
    },
    setOnClose(handler) {
      onClose = handler
      if (handler && closedReason !== null) handler(closedReason)
    },
    get closedReason() {
      return closedReason
    },
  }
}

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
  return new Channel(link)
}

/** A class for the reason engine/transport/linkCore.ts gives: one per link, no dictionary-mode literal. */
class Channel implements LinkChannel {
  private receiver: ((bytes: Uint8Array) => void) | null = null
  private onClose: ((reason: string) => void) | null = null
  private reason: string | null = null
  private readonly queue: Uint8Array[] = []
  readonly link: Link

  constructor(link: Link) {
    this.link = link
    link.onMessage((bytes) => {
      if (this.receiver) this.receiver(bytes)
      else this.queue.push(bytes)
    })
    link.onClose((reason) => {
      this.reason = reason
      this.onClose?.(reason)
    })
  }

  get closedReason(): string | null {
    return this.reason
  }

  setReceiver(next: ((bytes: Uint8Array) => void) | null): void {
    this.receiver = next
    while (this.receiver && this.queue.length > 0) this.receiver(this.queue.shift()!)
  }

  setOnClose(handler: ((reason: string) => void) | null): void {
    this.onClose = handler
    if (handler && this.reason !== null) handler(this.reason)
  }
}

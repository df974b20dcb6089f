/**
 * What each delivery state of an outgoing message means, in words (DESIGN.md §5):
 * a short label for screen readers and a sentence for the tooltip. Never more
 * certain than the engine: "delivered" only after the recipient's own receipt.
 */
import type { MessageStatus, MessageView } from '../../workers/api.ts'

export type OutgoingStatus = Exclude<MessageStatus, 'received'>

const LABEL: Record<MessageStatus, string> = {
  queued: 'Queued',
  sent: 'Sent',
  relayed: 'Relayed',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
  received: 'Received',
}

export function statusLabel(status: MessageStatus): string {
  return LABEL[status]
}

/** The tooltip: what the state says about where the message is. */
export function statusDetail(message: Pick<MessageView, 'status' | 'failure'>, contactName: string): string {
  switch (message.status) {
    case 'queued':
      return 'Queued — waiting on this device until there is a connection'
    case 'sent':
      return 'Sent — left this device'
    case 'relayed':
      return `Relayed — a relay holds it until ${contactName} is online`
    case 'delivered':
      return `Delivered to ${contactName}'s device`
    case 'read':
      return `Read by ${contactName}`
    case 'failed':
      if (message.failure === 'expired') return `It expired before ${contactName}'s device could receive it`
      if (message.failure === 'unreachable') return `No route to ${contactName}'s device and no relay took it — try again later`
      return `${contactName}'s device did not receive it`
    case 'received':
      return 'Received'
  }
}

const FAILURE_TEXT: Record<string, string> = {
  expired: 'expired',
  unreachable: 'could not reach them',
}

/** "Not delivered — expired"; an unknown or missing reason is not guessed at. */
export function failureText(failure: string | undefined): string {
  const reason = failure === undefined ? undefined : FAILURE_TEXT[failure]
  return reason === undefined ? 'Not delivered' : `Not delivered — ${reason}`
}

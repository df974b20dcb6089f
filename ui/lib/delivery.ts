/**
 * What each delivery state of an outgoing message means, in words (DESIGN.md §5):
 * a short label for screen readers and a sentence for the tooltip. Never more
 * certain than the engine: "delivered" only after the recipient's own receipt.
 */
import type { DeliveryProblem, MessageStatus, MessageView } from '../../workers/api.ts'

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

/** Why a message still waits, as a relay said, in words; it stays queued and goes again. */
export function problemDetail(problem: DeliveryProblem, contactName: string): string {
  switch (problem) {
    case 'home-unreachable':
      return `${contactName}'s relays cannot be reached right now. It stays on this device and is sent again.`
    case 'no-custody':
      return `No relay would hold it for ${contactName} yet. It stays on this device and is sent again.`
    case 'destination-full':
    case 'sender-over-quota':
      return `${contactName}'s relay is full right now. It stays on this device and is sent again.`
    case 'too-large':
      return 'Too large for the relay to hold. It stays on this device.'
    case 'expired':
      return 'It expired on the way. It stays on this device until it expires here too.'
  }
}

/** The tooltip: what the state says about where the message is (and why it still waits, when a relay said). */
export function statusDetail(message: Pick<MessageView, 'status' | 'failure'> & { readonly problem?: DeliveryProblem }, contactName: string): string {
  const waiting = message.problem === undefined ? '' : ` — ${problemDetail(message.problem, contactName)}`
  switch (message.status) {
    case 'queued':
      return `Queued — waiting on this device until there is a connection${waiting}`
    case 'sent':
      return `Sent — left this device${waiting}`
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

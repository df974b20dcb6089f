/**
 * Plain, structured-clone-able views of the messenger's state: what crosses the
 * worker boundary to the page (workers/api.ts re-exports them).
 */
import type { QualityView } from '../routing/linkQuality.ts'

export interface ProfileView {
  readonly displayName: string
  /** Hex Ed25519 public key: the user's identity. */
  readonly id: string
  /** Short human form of the fingerprint (SHA-256 of the key), for display. */
  readonly fingerprint: string
}

export interface ContactView {
  /** Hex Ed25519 public key; the only thing that ever resolves a recipient. */
  readonly id: string
  readonly displayName: string
  readonly fingerprint: string
  /** 60-digit safety number of (me, contact), in 12 groups of 5, identical on both sides. */
  readonly safetyNumber: string
  readonly addedAt: number
  /** The user compared safety numbers and marked this contact verified. */
  readonly verified: boolean
  /**
   * When the contact's identity key (the X25519 key its sessions start from) last
   * changed; the conversation warns until the user verifies again. Never a silent rebind.
   */
  readonly keyChangedAt: number | null
}

/**
 * Honest delivery states (DESIGN.md §5): queued (stored here) → sent (left this
 * device) → relayed (a custodian acknowledged it) → delivered (end-to-end receipt)
 * → read (opt-in read receipt); or failed (expired undelivered). Incoming
 * messages are 'received', then 'read' once shown.
 */
export type MessageStatus = 'queued' | 'sent' | 'relayed' | 'delivered' | 'read' | 'failed' | 'received'

/** Why queued messages are not relayed yet, as a relay reported it (engine/wire RefuseReason). */
export type DeliveryProblem = 'home-unreachable' | 'no-custody' | 'destination-full' | 'sender-over-quota' | 'too-large' | 'expired'

export interface MessageView {
  /** Hex message id (16 bytes), stable across retries and redeliveries. */
  readonly id: string
  readonly contactId: string
  readonly direction: 'in' | 'out'
  readonly text: string
  /** Sender's clock, ms since epoch. */
  readonly timestamp: number
  /** Position in this device's copy of the conversation (0, 1, 2 …): the cursor for older pages. */
  readonly seq: number
  readonly status: MessageStatus
  /** Why a message failed ('expired'), for the UI to show; absent otherwise. */
  readonly failure?: string
}

export interface LinkView {
  /** Hex id of the peer once the handshake told us; null while connecting. */
  readonly peerId: string | null
  readonly address: string | null
  readonly state: 'connecting' | 'handshaking' | 'open' | 'waiting' | 'closed'
  /** RTT, jitter, loss, throughput and grade of an open link; null while it is not open. */
  readonly quality: QualityView | null
}

/** Events from the engine, delivered to subscribers in batches (the data plane). */
export type EngineEvent =
  | { readonly type: 'message'; readonly message: MessageView }
  | {
      readonly type: 'messageStatus'
      readonly id: string
      readonly contactId: string
      readonly status: MessageStatus
      /** Why, when status is 'failed'. */
      readonly failure?: string
    }
  | {
      /**
       * A relay told us why messages still wait (issue 11): the recipient's home relays cannot be
       * reached ('home-unreachable'), a relay would not hold them ('no-custody'), or custody is
       * full ('destination-full', 'sender-over-quota'). They stay queued and go again; the
       * next status change (relayed, delivered, failed) supersedes this.
       */
      readonly type: 'deliveryProblem'
      readonly contactId: string
      readonly ids: readonly string[]
      readonly reason: DeliveryProblem
    }
  | { readonly type: 'contact'; readonly contact: ContactView }
  | { readonly type: 'links'; readonly links: readonly LinkView[] }

export interface HistoryQuery {
  /** Only messages before this position (a message's `seq`): the next older page. */
  readonly before?: number
  /** Page size, default 50, at most 500. */
  readonly limit?: number
}

/** How traffic to a contact travels right now, and how well. */
export interface ContactPath {
  /** 'direct': an open link to the contact itself; 'relay': through a neighbour; 'none': no route. */
  readonly via: 'direct' | 'relay' | 'none'
  /** Hex id of the neighbour carrying it (the contact itself when direct). */
  readonly neighbour: string | null
  /** Quality of that first link (the only one this device measures). */
  readonly quality: LinkView['quality']
}

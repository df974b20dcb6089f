/**
 * What the data plane reports about envelopes this engine sent, turned into message states
 * and events: the first transmission (sent), a custodian's claim (relayed — but only a signed
 * receipt from one of the recipient's home relays counts once their reach record is known,
 * issue 11), and a relay's refusal (the message stays queued; the user is told why).
 */
import type { EngineEvent, Messenger, MessageView } from '../engine/messenger/index.ts'
import { heldContactReach } from '../engine/messenger/index.ts'
import type { Clock } from '../engine/ports/index.ts'
import { acceptsCustodyReceipt } from '../engine/reach/index.ts'
import type { VerifiedCustodyReceipt } from '../engine/reach/index.ts'
import type { RefuseReason } from '../engine/wire/index.ts'
import type { Outboxes } from './outboxes.ts'

/** The engine's counters these reports add to (EngineDiagnostics). */
export interface DeliveryCounters {
  custodyClaimsIgnored: number
  custodyReceiptsAccepted: number
  readonly custodyReceiptsRefused: Record<string, number>
  readonly refusals: Record<string, number>
}

export interface DeliveryReportsInit {
  readonly messenger: Messenger
  readonly clock: Clock
  readonly outboxes: () => Outboxes | null
  /** Each contact's verified reach record, as the engine keeps them. */
  readonly contactRecords: ReadonlyMap<string, Uint8Array>
  readonly counters: DeliveryCounters
  readonly statusEvents: (messages: readonly MessageView[]) => void
  readonly push: (event: EngineEvent) => void
}

export interface DeliveryReports {
  onSent(envelopeId: string): void
  onRelayed(envelopeId: string): void
  onCustodyReceipt(envelopeId: string, receipt: VerifiedCustodyReceipt): void
  onRefused(envelopeId: string, reason: RefuseReason): void
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1
}

export function createDeliveryReports(d: DeliveryReportsInit): DeliveryReports {
  const { messenger, counters } = d
  const markRelayed = (destination: string, envelopeId: string): void => {
    d.outboxes()?.relayed(envelopeId)
    void messenger.markRelayed(destination, envelopeId).then(d.statusEvents, () => undefined)
  }
  return {
    // Only an envelope's first transmission moves its messages to sent (receipts and signals,
    // not in an outbox, have no status).
    onSent(envelopeId) {
      const destination = d.outboxes()?.firstSent(envelopeId)
      if (destination !== undefined) void messenger.markSent(destination, envelopeId).then(d.statusEvents, () => undefined)
    },
    // Any neighbour can send a plain ack (issue 11: a peer that replayed an offline user's
    // announcement acked the mail it diverted), so it counts only for a contact whose home relays
    // we do not know; for the others only their home relay's signed receipt does.
    onRelayed(envelopeId) {
      const destination = d.outboxes()?.destinationOf(envelopeId)
      if (destination === undefined) return
      if (d.contactRecords.has(destination)) counters.custodyClaimsIgnored++
      else markRelayed(destination, envelopeId)
    },
    onCustodyReceipt(envelopeId, receipt) {
      const destination = d.outboxes()?.destinationOf(envelopeId)
      if (destination === undefined) return
      const bytes = d.contactRecords.get(destination)
      // Home relays unknown: a signed receipt is at least what a plain ack is.
      const verdict = bytes === undefined ? ({ ok: true } as const) : acceptsCustodyReceipt(receipt, heldContactReach(bytes), d.clock.now())
      if (!verdict.ok) return bump(counters.custodyReceiptsRefused, verdict.reason)
      counters.custodyReceiptsAccepted++
      markRelayed(destination, envelopeId)
    },
    // The outbox keeps the envelope and sends it again later; the user is told why it waits.
    onRefused(envelopeId, reason) {
      bump(counters.refusals, reason)
      const destination = d.outboxes()?.destinationOf(envelopeId)
      if (destination === undefined) return
      void messenger.messageIdsOf(destination, envelopeId).then((ids) => {
        if (ids.length > 0) d.push({ type: 'deliveryProblem', contactId: destination, ids, reason })
      }, () => undefined)
    },
  }
}

/**
 * Custody receipts on a relay (issue 11): for a destination that registered this relay
 * as a home relay (engine/reach/homeRegistry.ts), what the relay takes into custody is
 * answered with a receipt it signs (engine/reach/custodyReceipt.ts) instead of a plain
 * ack, so the sender can tell its recipient's home relay from any neighbour that says
 * "held". Held ids are queued per neighbour and destination and signed once a tick, after
 * the custody journal is durable, at most MAX_RECEIPT_IDS ids per receipt: one Ed25519
 * signature per (neighbour, destination) per tick, not one per envelope.
 *
 * Receipts that arrive from a neighbour for envelopes that passed through this node go
 * back unchanged, the way the envelopes came (only their signer could have made them).
 */
import { fromHex, toHex } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import type { Crypto } from '../ports/index.ts'
import { MAX_CUSTODY_HOLD_MS, MAX_RECEIPT_IDS, signCustodyReceipt } from '../reach/index.ts'

export interface OutgoingReceipt {
  /** The neighbour (hex id) the receipt goes to. */
  readonly to: string
  readonly receipt: Uint8Array
}

export interface ReceiptQueue {
  /** `id` from neighbour `from`, for `destination` (hex), is held until `heldUntil` at the latest. */
  held(from: string, destination: string, id: Uint8Array, heldUntil: number): void
  /** A receipt made elsewhere, to pass on to `to` as it is. */
  pass(to: string, receipt: Uint8Array): void
  /** Everything queued, signed where it is this relay's own, and forgotten here. */
  drain(now: number): OutgoingReceipt[]
}

interface Pending {
  readonly ids: Uint8Array[]
  /** The earliest promise among them: one receipt carries one heldUntil. */
  heldUntil: number
}

export function createReceiptQueue(init: { readonly crypto: Crypto; readonly identity: Identity }): ReceiptQueue {
  /** neighbour → destination → ids held since the last drain. */
  const own = new Map<string, Map<string, Pending>>()
  /** neighbour → receipts to pass on; a Set, so a receipt covering several ids goes once. */
  const passing = new Map<string, Set<Uint8Array>>()
  return {
    held(from, destination, id, heldUntil) {
      let byDestination = own.get(from)
      if (!byDestination) own.set(from, (byDestination = new Map()))
      const pending = byDestination.get(destination)
      if (pending) {
        pending.ids.push(id)
        pending.heldUntil = Math.min(pending.heldUntil, heldUntil)
      } else byDestination.set(destination, { ids: [id], heldUntil })
    },
    pass(to, receipt) {
      let receipts = passing.get(to)
      if (!receipts) passing.set(to, (receipts = new Set()))
      receipts.add(receipt)
    },
    drain(now) {
      const out: OutgoingReceipt[] = []
      const issuedAt = Math.floor(now)
      for (const [to, byDestination] of own) {
        for (const [destination, pending] of byDestination) {
          // A retry of an id already queued this tick adds nothing to the promise.
          const ids = distinct(pending.ids)
          for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
            const receipt = signCustodyReceipt(init.crypto, init.identity, {
              recipient: fromHex(destination),
              ids: ids.slice(i, i + MAX_RECEIPT_IDS),
              issuedAt,
              heldUntil: Math.min(issuedAt + MAX_CUSTODY_HOLD_MS, Math.max(issuedAt + 1, Math.floor(pending.heldUntil))),
            })
            out.push({ to, receipt })
          }
        }
      }
      own.clear()
      for (const [to, receipts] of passing) for (const receipt of receipts) out.push({ to, receipt })
      passing.clear()
      return out
    },
  }
}

function distinct(ids: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>()
  const out: Uint8Array[] = []
  for (const id of ids) {
    const key = toHex(id)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(id)
  }
  return out
}

/**
 * This user's reach record (issue 11, engine/reach/reachRecord.ts): which home relays
 * keep its mail. The home relays are the relays the user chose, by the identity their
 * link handshake proved; the first three, in the order chosen. The record is signed
 * again when that list changes, and before it gets old, and the engine registers it at
 * each relay it dials (workers/startMesh.ts `ownReach`, the link's 'reach' frame).
 *
 * The seqno is the signing time (or one past the last seqno, if the clock stepped back),
 * so a restart or a restore from backup still outranks what the relays hold without
 * storing a counter (reachRecord.ts explains the rule).
 */
import { fromHex } from '../engine/bytes.ts'
import type { Identity } from '../engine/identity/index.ts'
import type { Clock, Crypto } from '../engine/ports/index.ts'
import { MAX_REACH_LIFETIME_MS, MAX_REACH_RELAYS, signReachRecord } from '../engine/reach/index.ts'
import { relayUrlProblem } from '../engine/wire/index.ts'

/** Signed again once less than this is left: a relay drops an expired record, and its custody with it. */
export const REACH_RENEW_BEFORE_MS = 7 * 24 * 60 * 60_000

export interface HomeRelay {
  readonly address: string
  /** Hex identity the relay proved in its link handshake. */
  readonly identityHex: string
}

export interface HomeRecord {
  /** The relays the user chose that are known by identity, in order; true when the record was signed again. */
  update(homes: readonly HomeRelay[]): boolean
  /** The current signed record, or null before any home relay is known. */
  current(): Uint8Array | null
}

export function createHomeRecord(init: { readonly crypto: Crypto; readonly identity: Identity; readonly clock: Clock }): HomeRecord {
  let signed: Uint8Array | null = null
  let key = ''
  let seqno = 0
  let expiresAt = 0
  return {
    update(homes) {
      // Only addresses another device can dial go in a record (ws:// and wss://; tests' mem:// do not).
      const chosen = homes.filter((h) => relayUrlProblem(h.address) === undefined).slice(0, MAX_REACH_RELAYS)
      const next = chosen.map((h) => `${h.identityHex} ${h.address}`).join('\n')
      const now = Math.floor(init.clock.now())
      const fresh = signed !== null && next === key && expiresAt - now > REACH_RENEW_BEFORE_MS
      if (fresh || chosen.length === 0) return false
      seqno = Math.max(seqno + 1, now)
      expiresAt = now + MAX_REACH_LIFETIME_MS
      signed = signReachRecord(init.crypto, init.identity, {
        seqno,
        issuedAt: now,
        expiresAt,
        relays: chosen.map((h) => ({ identity: fromHex(h.identityHex), address: h.address })),
      })
      key = next
      return true
    },
    current: () => signed,
  }
}

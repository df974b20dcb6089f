/**
 * A node's data plane: the forwarder (where each envelope goes), the router
 * (which neighbour leads where, from signed announcements) and custody acks,
 * behind the few calls a mesh node's links make. Pure: links are `PlaneHop`s,
 * time comes from `tick(now)`, so the simulator and tests drive the same code.
 */
import { toHex } from '../bytes.ts'
import type { Identity } from '../identity/index.ts'
import type { Clock, Crypto } from '../ports/index.ts'
import type { PublicSignedPrekey } from '../session/index.ts'
import { MESSAGE_ID_BYTES } from '../wire/index.ts'
import type { Envelope, LinkFrame, RefuseReason } from '../wire/index.ts'
import { checkCustodyReceipt, decodeCustodyReceipt, isReachError } from '../reach/index.ts'
import type { DecodedCustodyReceipt, HomeRegistry, VerifiedCustodyReceipt } from '../reach/index.ts'
import { createReceiptQueue } from './custodyReceipts.ts'
import { isAnnouncementError } from './errors.ts'
import { createForwarder } from './forwarder.ts'
import { createReachRouting } from './reachRouting.ts'
import { DEFAULT_CUSTODY } from './mailbox.ts'
import type { Forwarder, ForwarderInit, HomeHint, Hop, RouteResult } from './forwarder.ts'
import { createRouter } from './router.ts'
import type { Outgoing, Router } from './router.ts'

/** A neighbour's open link: envelopes (coalesced) and control frames. */
export interface PlaneHop extends Hop {
  frame(frame: LinkFrame): void
}

export interface DataPlaneInit {
  readonly identity: Identity
  readonly crypto: Crypto
  readonly clock: Clock
  /** Relays hold mail for the unreachable and say so in their announcements. */
  readonly custodian?: boolean
  readonly prekey?: () => PublicSignedPrekey | null
  readonly deliverLocal: (envelope: Envelope) => void
  /** An envelope this node originated left on a link. */
  readonly onSent?: (envelopeId: string) => void
  /** A custodian acknowledged an envelope this node originated. */
  readonly onRelayed?: (envelopeId: string) => void
  /** A custodian (this node's or one further on) would not hold an envelope this node originated. */
  readonly onRefused?: (envelopeId: string, reason: RefuseReason) => void
  /** A route to `destination` appeared: what this node queues for it may go now. */
  readonly onRouteUp?: (destination: string) => void
  readonly announceIntervalMs?: number
  /** Custody budgets and, on a relay, its journal on disk (flushed each tick, before the custody acks). */
  readonly custody?: ForwarderInit['custody']
  /** A relay's registrations: the users who name it as a home relay (issue 11). Absent, 'reach' frames are ignored. */
  readonly homes?: HomeRegistry
  /** This node's own signed reach record, registered at every relay it dials (upstream links); null while it has none. */
  readonly ownReach?: () => Uint8Array | null
  /**
   * A custodian signed a receipt for an envelope this node originated (verified here:
   * signature and times). Whether it counts is the sender's rule (acceptsCustodyReceipt).
   */
  readonly onCustodyReceipt?: (envelopeId: string, receipt: VerifiedCustodyReceipt) => void
  /**
   * A user's engine: the signed reach record (verified when it arrived) of a contact, by hex
   * id, or null. Mail for them goes to their home relays, and the record goes ahead of it to
   * the relay that carries it there. Return the same bytes object while the record is the same.
   */
  readonly reachOf?: (destination: string) => Uint8Array | null
  /** A user's engine: true for the relays the user chose (private routing goes through them). */
  readonly ownRelay?: (peerId: string) => boolean
  /** No link is open to any of a destination's home relays: dial them (a bounded pool, startMesh). */
  readonly dialRelays?: (relays: readonly HomeHint[]) => void
  /** A relay this node dialed on demand carried mail now (the pool keeps it while in use). */
  readonly onRelayUsed?: (peerId: string) => void
  /**
   * False on a user's engine: it holds no one else's mail (custody is the recipient's choice, and
   * it is nobody's home relay), so it never acknowledges any. Default true (plain mesh nodes).
   */
  readonly holdForOthers?: boolean
  /** Others' reach records a relay keeps, to forward their mail to their home relays (default 10,000). */
  readonly maxLearnedRecords?: number
}

export interface DataPlane {
  readonly forwarder: Forwarder
  readonly router: Router
  linkOpen(peerId: string, hop: PlaneHop): void
  linkDown(peerId: string, hop: PlaneHop): void
  /** True while a link to `peerId` is open. */
  linked(peerId: string): boolean
  envelopes(peerId: string, envelopes: readonly Uint8Array[]): void
  /** False when the announcement was rejected (forged, stale, malformed): the link counts it against the neighbour. */
  announcement(peerId: string, announcement: Uint8Array, metric: number): boolean
  /**
   * A neighbour's plain custody ack. False when it claims custody of an envelope this node sent
   * to someone whose home relays it knows: only their signed receipt counts (issue 11), so the
   * claim is worthless, and the link counts it against the neighbour.
   */
  ack(peerId: string, ids: readonly Uint8Array[]): boolean
  /** A neighbour would not hold these envelopes: tell their sender, the way they came. */
  refuse(peerId: string, reason: RefuseReason, ids: readonly Uint8Array[]): void
  /** A neighbour registered its reach record here; false when no honest client would have sent it (the link counts it). */
  reach(peerId: string, record: Uint8Array): boolean
  /** This node's reach record changed: register it again at every relay it dialed. */
  publishReach(): void
  /** A neighbour passed a custody receipt; false when it was malformed or forged (the link counts it). */
  custody(peerId: string, receipt: Uint8Array): boolean
  /** Routes an envelope this node originated. */
  send(bytes: Uint8Array): RouteResult
  /** Periodic work: announcements, route expiry, pending acks. Call about once a second. */
  tick(now: number): void
  /** Announcements a neighbour sent that failed verification (for peer scoring). */
  readonly rejectedAnnouncements: number
  /** Others' reach records a relay holds to forward their mail (0 on a user's node). */
  readonly learnedRecords: number
}

/** Ids remembered for acks (originated here, or the neighbour each came from). */
const MAX_REMEMBERED = 20_000
const MAX_ACK_IDS = 1_024
/** Envelope layout (engine/wire/envelope.ts, v2 as v1): version u8, the id, then the 32-byte destination. */
const ID_END = 1 + MESSAGE_ID_BYTES
const DESTINATION_END = ID_END + 32

/** Hex message id of envelope bytes, '' when too short to carry one (the forwarder drops those). */
const idOf = (bytes: Uint8Array): string => (bytes.length > ID_END ? toHex(bytes.subarray(1, ID_END)) : '')

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  // Re-inserted, not updated in place: a retry refreshes its id, so the oldest id is evicted first.
  map.delete(key)
  map.set(key, value)
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string)
}

export function createDataPlane(init: DataPlaneInit): DataPlane {
  const hops = new Map<string, PlaneHop>()
  /** Envelope ids this node sent, with their destination (hex). */
  const originated = new Map<string, string>()
  const cameFrom = new Map<string, string>()
  const pendingAcks = new Map<string, Uint8Array[]>()
  /** Per neighbour, ids refused by reason: sent with the acks, once a tick. */
  const pendingRefusals = new Map<string, Map<RefuseReason, Uint8Array[]>>()
  let rejected = 0

  const queueAck = (peerId: string, id: Uint8Array): void => {
    const list = pendingAcks.get(peerId) ?? []
    list.push(id)
    pendingAcks.set(peerId, list)
  }
  const receipts = createReceiptQueue({ crypto: init.crypto, identity: init.identity })
  const maxHoldMs = init.custody?.maxHoldMs ?? DEFAULT_CUSTODY.maxHoldMs
  const queueRefusal = (peerId: string, reason: RefuseReason, id: Uint8Array): void => {
    let byReason = pendingRefusals.get(peerId)
    if (!byReason) pendingRefusals.set(peerId, (byReason = new Map()))
    const list = byReason.get(reason) ?? []
    list.push(id)
    byReason.set(reason, list)
  }
  const homes = init.homes
  const reach = createReachRouting({
    crypto: init.crypto,
    clock: init.clock,
    ...(homes ? { homes } : {}),
    ...(init.reachOf ? { reachOf: init.reachOf } : {}),
    ...(init.maxLearnedRecords !== undefined ? { maxLearnedRecords: init.maxLearnedRecords } : {}),
  })
  /** Mail leaving on a relay link: that link stays in the pool, and a user's contact's record goes first. */
  const beforeSend = (peerId: string, hop: Hop, destination: string): void => {
    if (hop.kind !== 'upstream') return
    init.onRelayUsed?.(peerId)
    reach.passAhead(peerId, hop as PlaneHop, destination)
  }
  const forwarder = createForwarder({
    self: init.identity.signingKey.publicKey,
    clock: init.clock,
    deliverLocal: init.deliverLocal,
    ...(init.onSent ? { onSent: init.onSent } : {}),
    route: (destination) => router.nextHop(destination),
    onHeld: (id, from, destination, expiresAt) => {
      const now = init.clock.now()
      // A home relay signs for the users who registered it; anyone else's mail gets a plain ack.
      if (init.homes?.isHome(destination, now)) receipts.held(from, destination, id, Math.min(expiresAt, now + maxHoldMs))
      else queueAck(from, id)
    },
    onRefused: (id, from, reason) => {
      if (from === null) init.onRefused?.(toHex(id), reason)
      else queueRefusal(from, reason, id)
    },
    ...(init.custody ? { custody: init.custody } : {}),
    ...(homes
      ? {
          keepFor: (destination: string, now: number) => homes.isHome(destination, now),
          custodyFor: (destination: string, now: number) => homes.isHome(destination, now),
          upstreamFallback: false,
        }
      : init.holdForOthers === false
        ? { custodyFor: () => false }
        : {}),
    homesOf: reach.homesOf,
    beforeSend,
    ...(init.dialRelays ? { dial: init.dialRelays } : {}),
    ...(init.ownRelay ? { ownRelay: init.ownRelay } : {}),
  })
  const router: Router = createRouter({
    self: init.identity,
    crypto: init.crypto,
    clock: init.clock,
    custodian: init.custodian ?? false,
    prekey: init.prekey ?? (() => null),
    ...(init.announceIntervalMs ? { announceIntervalMs: init.announceIntervalMs } : {}),
    // A new route may reach mail held for that destination.
    onRouteChange: (destination, nextHop) => {
      if (nextHop === null) return
      forwarder.retry(destination)
      init.onRouteUp?.(destination)
    },
  })
  /** False when the custody journal could not be made durable (its store reports why). */
  const flushCustody = (): boolean => {
    try {
      init.custody?.journal?.flush()
      return true
    } catch {
      return false
    }
  }
  const sendFrames = (frames: readonly Outgoing[]): void => {
    for (const o of frames) hops.get(o.to)?.frame(o.frame)
  }

  return {
    forwarder,
    router,
    linkOpen(peerId, hop) {
      hops.set(peerId, hop)
      forwarder.addHop(peerId, hop)
      sendFrames(router.linkUp(peerId))
      const record = hop.kind === 'upstream' ? init.ownReach?.() : null
      if (record) hop.frame({ type: 'reach', record })
    },
    linkDown(peerId, hop) {
      forwarder.removeHop(peerId, hop)
      if (hops.get(peerId) === hop) hops.delete(peerId)
      sendFrames(router.linkDown(peerId))
    },
    linked: (peerId) => hops.has(peerId),
    envelopes(peerId, envelopes) {
      for (const bytes of envelopes) {
        const id = idOf(bytes)
        // Retries share the id: an ack goes back to whichever neighbour sent the latest attempt.
        // Held too: mail queued for a dial is forwarded later, and its home relay's receipt must
        // find the way back (bench/sim/homeSim.md, finding 3).
        const result = forwarder.route(bytes, peerId)
        if ((result === 'forwarded' || result === 'held') && id) remember(cameFrom, id, peerId)
      }
    },
    announcement(peerId, announcement, metric) {
      try {
        sendFrames(router.receive(peerId, announcement, metric))
        return true
      } catch (error) {
        // A forged or stale announcement changes nothing; count it against the neighbour.
        if (!isAnnouncementError(error) && (error as Error).name !== 'MalformedError' && (error as Error).name !== 'UnsupportedVersionError') throw error
        rejected++
        return false
      }
    },
    ack(peerId, ids) {
      let honest = true
      for (const id of ids) {
        const hex = toHex(id)
        const destination = originated.get(hex)
        if (destination !== undefined) {
          if (init.reachOf?.(destination)) honest = false
          init.onRelayed?.(hex)
        } else if (!homes) {
          // Pass it back the way the envelope came, toward its (unknown to us) sender. A relay
          // with home registrations does not: only signed receipts count for custody now.
          const back = cameFrom.get(hex)
          if (back !== undefined && back !== peerId) queueAck(back, id)
        }
      }
      return honest
    },
    refuse(peerId, reason, ids) {
      for (const id of ids) {
        const hex = toHex(id)
        if (originated.has(hex)) init.onRefused?.(hex, reason)
        else {
          const back = cameFrom.get(hex)
          if (back !== undefined && back !== peerId) queueRefusal(back, reason, id)
        }
      }
    },
    reach(peerId, record) {
      const { honest, moved } = reach.learn(peerId, record, init.clock.now())
      if (moved !== null) forwarder.retry(moved)
      return honest
    },
    custody(peerId, receipt) {
      let decoded: DecodedCustodyReceipt
      try {
        decoded = decodeCustodyReceipt(receipt)
      } catch (error) {
        if (!isReachError(error)) throw error
        return false
      }
      const mine: string[] = []
      for (const id of decoded.receipt.ids) {
        const hex = toHex(id)
        if (originated.has(hex)) mine.push(hex)
        else {
          const back = cameFrom.get(hex)
          if (back !== undefined && back !== peerId) receipts.pass(back, receipt)
        }
      }
      if (mine.length === 0) return true
      let verified: VerifiedCustodyReceipt
      try {
        verified = checkCustodyReceipt(init.crypto, decoded, { now: init.clock.now() })
      } catch (error) {
        if (!isReachError(error)) throw error
        // Forged, or expired on the way: nothing is promised, so nothing counts.
        return (error as Error).name === 'RecordExpiredError'
      }
      for (const hex of mine) init.onCustodyReceipt?.(hex, verified)
      return true
    },
    publishReach() {
      const record = init.ownReach?.()
      if (!record) return
      for (const hop of hops.values()) if (hop.kind === 'upstream') hop.frame({ type: 'reach', record })
    },
    send(bytes) {
      const id = idOf(bytes)
      if (id && bytes.length >= DESTINATION_END) remember(originated, id, toHex(bytes.subarray(ID_END, DESTINATION_END)))
      return forwarder.route(bytes, null)
    },
    tick(now) {
      sendFrames(router.tick(now))
      forwarder.prune()
      reach.prune(now)
      // An ack promises the mail is on disk (DESIGN.md §6): flush first. If the
      // write fails, the acks wait for a flush that works; senders retry meanwhile.
      if (flushCustody()) {
        for (const [peerId, ids] of pendingAcks) {
          const hop = hops.get(peerId)
          if (hop) for (let i = 0; i < ids.length; i += MAX_ACK_IDS) hop.frame({ type: 'ack', ids: ids.slice(i, i + MAX_ACK_IDS) })
        }
        pendingAcks.clear()
        for (const { to, receipt } of receipts.drain(now)) hops.get(to)?.frame({ type: 'custody', receipt })
      }
      for (const [peerId, byReason] of pendingRefusals) {
        const hop = hops.get(peerId)
        if (!hop) continue
        for (const [reason, ids] of byReason) {
          for (let i = 0; i < ids.length; i += MAX_ACK_IDS) hop.frame({ type: 'refuse', reason, ids: ids.slice(i, i + MAX_ACK_IDS) })
        }
      }
      pendingRefusals.clear()
    },
    get rejectedAnnouncements() {
      return rejected
    },
    get learnedRecords() {
      return reach.learnedRecords
    },
  }
}

/**
 * The users' mail in the home-relay simulator: each message's outbox item, settled by the
 * product's outbox policy (machines/outboxPolicy.ts: admitItem, settleDue), and what arrives
 * at a user: messages answered with an end-to-end receipt for every copy (as
 * engine/messenger/receiver.ts does), receipts that confirm, custody receipts counted by the
 * sender's rule (acceptsCustodyReceipt). Plain acks count for nothing.
 */
import { equals } from '../../engine/bytes.ts'
import { DEFAULT_TTL, MESSAGE_LIFETIME_MS } from '../../engine/messenger/sealer.ts'
import { acceptsCustodyReceipt, checkCustodyReceipt, decodeCustodyReceipt, decodeReachRecord } from '../../engine/reach/index.ts'
import type { VerifiedReachRecord } from '../../engine/reach/index.ts'
import { decodeEnvelope, encodeEnvelope, withAttempt } from '../../engine/wire/index.ts'
import type { LinkFrame } from '../../engine/wire/index.ts'
import { admitItem, DEFAULT_OUTBOX_POLICY as policy, settleDue } from '../../machines/outboxPolicy.ts'
import type { OutboxEntry } from '../../machines/outboxPolicy.ts'
import { indexOf } from './homeCrypto.ts'
import type { Link } from './homeLink.ts'
import { envelopeId, MessageStore, MSG, RCPT } from './homeMessages.ts'
import type { Population } from './homePopulation.ts'
import type { Users } from './homeUser.ts'
import type { HomeWorld } from './homeWorld.ts'

interface Pending {
  entry: OutboxEntry
  readonly bytes: Uint8Array
  /** Bumped at each scheduling: only the latest timer settles. */
  token: number
}

export interface Mail {
  readonly messages: MessageStore
  /** Messages in outboxes. */
  pendingCount(): number
  /** `s` writes to `d`: the message goes into `s`'s outbox. */
  newMessage(s: number, d: number): void
  /** `u`'s engine starts again: every waiting item is due at once, its attempts kept. */
  resume(u: number): void
  /** A frame arrives at user `u` on `link`. */
  receive(u: number, link: Link, frame: LinkFrame): void
}

const BODY = new Uint8Array(160).fill(0x5a)
const RECEIPT_BODY = new Uint8Array(120).fill(0xa5)

export function createMail(world: HomeWorld, population: Population, users: Users): Mail {
  const { loop, at, counters, crypto, jitter, refuse } = world
  const { users: N, rate, hours, seed } = world.config
  const { online } = users
  const messages = new MessageStore(Math.max(1024, Math.ceil(N * rate * hours * 1.2)))
  const pending = new Map<number, Pending>()
  const pendingBySender = new Map<number, Set<number>>()
  let receiptSerial = 0

  const forgetPending = (s: number, m: number): void => {
    pending.delete(m)
    const mine = pendingBySender.get(s)
    if (mine?.delete(m) && mine.size === 0) pendingBySender.delete(s)
  }
  const settle = (m: number): void => {
    const p = pending.get(m)
    if (!p) return
    const s = messages.sender[m]!
    // The engine is not running while its user is offline: nothing is due until it starts again.
    if (online[s] !== 1) return
    const step = settleDue([p.entry], loop.now, policy, jitter)
    for (const effect of step.effects) {
      if (effect.kind === 'transmit') {
        counters.messageTransmissions++
        users.transmit(s, messages.recipient[m]!, m, effect.attempt === 0 ? p.bytes : withAttempt(p.bytes, effect.attempt))
      } else {
        forgetPending(s, m)
        messages.state[m] = 2
        refuse(`outbox ${effect.reason}`)
        return
      }
    }
    p.entry = step.entries[0]!
    const due = p.entry.dueAt
    if (due === null) return
    const token = ++p.token
    at(due, () => {
      if (pending.get(m) === p && p.token === token) settle(m)
    })
  }

  const newMessage = (s: number, d: number): void => {
    const m = messages.add()
    const now = loop.now
    messages.sender[m] = s
    messages.recipient[m] = d
    messages.sentAt[m] = now
    messages.toOnline[m] = online[d]!
    counters.messagesSent++
    const bytes = encodeEnvelope({
      header: { version: 2, id: envelopeId(MSG, m, 0, seed), destination: population.userKey(d), ttl: DEFAULT_TTL, attempt: 0, expiresAt: now + MESSAGE_LIFETIME_MS },
      body: BODY,
    })
    const entry = admitItem({ envelopeId: String(m), expiresAt: now + MESSAGE_LIFETIME_MS, attempts: 0, relayed: false }, now)
    pending.set(m, { entry, bytes, token: 0 })
    let mine = pendingBySender.get(s)
    if (!mine) pendingBySender.set(s, (mine = new Set()))
    mine.add(m)
    settle(m)
  }

  const resume = (u: number): void => {
    const mine = pendingBySender.get(u)
    if (mine) {
      for (const m of mine) {
        const p = pending.get(m)!
        p.entry = admitItem({ envelopeId: p.entry.envelopeId, expiresAt: p.entry.expiresAt, attempts: p.entry.attempts, relayed: p.entry.relayed }, loop.now)
        settle(m)
      }
    }
  }

  const receive = (u: number, link: Link, frame: LinkFrame): void => {
    if (!link.dialerSide || online[u] !== 1) return
    const now = loop.now
    switch (frame.type) {
      case 'envelopes':
        for (const bytes of frame.envelopes) {
          const { header } = decodeEnvelope(bytes)
          if (!equals(header.destination, population.userKey(u))) {
            refuse('misrouted to a user')
            continue
          }
          const m = indexOf(header.id)
          if (header.id[0] === MSG) {
            // Attempts 0–31 are told apart (12 are the outbox's limit, restarts add a few).
            const bit = header.attempt < 32 ? 1 << header.attempt : 0
            const again = bit !== 0 && (messages.attempts[m]! & bit) !== 0
            messages.attempts[m] = messages.attempts[m]! | bit
            if (messages.deliveredAt[m] === 0) messages.deliveredAt[m] = now
            else if (again) messages.duplicates++
            else messages.redelivered++
            // receiver.ts: every copy is acknowledged (a redelivered one again, unopened); the receipt is sent once, not queued.
            const s = messages.sender[m]!
            counters.e2eReceipts++
            const receipt = encodeEnvelope({
              header: { version: 2, id: envelopeId(RCPT, m, receiptSerial++, seed), destination: population.userKey(s), ttl: DEFAULT_TTL, attempt: 0, expiresAt: now + MESSAGE_LIFETIME_MS },
              body: RECEIPT_BODY,
            })
            users.transmit(u, s, -receiptSerial, receipt)
          } else if (header.id[0] === RCPT && messages.sender[m] === u) {
            const p = pending.get(m)
            if (p) {
              forgetPending(u, m)
              messages.state[m] = 1
            }
          }
        }
        break
      case 'custody': {
        // dataPlane.custody on the sender's node, then createEngine's rule (acceptsCustodyReceipt).
        let decoded
        try {
          decoded = decodeCustodyReceipt(frame.receipt)
        } catch {
          refuse('custody receipt malformed')
          break
        }
        const mine = decoded.receipt.ids.filter((id) => id[0] === MSG && messages.sender[indexOf(id)] === u && pending.has(indexOf(id)))
        if (mine.length === 0) break
        let verified
        try {
          verified = checkCustodyReceipt(crypto, decoded, { now })
        } catch {
          refuse('custody receipt invalid')
          break
        }
        for (const id of mine) {
          const m = indexOf(id)
          const record = decodeReachRecord(population.recordOf(messages.recipient[m]!)).record as VerifiedReachRecord
          const verdict = acceptsCustodyReceipt(verified, record, now)
          if (!verdict.ok) {
            refuse(`custody receipt ${verdict.reason}`)
            continue
          }
          counters.custodyAccepted++
          messages.relayed[m] = 1
          const p = pending.get(m)!
          p.entry = { ...p.entry, relayed: true }
        }
        break
      }
      case 'refuse':
        for (let i = 0; i < frame.ids.length; i++) refuse(`refused ${frame.reason}`)
        break
      default:
        // 'ack': ignored, as createEngine does once the contact's home relays are known.
        break
    }
  }

  return { messages, pendingCount: () => pending.size, newMessage, resume, receive }
}

/**
 * Retransmissions through the forwarder: the outbox resends the same sealed
 * envelope with a higher attempt until a receipt arrives, and every node must
 * pass each attempt once while still dropping loop copies and stale attempts.
 * And custody's budgets, whose typed refusal is what makes a sender retry
 * elsewhere or later.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import type { Clock } from '../../ports/index.ts'
import { decodeEnvelope, withAttempt } from '../../wire/index.ts'
import { createForwarder } from '../forwarder.ts'
import type { Forwarder, ForwarderInit, Hop } from '../forwarder.ts'
import type { RefuseReason } from '../../wire/index.ts'
import { A, attemptOf, B, C, envelope, hop, idOf, key, SELF, T0, ttlOf, U } from './forwarderKit.ts'

let now: number
let delivered: string[]
let sentIds: string[]
let held: [string, string][]
const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined }
function make(init: Partial<ForwarderInit> = {}): Forwarder {
  return createForwarder({
    self: SELF,
    clock,
    deliverLocal: (e) => void delivered.push(`${toHex(e.header.id)}:${e.header.attempt}`),
    onSent: (id) => void sentIds.push(id),
    onHeld: (id, from) => void held.push([toHex(id), from]),
    ...init,
  })
}
beforeEach(() => {
  now = T0
  delivered = []
  sentIds = []
  held = []
})

describe('forwarder retries', () => {
  it('forwards a retry (attempt + 1) of an envelope it already forwarded, once', () => {
    const f = make()
    const c = hop('peer')
    f.addHop(C, c)
    const first = envelope(C, { ttl: 8 })
    expect(f.route(first, A)).toBe('forwarded')
    now += 1_000 // the sender's backoff
    const retry = withAttempt(first, 1)
    expect(f.route(retry, A)).toBe('forwarded')
    expect(c.sent.map((b) => [idOf(b), attemptOf(b), ttlOf(b)])).toEqual([
      [idOf(first), 0, 7],
      [idOf(first), 1, 7],
    ])
    expect(f.route(retry, A)).toBe('dropped') // the same attempt again
    expect(c.sent.length).toBe(2)
  })

  it('drops a loop copy: the same attempt arriving from another neighbour', () => {
    const f = make()
    const c = hop('peer')
    f.addHop(C, c)
    const retry = envelope(C, { attempt: 2 })
    expect(f.route(retry, A)).toBe('forwarded')
    expect(f.route(retry, B)).toBe('dropped')
    expect(f.stats()).toMatchObject({ forwarded: 1, dropped: 1 })
  })

  it('drops a stale lower attempt that arrives after a higher one', () => {
    const f = make()
    const c = hop('peer')
    f.addHop(C, c)
    const first = envelope(C)
    expect(f.route(withAttempt(first, 2), A)).toBe('forwarded')
    expect(f.route(first, B)).toBe('dropped') // attempt 0 took a slower path
    expect(f.route(withAttempt(first, 1), A)).toBe('dropped')
    expect(f.route(withAttempt(first, 3), B)).toBe('forwarded')
    expect(c.sent.map(attemptOf)).toEqual([2, 3])
  })

  it('forgets attempts after seenWindowMs, like ids before', () => {
    const f = make({ seenWindowMs: 1_000 })
    f.addHop(C, hop('peer'))
    const first = envelope(C)
    f.route(withAttempt(first, 5), A)
    now += 1_000
    expect(f.route(first, A)).toBe('forwarded')
  })

  it('drops this node’s own envelope only as an exact repeat of an attempt', () => {
    const f = make()
    const c = hop('peer')
    f.addHop(C, c)
    const own = envelope(C)
    expect(f.route(own, null)).toBe('forwarded')
    expect(f.route(own, null)).toBe('dropped')
    expect(f.route(withAttempt(own, 1), null)).toBe('forwarded')
    expect(f.route(withAttempt(own, 1), A)).toBe('dropped') // its own retry, looped back
    // Seen from a neighbour at attempt 3, yet the outbox's own attempt 2 is not a duplicate of itself.
    const other = envelope(C)
    expect(f.route(withAttempt(other, 3), A)).toBe('forwarded')
    expect(f.route(withAttempt(other, 2), null)).toBe('forwarded')
    expect(f.route(withAttempt(other, 2), null)).toBe('dropped')
    expect(c.sent.map(attemptOf)).toEqual([0, 1, 3, 2])
    expect(sentIds).toEqual([idOf(own), idOf(own), idOf(other)])
  })

  it('delivers a retry addressed to this node again, so the recipient can re-send its receipt', () => {
    const f = make()
    const mail = envelope(SELF)
    expect(f.route(mail, A)).toBe('local')
    expect(f.route(mail, B)).toBe('dropped')
    expect(f.route(withAttempt(mail, 1), A)).toBe('local')
    expect(delivered).toEqual([`${idOf(mail)}:0`, `${idOf(mail)}:1`])
  })

  it('a custodian holds one copy of a retried envelope and acknowledges every attempt', () => {
    const f = make()
    const first = envelope(C, { ttl: 8 })
    expect(f.route(first, A)).toBe('held')
    expect(f.route(first, B)).toBe('dropped') // a loop copy is not acked
    now += 1_000
    expect(f.route(withAttempt(first, 1), A)).toBe('held')
    expect(f.route(withAttempt(first, 2), B)).toBe('held')
    expect(held).toEqual([
      [idOf(first), A],
      [idOf(first), A],
      [idOf(first), B],
    ])
    expect(f.stats().held).toBe(1)
    const c = hop('peer')
    f.addHop(C, c)
    expect(c.sent.map((b) => [idOf(b), attemptOf(b), ttlOf(b)])).toEqual([[idOf(first), 2, 7]])
    // Every routed copy is accounted for: one forwarded, the loop copy and two superseded ones dropped.
    expect(f.stats()).toMatchObject({ forwarded: 1, delivered: 0, held: 0, dropped: 3 })
  })

  it('a retry to a custodian whose mailbox for that destination is full still replaces its copy', () => {
    const f = make({ mailboxPerDestination: 1 })
    const first = envelope(C)
    expect(f.route(first, A)).toBe('held')
    expect(f.route(envelope(C), A)).toBe('refused') // another message: no room
    expect(f.route(withAttempt(first, 1), A)).toBe('held')
    expect(held.length).toBe(2)
  })

  it('keeps the seen-cache bounded by maxSeen, retries included', () => {
    const f = make({ maxSeen: 3 })
    const c = hop('peer')
    f.addHop(C, c)
    const first = envelope(C)
    for (let attempt = 0; attempt < 20; attempt++) expect(f.route(withAttempt(first, attempt), A)).toBe('forwarded')
    expect(f.route(withAttempt(first, 19), B)).toBe('dropped')
    // Only the newest 3 transmissions are remembered: a bound trades exactness for memory.
    for (let n = 0; n < 3; n++) f.route(envelope(C), A)
    expect(f.route(withAttempt(first, 19), B)).toBe('forwarded')
    expect(c.sent.length).toBe(24)
  })
})

describe('forwarder retries around a loop', () => {
  /** Nodes X → Y → Z → X, each with a single upstream to the next; the destination is unreachable. */
  function ring(): { nodes: Forwarder[]; transmissions: string[] } {
    const ids = [key(11), key(12), key(13)]
    const nodes: Forwarder[] = []
    const transmissions: string[] = []
    for (const self of ids) nodes.push(make({ self }))
    nodes.forEach((node, i) => {
      const next = (i + 1) % nodes.length
      const link: Hop = {
        kind: 'upstream',
        send: (envelopes) => {
          for (const bytes of envelopes) {
            transmissions.push(`${i}→${next}:${decodeEnvelope(bytes).header.attempt}`)
            nodes[next]!.route(bytes, toHex(ids[i]!))
          }
        },
      }
      node.addHop(toHex(ids[next]!), link)
    })
    return { nodes, transmissions }
  }

  it('each node passes each attempt once and the loop copy dies where it started', () => {
    const { nodes, transmissions } = ring()
    const mail = envelope(U, { ttl: 16 })
    expect(nodes[0]!.route(mail, null)).toBe('forwarded')
    expect(transmissions).toEqual(['0→1:0', '1→2:0', '2→0:0'])
    now += 1_000
    expect(nodes[0]!.route(withAttempt(mail, 1), null)).toBe('forwarded')
    expect(transmissions.slice(3)).toEqual(['0→1:1', '1→2:1', '2→0:1'])
    expect(nodes.map((n) => n.stats())).toMatchObject([
      { forwarded: 2, delivered: 0, held: 0, dropped: 2 }, // its own copies, back from Z
      { forwarded: 2, delivered: 0, held: 0, dropped: 0 },
      { forwarded: 2, delivered: 0, held: 0, dropped: 0 },
    ])
  })
})

describe('forwarder custody budgets', () => {
  /** What one envelope from forwarderKit costs in custody: 60 bytes plus the default overhead. */
  const COST = 60 + 256
  const DAY = 24 * 60 * 60_000

  it('refuses a sender over its budget with a typed answer and no custody ack', () => {
    const refusals: [string, string | null, RefuseReason][] = []
    const f = make({ custody: { perSenderBytes: 2 * COST }, onRefused: (id, from, reason) => void refusals.push([toHex(id), from, reason]) })
    const mail = [envelope(B), envelope(C), envelope(U)]
    expect(mail.map((m) => f.route(m, A))).toEqual(['held', 'held', 'refused'])
    expect(f.route(envelope(U), B)).toBe('held') // another neighbour's budget is its own
    expect(refusals).toEqual([[idOf(mail[2]!), A, 'sender-over-quota']])
    expect(held.map(([id]) => id)).not.toContain(idOf(mail[2]!))
    expect(f.stats()).toMatchObject({ held: 3, dropped: 1, refused: { 'sender-over-quota': 1 } })
  })

  it('evicts the oldest held mail for room, counts it as dropped, and reports it', () => {
    const evicted: string[] = []
    const f = make({ custody: { totalBytes: 2 * COST, onEvict: (_d, e, reason) => void evicted.push(`${e.id}:${reason}`) } })
    const mail = [envelope(B), envelope(C), envelope(U)]
    expect(mail.map((m, i) => f.route(m, i === 2 ? B : A))).toEqual(['held', 'held', 'held'])
    expect(evicted).toEqual([`${idOf(mail[0]!)}:evicted-for-room`])
    expect(f.stats()).toMatchObject({ forwarded: 0, held: 2, dropped: 1, evicted: { 'evicted-for-room': 1, expired: 0 } })
  })

  it('clamps a 2^48 expiry: held mail leaves custody after 14 days and prune() counts it', () => {
    const f = make()
    expect(f.route(envelope(C, { expiresAt: 2 ** 48 - 1 }), A)).toBe('held')
    now += 14 * DAY
    f.prune()
    expect(f.stats().held).toBe(1)
    now += 1
    f.prune()
    expect(f.stats()).toMatchObject({ held: 0, dropped: 1, evicted: { expired: 1 } })
    f.addHop(C, hop('peer'))
    expect(f.stats().forwarded).toBe(0)
  })

  it('takes custody limits from custody, where they override mailboxPerDestination', () => {
    const f = make({ mailboxPerDestination: 1, custody: { perDestinationCount: 2, maxHoldMs: 1_000 } })
    expect([envelope(C), envelope(C), envelope(C)].map((m) => f.route(m, A))).toEqual(['held', 'held', 'refused'])
    now += 1_001
    const c = hop('peer')
    f.addHop(C, c)
    expect(c.sent).toEqual([])
    expect(f.stats()).toMatchObject({ held: 0, dropped: 3, evicted: { expired: 2 }, refused: { 'destination-full': 1 } })
  })
})

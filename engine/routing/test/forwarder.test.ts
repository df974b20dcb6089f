import { beforeEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../bytes.ts'
import type { Clock } from '../../ports/index.ts'
import { decodeEnvelope } from '../../wire/index.ts'
import type { Envelope } from '../../wire/index.ts'
import { MAX_FORWARD_TTL, createForwarder } from '../forwarder.ts'
import type { Forwarder, ForwarderInit } from '../forwarder.ts'
import { A, B, C, envelope, hop, idOf, SELF, sendOf, T0, ttlOf, U, V } from './forwarderKit.ts'
import type { FakeHop } from './forwarderKit.ts'

let now: number
let delivered: Envelope[]
let sentIds: string[]
let f: Forwarder
const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined }
function make(init: Partial<ForwarderInit> = {}): Forwarder {
  return createForwarder({ self: SELF, clock, deliverLocal: (e) => void delivered.push(e), onSent: (id) => void sentIds.push(id), ...init })
}
beforeEach(() => {
  now = T0
  delivered = []
  sentIds = []
  f = make()
})

describe('forwarder', () => {
  it('delivers mail for this node locally and forwards nothing', () => {
    const up = hop('upstream')
    f.addHop(U, up)
    const bytes = envelope(SELF)
    expect(f.route(bytes, U)).toBe('local')
    expect(delivered.map((e) => toHex(e.header.id))).toEqual([idOf(bytes)])
    expect(up.sent).toEqual([])
    expect(f.stats()).toMatchObject({ forwarded: 0, delivered: 1, held: 0, dropped: 0 })
  })

  it('prefers the destination itself over an upstream, and uses an upstream otherwise', () => {
    const [a, up] = [hop('peer'), hop('upstream')]
    f.addHop(U, up)
    f.addHop(A, a)
    expect(f.route(envelope(A), null)).toBe('forwarded')
    expect(f.route(envelope(B), null)).toBe('forwarded')
    expect([a.sent.length, up.sent.length]).toEqual([1, 1])
    expect(toHex(decodeEnvelope(up.sent[0]!).header.destination)).toBe(B)
  })

  it('never sends mail back to the neighbour it came from', () => {
    const [a, up] = [hop('peer'), hop('upstream')]
    f.addHop(A, a)
    f.addHop(U, up)
    expect(f.route(envelope(B), U)).toBe('held') // the only upstream is the sender
    // Regression: a neighbour's mail addressed to itself was reflected straight back.
    expect(f.route(envelope(A), A)).toBe('dropped')
    expect(a.sent).toEqual([])
    expect(up.sent).toEqual([])
  })

  it('holds mail without a route and flushes it, in order, when the destination appears', () => {
    const mail = [envelope(B), envelope(C), envelope(B)]
    expect(mail.map((m) => f.route(m, A))).toEqual(['held', 'held', 'held'])
    expect(f.stats().held).toBe(3)
    const b = hop('peer')
    f.addHop(B, b)
    expect(b.sent.map(idOf)).toEqual([idOf(mail[0]!), idOf(mail[2]!)])
    expect(f.stats()).toMatchObject({ held: 1, forwarded: 2 })
  })

  it('flushes all held mail to a newly added upstream, except back to where it came from', () => {
    const own = [envelope(B), envelope(C), envelope(A)]
    for (const m of own) expect(f.route(m, null)).toBe('held')
    const fromV = envelope(B)
    expect(f.route(fromV, V)).toBe('held')
    const v = hop('upstream')
    f.addHop(V, v) // relay V (re)connects: it gets everything but its own mail back
    expect(v.sent.map(idOf)).toEqual(own.map(idOf))
    expect(f.stats()).toMatchObject({ held: 1, forwarded: 3 })
    const u = hop('upstream')
    f.addHop(U, u)
    expect(u.sent.map(idOf)).toEqual([idOf(fromV)])
    expect(ttlOf(u.sent[0]!)).toBe(7)
    expect(f.stats()).toMatchObject({ held: 0, forwarded: 4 })
  })

  it('drops a duplicate within the seen window and accepts it after', () => {
    f = make({ seenWindowMs: 1000 })
    const a = hop('peer')
    f.addHop(A, a)
    const bytes = envelope(A)
    expect(f.route(bytes, B)).toBe('forwarded')
    now += 999
    expect(f.route(bytes, C)).toBe('dropped')
    expect(f.route(bytes, null)).toBe('dropped')
    now += 1
    expect(f.route(bytes, B)).toBe('forwarded')
    expect(a.sent.length).toBe(2)
  })

  it('decrements the ttl per forwarded hop, keeps it for own mail, and drops ttl 0 from a neighbour', () => {
    const a = hop('peer')
    f.addHop(A, a)
    f.route(envelope(A, { ttl: 5 }), B)
    f.route(envelope(A, { ttl: 1 }), B)
    f.route(envelope(A, { ttl: 5 }), null)
    expect(a.sent.map(ttlOf)).toEqual([4, 0, 5])
    expect(f.route(envelope(A, { ttl: 0 }), B)).toBe('dropped')
    expect(f.route(envelope(SELF, { ttl: 0 }), B)).toBe('local') // spent hops still reach the recipient
    // The forwarded copy is the original with only the ttl byte changed.
    const original = envelope(A, { ttl: 9, id: 77 })
    f.route(original, B)
    const copy = a.sent.at(-1)!
    expect(copy.length).toBe(original.length)
    expect([...copy].filter((byte, i) => byte !== original[i]).length).toBe(1)
  })

  it('cuts a neighbour’s outsized ttl to MAX_FORWARD_TTL (issue 10: TTL 255 from a fuzzer)', () => {
    const a = hop('peer')
    f.addHop(A, a)
    f.route(envelope(A, { ttl: 255 }), B)
    f.route(envelope(A, { ttl: MAX_FORWARD_TTL + 1 }), B)
    f.route(envelope(A, { ttl: 255 }), null) // its own mail keeps what it asked for
    expect(a.sent.map(ttlOf)).toEqual([MAX_FORWARD_TTL, MAX_FORWARD_TTL, 255])
  })

  it('drops expired and malformed envelopes and counts them', () => {
    f.addHop(A, hop('peer'))
    expect(f.route(envelope(A, { expiresAt: now - 1 }), null)).toBe('dropped')
    expect(f.route(envelope(A, { expiresAt: now }), null)).toBe('forwarded')
    const good = envelope(A)
    for (const bad of [new Uint8Array(0), good.subarray(0, 40), Uint8Array.of(1, ...good.subarray(1)), Uint8Array.of(...good, 0)]) {
      expect(f.route(bad, B)).toBe('dropped')
    }
    expect(f.stats()).toMatchObject({ forwarded: 1, delivered: 0, held: 0, dropped: 5 })
  })

  it('calls onSent for this node’s own envelopes only, also when held mail is flushed later', () => {
    const own = [envelope(A), envelope(B)]
    f.route(own[0]!, null)
    f.route(envelope(A), C) // relayed for C: not ours to mark sent
    expect(sentIds).toEqual([])
    f.addHop(A, hop('peer'))
    expect(sentIds).toEqual([idOf(own[0]!)])
    f.route(own[1]!, null)
    f.addHop(U, hop('upstream'))
    expect(sentIds).toEqual(own.map(idOf))
  })

  it('removeHop removes only the very hop that was registered; a hop to self is ignored', () => {
    const [old, fresh] = [hop('peer'), hop('peer')]
    f.addHop(A, old)
    f.addHop(A, fresh) // a reconnect replaces the link
    f.removeHop(A, old) // the old link's late close must not remove the new one
    f.route(envelope(A), null)
    expect([old.sent.length, fresh.sent.length]).toEqual([0, 1])
    f.removeHop(A, fresh)
    expect(f.route(envelope(A), null)).toBe('held')
    const loop = hop('upstream')
    f.addHop(toHex(SELF), loop)
    expect(f.route(envelope(B), null)).toBe('held')
    expect(loop.sent).toEqual([])
  })

  it('enforces the per-destination mailbox quota with a typed refusal, counted as dropped', () => {
    const refusals: [string, string | null, string][] = []
    f = make({ mailboxPerDestination: 2, onRefused: (id, from, reason) => void refusals.push([toHex(id), from, reason]) })
    const mail = [1, 2, 3].map(() => envelope(A))
    expect(mail.map((m) => f.route(m, null))).toEqual(['held', 'held', 'refused'])
    expect(f.route(envelope(B), null)).toBe('held')
    expect(f.stats()).toMatchObject({ held: 3, dropped: 1, refused: { 'destination-full': 1 } })
    expect(refusals).toEqual([[idOf(mail[2]!), null, 'destination-full']])
  })

  it('counts held mail that expired before its route appeared as dropped', () => {
    f.route(envelope(A, { expiresAt: now + 10 }), null)
    f.route(envelope(A, { expiresAt: now + 1000 }), null)
    now += 100
    const a = hop('peer')
    f.addHop(A, a)
    expect(a.sent.length).toBe(1)
    expect(f.stats()).toMatchObject({ forwarded: 1, delivered: 0, held: 0, dropped: 1 })
  })
})

describe('forwarder with a router', () => {
  /** A routing table the test edits; the forwarder only ever sees `route`. */
  let table: Map<string, string>
  beforeEach(() => {
    table = new Map()
  })
  const routed = (init: Partial<ForwarderInit> = {}): Forwarder => make({ route: (d) => table.get(d) ?? null, ...init })

  it('prefers a direct link, then the router’s next hop, then an upstream', () => {
    f = routed()
    const [a, b, up] = [hop('peer'), hop('peer'), hop('upstream')]
    f.addHop(U, up)
    f.addHop(A, a)
    f.addHop(B, b)
    table.set(A, B) // a direct link beats any route
    table.set(C, B)
    expect(f.route(envelope(A), null)).toBe('forwarded')
    expect(f.route(envelope(C), null)).toBe('forwarded')
    expect(f.route(envelope(V), null)).toBe('forwarded') // no route: the upstream
    expect([a.sent.length, b.sent.length, up.sent.length]).toEqual([1, 1, 1])
    expect(toHex(decodeEnvelope(b.sent[0]!).header.destination)).toBe(C)
  })

  it('ignores a next hop that has no open link, and never routes mail back where it came from', () => {
    f = routed()
    const b = hop('peer')
    f.addHop(B, b)
    table.set(C, A) // A's link is not open
    expect(f.route(envelope(C), null)).toBe('held')
    table.set(V, B)
    expect(f.route(envelope(V), B)).toBe('held') // B handed it over: back to B would be a loop
    expect(b.sent).toEqual([])
  })

  it('retry flushes held mail once the router has a next hop, except to where it came from', () => {
    f = routed()
    const [fromB, fromA] = [envelope(C), envelope(C)]
    expect(f.route(fromB, B)).toBe('held')
    expect(f.route(fromA, A)).toBe('held')
    const b = hop('peer')
    f.addHop(B, b) // a peer link flushes only mail for that peer
    expect(b.sent).toEqual([])
    f.retry(C) // no route yet: nothing moves
    expect(f.stats().held).toBe(2)
    table.set(C, B)
    f.retry(C)
    expect(b.sent.map(idOf)).toEqual([idOf(fromA)])
    expect(f.stats()).toMatchObject({ held: 1, forwarded: 1 })
    const a = hop('peer')
    f.addHop(A, a)
    table.set(C, A)
    f.retry(C)
    expect(a.sent.map(idOf)).toEqual([idOf(fromB)])
    expect(f.stats()).toMatchObject({ held: 0, forwarded: 2 })
  })

  it('reports mail a neighbour handed over and this node held, for the custody ack', () => {
    const held: [string, string][] = []
    f = routed({ onHeld: (id, from) => void held.push([toHex(id), from]) })
    const theirs = envelope(C)
    f.route(theirs, A)
    f.route(envelope(C), null) // own mail: nobody to ack to
    f.addHop(B, hop('peer'))
    f.route(envelope(B), A) // forwarded, not held
    expect(held).toEqual([[idOf(theirs), A]])
  })
})

describe('forwarder properties', () => {
  const ids = [toHex(SELF), A, B, C, U, V]
  const peer = fc.constantFrom(A, B, C, U, V)
  const command = fc.oneof(
    fc.record({
      op: fc.constant('route' as const),
      n: fc.integer({ min: 0, max: 11 }),
      attempt: fc.integer({ min: 0, max: 2 }),
      to: fc.constantFrom(...ids),
      from: fc.option(peer),
      ttl: fc.integer({ min: 0, max: 2 }),
      life: fc.integer({ min: 0, max: 300 }),
    }),
    fc.record({ op: fc.constant('add' as const), id: peer, upstream: fc.boolean() }),
    fc.record({ op: fc.constant('remove' as const), id: peer, stale: fc.boolean() }),
    fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 200 }) }),
    // The router changes its mind: a new next hop (or none) for a destination, then a retry.
    fc.record({ op: fc.constant('via' as const), to: fc.constantFrom(...ids), via: fc.option(peer) }),
  )

  it('no hop gets a transmission (id and attempt) twice, none goes back where it came from, and stats add up', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        now = T0
        delivered = []
        sentIds = []
        const vias = new Map<string, string | null>()
        // Custody that fits two envelopes (60 bytes + 256 overhead each), one per sender: refusals and evictions happen.
        const custody = { totalBytes: 700, perSenderBytes: 350, overheadBytes: 256 }
        const fw = make({ mailboxPerDestination: 3, custody, seenWindowMs: 1_000_000, route: (d) => vias.get(d) ?? null })
        const current = new Map<string, FakeHop>()
        const owner = new Map<FakeHop, string>()
        // Where the copy of each transmission that got past the seen-cache came from.
        const cameFrom = new Map<string, string | null>()
        const ownAttempts = new Map<string, Set<number>>()
        let routed = 0
        let refused = 0
        for (const c of commands) {
          if (c.op === 'route') {
            const bytes = envelope(c.to, { id: c.n, ttl: c.ttl, attempt: c.attempt, expiresAt: now + c.life })
            const result = fw.route(bytes, c.from)
            if (result === 'refused') refused++
            if (result !== 'dropped' && !cameFrom.has(sendOf(bytes))) cameFrom.set(sendOf(bytes), c.from)
            if (c.from === null) ownAttempts.set(idOf(bytes), (ownAttempts.get(idOf(bytes)) ?? new Set()).add(c.attempt))
            routed++
          } else if (c.op === 'add') {
            const h = hop(c.upstream ? 'upstream' : 'peer')
            owner.set(h, c.id)
            current.set(c.id, h)
            fw.addHop(c.id, h)
          } else if (c.op === 'remove') {
            const h = current.get(c.id)
            if (h) fw.removeHop(c.id, c.stale ? hop(h.kind) : h)
            if (h && !c.stale) current.delete(c.id)
          } else if (c.op === 'via') {
            vias.set(c.to, c.via)
            fw.retry(c.to)
          } else now += c.ms
        }
        let forwarded = 0
        for (const [h, id] of owner) {
          const got = h.sent.map(sendOf)
          expect(new Set(got).size).toBe(got.length)
          for (const m of got) expect(cameFrom.get(m)).not.toBe(id)
          forwarded += got.length
        }
        const s = fw.stats()
        expect(s.forwarded).toBe(forwarded)
        expect(s.delivered).toBe(delivered.length)
        expect(s.forwarded + s.delivered + s.held + s.dropped).toBe(routed)
        const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0)
        expect(sum(s.refused)).toBe(refused)
        expect(sum(s.refused) + sum(s.evicted)).toBeLessThanOrEqual(s.dropped)
        // Marked sent at most once per attempt this node originated.
        for (const id of new Set(sentIds)) expect(sentIds.filter((s) => s === id).length).toBeLessThanOrEqual(ownAttempts.get(id)?.size ?? 0)
      }),
      { numRuns: 300 },
    )
  })
})

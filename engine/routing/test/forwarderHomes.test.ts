/**
 * Delivery to home relays (issue 11): the forwarder sends mail for a destination to one of
 * the relays its reach record names, by identity; a relay that is not a home relay never
 * holds the mail for long (only while it dials one), and refuses it when it cannot; a user
 * sends through its own relay first, so the recipient's relay never hears from the sender.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import type { Clock } from '../../ports/index.ts'
import type { RefuseReason } from '../../wire/index.ts'
import { createForwarder, PENDING_DIAL_HOLD_MS } from '../forwarder.ts'
import type { ForwarderInit, HomeHint, Hop } from '../forwarder.ts'
import { A, B, C, envelope, hop, idOf, SELF, T0, U, V } from './forwarderKit.ts'

/** B and C are relays; U's record names both, V's names none. */
const homesOf = (destination: string): readonly HomeHint[] | null =>
  destination === U
    ? [
        { id: B, address: 'ws://127.0.0.1:1/b' },
        { id: C, address: 'ws://127.0.0.1:1/c' },
      ]
    : null

function relayForwarder(extra: Partial<ForwarderInit> = {}) {
  let now = T0
  const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined }
  const dials: (readonly HomeHint[])[] = []
  const refused: [string, string | null, RefuseReason][] = []
  const held: string[] = []
  const forwarder = createForwarder({
    self: SELF,
    clock,
    deliverLocal: () => undefined,
    homesOf,
    custodyFor: () => false,
    upstreamFallback: false,
    dial: (relays) => void dials.push(relays),
    onRefused: (id, from, reason) => void refused.push([toHex(id), from, reason]),
    onHeld: (id) => void held.push(toHex(id)),
    ...extra,
  })
  return { forwarder, dials, refused, held, advance: (ms: number) => (now += ms) }
}

describe('forwarding to home relays', () => {
  it('a relay hands mail to the linked home relay of its destination, never to another relay it dialed', () => {
    const { forwarder } = relayForwarder()
    const other = hop('upstream')
    const home = hop('upstream')
    forwarder.addHop(A, other)
    forwarder.addHop(C, home)
    const mail = envelope(U)
    expect(forwarder.route(mail, V)).toBe('forwarded')
    expect(home.sent.map(idOf)).toEqual([idOf(mail)])
    expect(other.sent).toEqual([])
  })

  it('with no link to a home relay it dials them and queues the mail, unacknowledged, until the first link opens', () => {
    const { forwarder, dials, held } = relayForwarder()
    const mail = envelope(U)
    expect(forwarder.route(mail, V)).toBe('held')
    expect(dials).toEqual([homesOf(U)])
    expect(held).toEqual([]) // no ack: this relay keeps nothing for U
    expect(forwarder.stats()).toMatchObject({ held: 1, pendingDial: 1 })
    const unrelated = hop('upstream')
    forwarder.addHop(A, unrelated)
    expect(unrelated.sent).toEqual([])
    const c = hop('upstream')
    forwarder.addHop(C, c)
    expect(c.sent.map(idOf)).toEqual([idOf(mail)])
    expect(forwarder.stats().held).toBe(0)
  })

  it('queued mail for a dial that never opens leaves after PENDING_DIAL_HOLD_MS, however long the envelope lives', () => {
    const { forwarder, advance } = relayForwarder()
    forwarder.route(envelope(U, { expiresAt: T0 + 3_600_000 }), V)
    advance(PENDING_DIAL_HOLD_MS + 1)
    forwarder.prune()
    expect(forwarder.stats()).toMatchObject({ held: 0, evicted: { expired: 1 } })
    const late = hop('upstream')
    forwarder.addHop(B, late)
    expect(late.sent).toEqual([])
  })

  it('when the dials to every home relay are given up, the waiting mail is refused home-unreachable', () => {
    const { forwarder, refused } = relayForwarder()
    const mail = envelope(U)
    forwarder.route(mail, V)
    forwarder.unreachable(B)
    expect(refused).toEqual([]) // C is still being dialed
    forwarder.unreachable(C)
    expect(refused).toEqual([[idOf(mail), V, 'home-unreachable']])
    expect(forwarder.stats()).toMatchObject({ held: 0 })
  })

  it('a relay refuses mail it is not asked to hold and cannot send on: typed, counted, told to the sender', () => {
    const { forwarder, refused } = relayForwarder()
    const mail = envelope(V)
    expect(forwarder.route(mail, A)).toBe('refused')
    expect(refused).toEqual([[idOf(mail), A, 'no-custody']])
    expect(forwarder.stats()).toMatchObject({ held: 0, noCustody: 1, dropped: 1 })
  })

  it('a home relay still holds and acknowledges its own users’ mail (custodyFor)', () => {
    const { forwarder, held, dials } = relayForwarder({ custodyFor: (d) => d === V, keepFor: (d) => d === V })
    const mail = envelope(V)
    expect(forwarder.route(mail, A)).toBe('held')
    expect(held).toEqual([idOf(mail)])
    expect(dials).toEqual([])
  })
})

describe('a user sending to a contact', () => {
  function userForwarder(own: readonly string[]) {
    const clock: Clock = { now: () => T0, setTimeout: () => 0, clearTimeout: () => undefined }
    const before: [string, string][] = []
    const dials: (readonly HomeHint[])[] = []
    const refused: string[] = []
    const forwarder = createForwarder({
      self: SELF,
      clock,
      deliverLocal: () => undefined,
      homesOf,
      ownRelay: (id) => own.includes(id),
      beforeSend: (peerId: string, _hop: Hop, destination: string) => void before.push([peerId, destination]),
      dial: (relays) => void dials.push(relays),
      onRefused: (id, from, reason) => void refused.push(`${toHex(id)} ${from} ${reason}`),
    })
    return { forwarder, before, dials, refused }
  }

  it('goes through its own relay, not straight to the contact’s relay it also has a link to (private routing)', () => {
    const { forwarder, before } = userForwarder([A])
    const mine = hop('upstream')
    const theirs = hop('upstream')
    forwarder.addHop(B, theirs)
    forwarder.addHop(A, mine)
    const mail = envelope(U)
    expect(forwarder.route(mail, null)).toBe('forwarded')
    expect(mine.sent.map(idOf)).toEqual([idOf(mail)])
    expect(theirs.sent).toEqual([])
    expect(before).toEqual([[A, U]])
  })

  it('goes straight to the contact’s home relay when it is one of its own (the same relay)', () => {
    const { forwarder } = userForwarder([A, C])
    const a = hop('upstream')
    const c = hop('upstream')
    forwarder.addHop(A, a)
    forwarder.addHop(C, c)
    forwarder.route(envelope(U), null)
    expect(a.sent).toEqual([])
    expect(c.sent).toHaveLength(1)
  })

  it('keeps its own mail when the contact’s relays cannot be dialed, and hears why', () => {
    const { forwarder, refused } = userForwarder([A])
    const mail = envelope(U)
    forwarder.route(mail, null)
    forwarder.unreachable(B)
    forwarder.unreachable(C)
    expect(refused).toEqual([`${idOf(mail)} null home-unreachable`])
    expect(forwarder.stats().held).toBe(1)
  })

  it('with its own relays down, uses a link to the contact’s relay, or dials one', () => {
    const { forwarder, dials } = userForwarder([A])
    const mail = envelope(U)
    expect(forwarder.route(mail, null)).toBe('held')
    expect(dials).toEqual([homesOf(U)])
    const b = hop('upstream')
    forwarder.addHop(B, b)
    expect(b.sent.map(idOf)).toEqual([idOf(mail)])
  })
})

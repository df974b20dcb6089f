/**
 * A home relay keeps its users' mail (issue 11): for a destination that registered this
 * node, an envelope that goes along a route (a neighbour's claim to reach it) is also held
 * here, and what is held is given up only to the destination's own link. Anyone else's
 * mail is forwarded and not kept, as before.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import type { Clock } from '../../ports/index.ts'
import { createForwarder } from '../forwarder.ts'
import { A, B, envelope, hop, idOf, SELF, T0, U, V } from './forwarderKit.ts'

const clock: Clock = { now: () => T0, setTimeout: () => 0, clearTimeout: () => undefined }
const idsOf = (sent: readonly Uint8Array[]): string[] => sent.map(idOf)

describe('forwarder at a home relay', () => {
  it('holds a registered user\'s mail while a copy goes along a route, and gives it up only to the user', () => {
    const held: string[] = []
    const f = createForwarder({
      self: SELF,
      clock,
      deliverLocal: () => undefined,
      route: (destination) => (destination === U || destination === V ? A : null),
      keepFor: (destination) => destination === U,
      onHeld: (id) => void held.push(toHex(id)),
    })
    const claimant = hop('peer')
    f.addHop(A, claimant)
    const forUser = envelope(U)
    const forOther = envelope(V)
    expect(f.route(forUser, B)).toBe('held')
    expect(f.route(forOther, B)).toBe('forwarded')
    // Both went along the route; only the registered user's is also kept (and answered for).
    expect(idsOf(claimant.sent)).toEqual([idOf(forUser), idOf(forOther)])
    expect(f.stats().held).toBe(1)
    expect(held).toEqual([idOf(forUser)])

    // The route changing, or another relay linking, does not take it away from custody.
    f.retry(U)
    f.addHop('ee'.repeat(32), hop('upstream'))
    expect(f.stats().held).toBe(1)
    expect(idsOf(claimant.sent)).toEqual([idOf(forUser), idOf(forOther)])

    // The user links here: what was kept is handed over, once.
    const user = hop('peer')
    f.addHop(U, user)
    expect(idsOf(user.sent)).toEqual([idOf(forUser)])
    expect(f.stats().held).toBe(0)
    // Linked directly, later mail goes straight to the user and is not kept.
    const later = envelope(U)
    expect(f.route(later, B)).toBe('forwarded')
    expect(idsOf(user.sent)).toEqual([idOf(forUser), idOf(later)])
    expect(f.stats().held).toBe(0)
  })
})

/**
 * Home registration in the data plane (issue 11): a node sends its own reach record on
 * every link it dialed (a relay it chose), again when the record changes; a custodian
 * hands what it receives to its registry and tells the link whether it was hostile.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import type { Clock } from '../../ports/index.ts'
import { createHomeRegistry, signReachRecord } from '../../reach/index.ts'
import type { LinkFrame } from '../../wire/index.ts'
import { createDataPlane } from '../dataPlane.ts'
import type { PlaneHop } from '../dataPlane.ts'
import { hop, T0 } from './forwarderKit.ts'
import { identityOf } from './routerNet.ts'

const crypto = nobleCrypto()
const clock: Clock = { now: () => T0, setTimeout: () => 0, clearTimeout: () => undefined }
const relayId = identityOf('R')
const user = identityOf('U')
const hex = (id: typeof user): string => toHex(id.signingKey.publicKey)

const recordOf = (seqno: number): Uint8Array =>
  signReachRecord(crypto, user, {
    seqno,
    issuedAt: T0,
    expiresAt: T0 + 60_000,
    relays: [{ identity: relayId.signingKey.publicKey, address: 'wss://r.example.org/link' }],
  })

function recording(kind: 'upstream' | 'peer'): PlaneHop & { readonly reach: Uint8Array[] } {
  const reach: Uint8Array[] = []
  return { ...hop(kind), reach, frame: (f: LinkFrame) => void (f.type === 'reach' && reach.push(f.record)) }
}

describe('data plane home registration', () => {
  it('sends its own record on links it dialed only, and again to each when it changes', () => {
    let own: Uint8Array | null = null
    const node = createDataPlane({ identity: user, crypto, clock, deliverLocal: () => undefined, ownReach: () => own })
    const early = recording('upstream')
    node.linkOpen('aa'.repeat(32), early)
    expect(early.reach).toEqual([]) // no record yet: nothing to register
    own = recordOf(1)
    node.publishReach()
    expect(early.reach).toEqual([own])
    const later = recording('upstream')
    const inbound = recording('peer')
    node.linkOpen('bb'.repeat(32), later)
    node.linkOpen('cc'.repeat(32), inbound)
    expect(later.reach).toEqual([own])
    expect(inbound.reach).toEqual([]) // a contact's direct link is no home relay
    own = recordOf(2)
    node.publishReach()
    expect(early.reach).toEqual([recordOf(1), own])
    expect(later.reach).toEqual([recordOf(1), own])
    expect(inbound.reach).toEqual([])
  })

  it('a custodian keeps a registration and reports hostile ones to the link; a node without a registry ignores them', () => {
    const homes = createHomeRegistry({ crypto, self: relayId.signingKey.publicKey })
    const relay = createDataPlane({ identity: relayId, crypto, clock, custodian: true, deliverLocal: () => undefined, homes })
    expect(relay.reach(hex(user), recordOf(2))).toBe(true)
    expect(homes.isHome(hex(user), T0)).toBe(true)
    expect(relay.reach(hex(user), recordOf(1))).toBe(true) // stale: refused, but no offence
    expect(relay.reach(hex(identityOf('M')), recordOf(3))).toBe(false) // not the sender's own record
    expect(homes.stats()).toEqual({ held: 1, accepted: 1, refused: { stale: 1, 'not-own-record': 1 } })
    const plain = createDataPlane({ identity: user, crypto, clock, deliverLocal: () => undefined })
    expect(plain.reach(hex(identityOf('M')), new Uint8Array([1]))).toBe(true)
  })
})

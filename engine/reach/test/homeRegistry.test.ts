import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import type { Identity } from '../../identity/identity.ts'
import { flipBit } from '../../wire/test/arbitraries.ts'
import { createHomeRegistry } from '../homeRegistry.ts'
import { signReachRecord } from '../reachRecord.ts'
import { alice, countingCrypto, crypto, DAY, identityOf, relay1, relay2, relayAt, T0 } from './reachKit.ts'

const hex = (identity: Identity): string => toHex(identity.signingKey.publicKey)
const mallory = identityOf('reach/mallory')
const atRelay1 = [relayAt(relay1, 'wss://one.example.org')]
const atRelay2 = [relayAt(relay2, 'wss://two.example.org')]

function record(who: Identity, seqno: number, relays = atRelay1, lifetime = DAY): Uint8Array {
  return signReachRecord(crypto, who, { seqno, issuedAt: T0, expiresAt: T0 + lifetime, relays })
}

describe('home registry (a relay\'s registrations)', () => {
  it('keeps a user\'s own record naming this relay, newest first, and answers who is at home here', () => {
    const homes = createHomeRegistry({ crypto, self: relay1.signingKey.publicKey })
    expect(homes.isHome(hex(alice), T0)).toBe(false)
    expect(homes.register(hex(alice), record(alice, 1), T0)).toEqual({ ok: true, status: 'accepted' })
    expect(homes.isHome(hex(alice), T0)).toBe(true)
    expect(homes.register(hex(alice), record(alice, 1), T0)).toEqual({ ok: true, status: 'unchanged' })
    const both = record(alice, 2, [...atRelay1, ...atRelay2])
    expect(homes.register(hex(alice), both, T0 + 1)).toEqual({ ok: true, status: 'accepted' })
    expect(homes.recordOf(hex(alice), T0 + 1)).toEqual(both)
    // An older one (a race, a replay) is refused without harm to the peer's score.
    expect(homes.register(hex(alice), record(alice, 1), T0 + 2)).toEqual({ ok: false, reason: 'stale', hostile: false })
    // Past its expiry the user is no longer at home here.
    expect(homes.isHome(hex(alice), T0 + DAY)).toBe(false)
    // ... and the expired record is dropped when it is asked about.
    expect(homes.stats()).toEqual({ held: 0, accepted: 2, left: 0, refused: { stale: 1 } })
  })

  it('refuses what no honest client sends, as hostile: another user\'s record, a forgery, garbage', () => {
    const counting = countingCrypto()
    const homes = createHomeRegistry({ crypto: counting, self: relay1.signingKey.publicKey })
    // Mallory holds Alice's genuine record (it travels in offers): still not hers to register.
    expect(homes.register(hex(mallory), record(alice, 1), T0)).toEqual({ ok: false, reason: 'not-own-record', hostile: true })
    // A record naming other relays is ordinary (clients register with every relay they dial): refused, not hostile.
    expect(homes.register(hex(alice), record(alice, 1, atRelay2), T0)).toEqual({ ok: false, reason: 'not-named', hostile: false })
    // Those two cost no signature check.
    expect(counting.verifications).toBe(0)
    const genuine = record(alice, 3)
    const forged = flipBit(genuine, (genuine.length - 1) * 8)
    expect(homes.register(hex(alice), forged, T0)).toEqual({ ok: false, reason: 'bad-signature', hostile: true })
    expect(homes.register(hex(alice), new Uint8Array([1, 2, 3]), T0)).toEqual({ ok: false, reason: 'malformed', hostile: true })
    expect(homes.register(hex(alice), new Uint8Array([9]), T0)).toEqual({ ok: false, reason: 'unsupported-version', hostile: true })
    expect(homes.isHome(hex(alice), T0)).toBe(false)
    expect(homes.isHome(hex(mallory), T0)).toBe(false)
    expect(homes.stats()).toEqual({
      held: 0,
      accepted: 0,
      left: 0,
      refused: { 'not-own-record': 1, 'not-named': 1, 'bad-signature': 1, malformed: 1, 'unsupported-version': 1 },
    })
  })

  it('refuses an expired record as not hostile (a phone back after a month), and bounds what it holds', () => {
    const homes = createHomeRegistry({ crypto, self: relay1.signingKey.publicKey, maxEntries: 2 })
    expect(homes.register(hex(alice), record(alice, 1), T0 + DAY)).toEqual({ ok: false, reason: 'expired', hostile: false })
    for (const name of ['u1', 'u2', 'u3']) {
      const user = identityOf(`reach/${name}`)
      homes.register(hex(user), record(user, 1), T0)
    }
    expect(homes.stats().held).toBe(2)
  })

  it('takes a newer record that no longer names it as the user moving away: home here no more, and no offence', () => {
    const homes = createHomeRegistry({ crypto, self: relay1.signingKey.publicKey })
    homes.register(hex(alice), record(alice, 1), T0)
    expect(homes.isHome(hex(alice), T0)).toBe(true)
    expect(homes.register(hex(alice), record(alice, 2, atRelay2), T0)).toEqual({ ok: true, status: 'left' })
    expect(homes.isHome(hex(alice), T0)).toBe(false)
    // The old record replayed changes nothing: the newer one is held.
    expect(homes.register(hex(alice), record(alice, 1), T0)).toEqual({ ok: false, reason: 'stale', hostile: false })
    expect(homes.isHome(hex(alice), T0)).toBe(false)
    // And a forged "I moved" is caught by the signature check before it counts.
    const forged = flipBit(record(alice, 3, atRelay2), 8 * 40)
    expect(homes.register(hex(alice), forged, T0).ok).toBe(false)
    expect(homes.stats()).toMatchObject({ accepted: 1, left: 1 })
  })
})

import { describe, expect, it } from 'vitest'
import { toHex } from '../../engine/bytes.ts'
import { nobleCrypto } from '../../engine/crypto/nobleCrypto.ts'
import { seededRandom } from '../../engine/crypto/test/seededRandom.ts'
import { generateIdentity } from '../../engine/identity/identity.ts'
import type { Clock } from '../../engine/ports/index.ts'
import { MAX_REACH_LIFETIME_MS, verifyReachRecord } from '../../engine/reach/index.ts'
import { REACH_RENEW_BEFORE_MS, createHomeRecord } from '../homeRecord.ts'

const crypto = nobleCrypto()
const user = generateIdentity(crypto, seededRandom('home/user'))
const relayHex = (name: string): string => toHex(generateIdentity(crypto, seededRandom(name)).signingKey.publicKey)
const one = { address: 'wss://one.example.org/link', identityHex: relayHex('home/relay-1') }
const two = { address: 'ws://127.0.0.1:9000/link', identityHex: relayHex('home/relay-2') }

function manualClock(start: number): Clock & { set(t: number): void } {
  let now = start
  return { now: () => now, setTimeout: () => 0, clearTimeout: () => {}, set: (t) => void (now = t) }
}

describe('home record (this user\'s reach record)', () => {
  it('signs a record naming the chosen relays once known, and again only when they change or it gets old', () => {
    const clock = manualClock(1_735_689_600_000)
    const home = createHomeRecord({ crypto, identity: user, clock })
    expect(home.update([])).toBe(false)
    expect(home.current()).toBeNull()
    expect(home.update([one])).toBe(true)
    const first = verifyReachRecord(crypto, home.current()!, { now: clock.now() })
    expect(toHex(first.identity)).toBe(toHex(user.signingKey.publicKey))
    expect(first.relays.map((r) => r.address)).toEqual([one.address])
    expect(first.expiresAt - first.issuedAt).toBe(MAX_REACH_LIFETIME_MS)
    // The same relays: nothing to sign, even a while later.
    clock.set(clock.now() + 60_000)
    expect(home.update([one])).toBe(false)
    // A second relay: a newer record naming both, in the order chosen.
    expect(home.update([one, two])).toBe(true)
    const second = verifyReachRecord(crypto, home.current()!, { now: clock.now() })
    expect(second.relays.map((r) => r.address)).toEqual([one.address, two.address])
    expect(second.seqno).toBeGreaterThan(first.seqno)
    // Close to expiry the same relays are signed again, so relays never drop a live user.
    clock.set(second.issuedAt + MAX_REACH_LIFETIME_MS - REACH_RENEW_BEFORE_MS - 1)
    expect(home.update([one, two])).toBe(false)
    clock.set(second.issuedAt + MAX_REACH_LIFETIME_MS - REACH_RENEW_BEFORE_MS + 1)
    expect(home.update([one, two])).toBe(true)
    expect(verifyReachRecord(crypto, home.current()!, { now: clock.now() }).seqno).toBeGreaterThan(second.seqno)
  })

  it('outranks its last record even when the clock steps back, keeps at most three relays, and leaves out addresses no one else can dial', () => {
    const clock = manualClock(1_735_689_600_000)
    const home = createHomeRecord({ crypto, identity: user, clock })
    const four = ['a', 'b', 'c', 'd'].map((n) => ({ address: `wss://${n}.example.org`, identityHex: relayHex(`home/${n}`) }))
    home.update([{ address: 'mem://relay', identityHex: relayHex('home/mem') }, ...four])
    const first = verifyReachRecord(crypto, home.current()!, { now: clock.now() })
    expect(first.relays.map((r) => r.address)).toEqual(four.slice(0, 3).map((r) => r.address))
    clock.set(clock.now() - 3_600_000)
    home.update(four.slice(1))
    expect(verifyReachRecord(crypto, home.current()!, { now: clock.now() }).seqno).toBe(first.seqno + 1)
    // Only tests' in-memory addresses: no record at all rather than an invalid one.
    const memOnly = createHomeRecord({ crypto, identity: user, clock })
    expect(memOnly.update([{ address: 'mem://relay', identityHex: relayHex('home/mem') }])).toBe(false)
    expect(memOnly.current()).toBeNull()
  })
})

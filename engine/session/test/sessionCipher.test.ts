import { describe, expect, it } from 'vitest'
import { toHex, utf8Decode } from '../../bytes.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { decodeSessionMessage } from '../sessionMessage.ts'
import { AD, Device, establishedPair, pair, shuffled, text } from './harness.ts'

interface InFlight {
  readonly to: Device
  readonly bytes: Uint8Array
  readonly plaintext: string
}

describe('sessions: ordering and delivery', () => {
  it('the initiator sends prekey messages until it hears back, then ratchet messages', () => {
    const { alice, bob } = pair('phases')
    const first = [alice.send(text(1)), alice.send(text(2))]
    expect(first.map((m) => decodeSessionMessage(m).type)).toEqual(['prekey', 'prekey'])
    const opened = bob.tryReceive(first[1]!)
    expect(opened).toMatchObject({ isNewSession: true })
    expect(toHex(opened.sender.identity)).toBe(toHex(alice.identity.signingKey.publicKey))
    expect(toHex(opened.sender.staticKey)).toBe(toHex(alice.identity.staticKey.publicKey))
    expect(toHex(opened.sender.binding)).toBe(toHex(alice.identity.binding))
    bob.commit(opened)
    const reply = bob.send(text(3))
    expect(decodeSessionMessage(reply).type).toBe('ratchet')
    expect(utf8Decode(alice.receive(reply))).toBe('m3')
    expect(alice.sessions[0]!.pendingPrekey).toBeNull()
    expect(decodeSessionMessage(alice.send(text(4))).type).toBe('ratchet')
    expect(utf8Decode(bob.receive(first[0]!))).toBe('m1')
  })

  it('50 first messages, none answered, all open in any order: any one of them starts the session', () => {
    const { alice, bob } = pair('first-50')
    const messages = Array.from({ length: 50 }, (_, i) => ({ i, bytes: alice.send(text(i)) }))
    for (const { i, bytes } of shuffled(messages, seededRandom('first-50/order'))) {
      expect(utf8Decode(bob.receive(bytes))).toBe(`m${i}`)
    }
    expect(bob.sessions).toHaveLength(1)
  })

  it('50 messages across 5 sending chains (A, B, A, B, A) open when delivered in random order', () => {
    const { alice, bob } = pair('shuffle-50')
    const order = seededRandom('shuffle-50/order')
    let pool: InFlight[] = []
    let count = 0
    let sent = 0
    const deliver = (m: InFlight): void => {
      expect(utf8Decode(m.to.receive(m.bytes))).toBe(m.plaintext)
      pool = pool.filter((p) => p !== m)
      count += 1
    }
    const batches: [Device, Device][] = [[alice, bob], [bob, alice], [alice, bob], [bob, alice], [alice, bob]]
    const chains = new Set<string>()
    for (const [from, to] of batches) {
      const batch: InFlight[] = []
      for (let i = 0; i < 10; i++, sent++) {
        batch.push({ to, bytes: from.send(text(sent)), plaintext: `m${sent}` })
        chains.add(toHex(from.sessions[0]!.sendingRatchetKey.publicKey))
      }
      pool.push(...batch)
      // One message of this batch reaches its recipient, so its next batch starts a new DH step;
      // then a random half of everything in flight, so older chains still have messages on the way.
      deliver(shuffled(batch, order)[0]!)
      for (const m of shuffled(pool, order).slice(0, Math.floor(pool.length / 2))) deliver(m)
    }
    expect(chains.size).toBe(5)
    for (const m of shuffled(pool, order)) deliver(m)
    expect(count).toBe(50)
    expect(bob.sessions).toHaveLength(1)
    expect(alice.sessions).toHaveLength(1)
  })

  it('a receiver with many sessions finds each message’s session and sender without being told', () => {
    const bob = new Device('many/bob', 10)
    const peers = ['alice', 'carol', 'dave', 'erin'].map((name) => new Device(`many/${name}`))
    for (const p of peers) {
      p.startSession(bob.bundle())
      bob.receive(p.send(text(0)))
      p.receive(bob.send(text(0, 'hi ')))
    }
    expect(bob.sessions).toHaveLength(4)
    for (let round = 0; round < 3; round++) {
      for (const p of peers) {
        const opened = bob.tryReceive(p.send(text(round)))
        expect(toHex(opened.sender.identity)).toBe(toHex(p.identity.signingKey.publicKey))
        expect(utf8Decode(opened.plaintext)).toBe(`m${round}`)
        bob.commit(opened)
      }
    }
  })

  it('simultaneous initiation: each side keeps both sessions and both keep working', () => {
    const alice = new Device('simul/alice')
    const bob = new Device('simul/bob')
    alice.startSession(bob.bundle())
    bob.startSession(alice.bundle())
    const fromAlice = alice.send(text(1))
    const fromBob = bob.send(text(2))
    expect(utf8Decode(bob.receive(fromAlice))).toBe('m1')
    expect(utf8Decode(alice.receive(fromBob))).toBe('m2')
    expect(alice.sessions).toHaveLength(2)
    // Each now sends on the session it last received on; the other finds it by trial.
    expect(utf8Decode(alice.receive(bob.send(text(3))))).toBe('m3')
    expect(utf8Decode(bob.receive(alice.send(text(4))))).toBe('m4')
  })

  it('round trips long conversations: 20 alternating turns of 3 messages', () => {
    const { alice, bob } = establishedPair('long')
    for (let turn = 0; turn < 20; turn++) {
      const [from, to] = turn % 2 === 0 ? [alice, bob] : [bob, alice]
      const sent = [0, 1, 2].map((i) => from.send(text(turn * 3 + i), AD))
      for (const [i, m] of sent.entries()) expect(utf8Decode(to.receive(m))).toBe(`m${turn * 3 + i}`)
    }
  })
})

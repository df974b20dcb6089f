import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { utf8Decode, utf8Encode } from '../../bytes.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { generateIdentity } from '../../identity/identity.ts'
import { decodeSessionState, encodeSessionState } from '../ratchetState.ts'
import { decryptMessage } from '../sessionCipher.ts'
import type { SessionState } from '../ratchetState.ts'
import { AD, contains, crypto, Device, errorName, establishedPair, pair, text, typedError } from './harness.ts'

/** An attacker's copy of a device: its stored state, its own randomness. */
function stolen(device: Device): { open(message: Uint8Array): Uint8Array; state: SessionState } {
  const copy = { state: decodeSessionState(encodeSessionState(device.sessions[0]!)) }
  const random = seededRandom('attacker')
  return {
    get state() {
      return copy.state
    },
    open(message: Uint8Array): Uint8Array {
      const out = decryptMessage(crypto, random, device.identity, device.prekeys, { candidates: () => [copy.state] }, message, AD)
      copy.state = out.state
      return out.plaintext
    },
  }
}

describe('forward secrecy and post-compromise security', () => {
  it('a copy of the receiver’s state at time T opens none of the messages it had already read', () => {
    const { alice, bob } = establishedPair('fs')
    const read: Uint8Array[] = []
    for (let turn = 0; turn < 3; turn++) {
      const batch = [0, 1, 2].map((i) => alice.send(text(turn * 3 + i)))
      for (const m of batch) bob.receive(m)
      read.push(...batch)
      alice.receive(bob.send(text(turn, 'ack')))
    }
    const attacker = stolen(bob)
    for (const m of read) expect(['DuplicateOrExpiredError', 'NoSessionError']).toContain(typedError(() => attacker.open(m)))
  })

  it('a copy at time T reads nothing sent after the next DH round trip', () => {
    const { alice, bob } = establishedPair('pcs')
    const atT = encodeSessionState(bob.sessions[0]!)
    const attacker = stolen(bob)
    // Until Bob's next ratchet key is in use, the attacker follows along (the expected limit of PCS).
    const beforeHealing = alice.send(text(1))
    expect(utf8Decode(attacker.open(beforeHealing))).toBe('m1')
    bob.receive(beforeHealing)
    const reply = bob.send(text(2))
    alice.receive(reply)
    expect(typedError(() => attacker.open(reply))).toBe('NoSessionError')
    // Healed: message keys now depend on Bob's fresh ratchet secret. Header keys run one DH step
    // behind (§4: NHK comes from the previous root step), so the attacker may still open the
    // header, but never the body.
    const healed = [alice.send(text(3)), alice.send(text(4))]
    for (const m of healed) expect(['NoSessionError', 'DecryptError']).toContain(typedError(() => attacker.open(m)))
    for (const [i, m] of healed.entries()) expect(utf8Decode(bob.receive(m))).toBe(`m${i + 3}`)
    // One more round trip and even the headers are opaque to both the evolved and the raw copy.
    alice.receive(bob.send(text(5)))
    const later = alice.send(text(6))
    expect(typedError(() => attacker.open(later))).toBe('NoSessionError')
    const raw = decodeSessionState(atT)
    expect(typedError(() => decryptMessage(crypto, seededRandom('x'), bob.identity, bob.prekeys, { candidates: () => [raw] }, later, AD)))
      .toBe('NoSessionError')
    expect(utf8Decode(bob.receive(later))).toBe('m6')
  })
})

describe('sealed sender', () => {
  it('no message carries the sender’s identity, static key or binding in the clear', () => {
    const { alice, bob } = pair('sealed')
    const secrets = [alice.identity.signingKey.publicKey, alice.identity.staticKey.publicKey, alice.identity.binding]
    const prekeyMessage = alice.send(text(1))
    bob.receive(prekeyMessage)
    alice.receive(bob.send(text(2)))
    const ratchetMessage = alice.send(text(3))
    for (const m of [prekeyMessage, ratchetMessage]) {
      for (const s of secrets) expect(contains(m, s.subarray(0, 8))).toBe(false)
    }
  })

  it('other associated data fails (prekey message, prekey message of a known session, ratchet message)', () => {
    const { alice, bob } = pair('sealed-ad')
    const other = utf8Encode('envelope v1 | other id | destination')
    const first = alice.send(text(1))
    expect(typedError(() => bob.receive(first, other))).toBe('DecryptError')
    bob.receive(first)
    const second = alice.send(text(2))
    alice.receive(bob.send(text(3)))
    const ratchet = alice.send(text(4))
    const before = bob.snapshot()
    expect(typedError(() => bob.receive(second, other))).toBe('DecryptError')
    expect(typedError(() => bob.receive(ratchet, other))).toBe('NoSessionError')
    expect(bob.snapshot()).toBe(before)
    expect(utf8Decode(bob.receive(second))).toBe('m2')
    expect(utf8Decode(bob.receive(ratchet))).toBe('m4')
  })

  it('a sender whose identity does not sign its static key is refused (InvalidSenderError)', () => {
    const bob = new Device('sealed-binding/bob')
    const real = generateIdentity(crypto, seededRandom('sealed-binding/alice'))
    const forged = { ...real, binding: generateIdentity(crypto, seededRandom('sealed-binding/x')).binding }
    const alice = new Device('sealed-binding/alice', 0, forged)
    alice.startSession(bob.bundle())
    const before = bob.snapshot()
    expect(typedError(() => bob.receive(alice.send(text(1))))).toBe('InvalidSenderError')
    expect(bob.snapshot()).toBe(before)
  })
})

describe('tampered, garbage and misdirected input', () => {
  const ALL_ZERO = new Uint8Array(32)

  it('every single-bit flip of a ratchet message is a typed error; state unchanged; the genuine one opens', () => {
    const { alice, bob } = establishedPair('flip-ratchet')
    const genuine = alice.send(utf8Encode('a genuine message'))
    const before = bob.snapshot()
    for (let bit = 0; bit < genuine.length * 8; bit++) {
      const bad = genuine.slice()
      bad[bit >> 3]! ^= 1 << (bit & 7)
      typedError(() => bob.receive(bad))
    }
    expect(bob.snapshot()).toBe(before)
    expect(utf8Decode(bob.receive(genuine))).toBe('a genuine message')
  })

  it('a flipped bit in every byte of a prekey message, before and after the session exists', () => {
    const { alice, bob } = pair('flip-prekey')
    const first = alice.send(utf8Encode('first'))
    const second = alice.send(utf8Encode('second'))
    for (const [message, expected] of [[first, 'first'], [second, 'second']] as const) {
      const before = bob.snapshot()
      for (let i = 0; i < message.length; i++) {
        const bad = message.slice()
        bad[i]! ^= 1 << (i % 8)
        typedError(() => bob.receive(bad))
      }
      expect(bob.snapshot()).toBe(before)
      expect(utf8Decode(bob.receive(message))).toBe(expected)
    }
  })

  it('garbage is a typed error and changes nothing', () => {
    const { alice, bob } = establishedPair('garbage')
    const genuine = alice.send(text(1))
    const before = bob.snapshot()
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.uint8Array({ minLength: 84, maxLength: 300 }).map((b) => Uint8Array.of(1, 2, ...b)),
          fc.uint8Array({ minLength: 260, maxLength: 400 }).map((b) => Uint8Array.of(1, 1, ...b)),
        ),
        (bytes) => {
          typedError(() => bob.receive(bytes))
        },
      ),
      { numRuns: 300 },
    )
    expect(bob.snapshot()).toBe(before)
    expect(utf8Decode(bob.receive(genuine))).toBe('m1')
  })

  it('a low-order EK_A is WeakKeyError', () => {
    const { alice, bob } = pair('weak')
    const message = alice.send(text(1))
    message.set(ALL_ZERO, 2)
    expect(typedError(() => bob.receive(message))).toBe('WeakKeyError')
  })

  it('a message for someone else opens in no session of theirs', () => {
    const { alice, bob } = establishedPair('misdirected')
    const carol = new Device('misdirected/carol')
    const dave = new Device('misdirected/dave')
    carol.startSession(bob.bundle())
    bob.receive(carol.send(text(0)))
    dave.startSession(carol.bundle())
    carol.receive(dave.send(text(0)))
    const forBob = alice.send(text(1))
    expect(typedError(() => carol.receive(forBob))).toBe('NoSessionError')
    expect(errorName(() => carol.receive(dave.send(text(2))))).toBeNull()
    const forCarolFirst = new Device('misdirected/erin')
    forCarolFirst.startSession(carol.bundle())
    expect(['UnknownOneTimePrekeyError', 'UnknownSignedPrekeyError', 'DecryptError']).toContain(
      typedError(() => bob.receive(forCarolFirst.send(text(3)))),
    )
  })
})

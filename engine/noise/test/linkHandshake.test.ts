import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { SignatureContext, signWithContext } from '../../identity/contexts.ts'
import { bindStaticKey, generateIdentity } from '../../identity/identity.ts'
import type { Identity } from '../../identity/identity.ts'
import { LINK_MAX_PLAINTEXT, createLinkHandshake } from '../linkHandshake.ts'
import type { LinkHandshake, LinkSession } from '../linkHandshake.ts'

const crypto = nobleCrypto()
const alice = generateIdentity(crypto, seededRandom('alice'))
const bob = generateIdentity(crypto, seededRandom('bob'))
const mallory = generateIdentity(crypto, seededRandom('mallory'))

function errorName(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

function pair(initiatorId: Identity, responderId: Identity, seed = 'link'): [LinkHandshake, LinkHandshake] {
  const random = seededRandom(seed)
  return [
    createLinkHandshake({ crypto, random, identity: initiatorId, initiator: true }),
    createLinkHandshake({ crypto, random, identity: responderId, initiator: false }),
  ]
}

function connect(initiatorId: Identity, responderId: Identity, seed?: string): [LinkSession, LinkSession] {
  const [i, r] = pair(initiatorId, responderId, seed)
  expect(r.start()).toBeNull()
  const step1 = r.receive(i.start()!)
  expect(step1.session).toBeNull()
  const step2 = i.receive(step1.reply!)
  expect(step2.session).not.toBeNull()
  const step3 = r.receive(step2.reply!)
  expect(step3.reply).toBeNull()
  return [step2.session!, step3.session!]
}

describe('link handshake', () => {
  it('both sides complete, learn each other’s identity, and exchange data', () => {
    const [a, b] = connect(alice, bob)
    expect(toHex(a.remoteIdentity)).toBe(toHex(bob.signingKey.publicKey))
    expect(toHex(b.remoteIdentity)).toBe(toHex(alice.signingKey.publicKey))
    expect(toHex(a.remoteStaticKey)).toBe(toHex(bob.staticKey.publicKey))
    expect(toHex(b.remoteStaticKey)).toBe(toHex(alice.staticKey.publicKey))
    expect(toHex(a.handshakeHash)).toBe(toHex(b.handshakeHash))
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 200 })), { maxLength: 20 }), (traffic) => {
        for (const [fromA, message] of traffic) {
          const [from, to] = fromA ? [a, b] : [b, a]
          expect(toHex(to.decrypt(from.encrypt(message)))).toBe(toHex(message))
        }
      }),
      { numRuns: 20 },
    )
  })

  it('a tampered transport message is a DecryptError and changes nothing', () => {
    const [a, b] = connect(alice, bob)
    const sealed = a.encrypt(Uint8Array.of(1, 2, 3))
    const bad = sealed.slice()
    bad[0]! ^= 1
    expect(errorName(() => b.decrypt(bad))).toBe('DecryptError')
    expect(toHex(b.decrypt(sealed))).toBe('010203')
    expect(errorName(() => a.encrypt(new Uint8Array(LINK_MAX_PLAINTEXT + 1)))).toBe('MessageTooLargeError')
  })

  /** A responder identity whose binding was forged in `forge`; the initiator must refuse it. */
  function responderWith(binding: Uint8Array): Identity {
    return { ...bob, binding }
  }

  it.each([
    ['made for a different static key', bindStaticKey(crypto, bob.signingKey.secretKey, mallory.staticKey.publicKey)],
    ['signed by another identity', bindStaticKey(crypto, mallory.signingKey.secretKey, bob.staticKey.publicKey)],
    ['under another context', signWithContext(crypto, bob.signingKey.secretKey, SignatureContext.handshake, bob.staticKey.publicKey)],
    ['all zero', new Uint8Array(64)],
    ['truncated', bob.binding.subarray(0, 63)],
  ])('the initiator refuses a responder binding %s', (_why, binding) => {
    const [i, r] = pair(alice, responderWith(binding))
    const { reply } = r.receive(i.start()!)
    expect(errorName(() => i.receive(reply!))).toBe('IdentityBindingError')
    // Aborted for good.
    expect(errorName(() => i.receive(reply!))).toBe('NoiseStateError')
  })

  it('the responder refuses an initiator whose binding is for another key', () => {
    const forged: Identity = { ...alice, binding: bindStaticKey(crypto, alice.signingKey.secretKey, mallory.staticKey.publicKey) }
    const [i, r] = pair(forged, bob)
    const { reply } = r.receive(i.start()!)
    const { reply: m3 } = i.receive(reply!)
    expect(errorName(() => r.receive(m3!))).toBe('IdentityBindingError')
  })

  it('a peer claiming another identity with its own binding is refused', () => {
    // Mallory presents Bob's identity key with Mallory's binding over Mallory's static.
    const impostor: Identity = { ...mallory, signingKey: { ...mallory.signingKey, publicKey: bob.signingKey.publicKey } }
    const [i, r] = pair(alice, impostor)
    const { reply } = r.receive(i.start()!)
    expect(errorName(() => i.receive(reply!))).toBe('IdentityBindingError')
  })

  it('messages out of order throw typed errors', () => {
    const [i, r] = pair(alice, bob)
    expect(errorName(() => i.receive(new Uint8Array(48)))).toBe('NoiseStateError')
    const m1 = pair(alice, bob)[0].start()!
    const [, r2] = pair(alice, bob)
    const { reply: m2 } = r2.receive(m1)
    // Message 2 fed to a responder that expects message 1: its payload is not empty.
    expect(errorName(() => r.receive(m2!))).toBe('HandshakeError')
    const [i3] = pair(alice, bob)
    i3.start()
    expect(errorName(() => i3.start())).toBe('NoiseStateError')
  })

  it('a replayed message 1 after completion, or any message after it, is refused', () => {
    const [i, r] = pair(alice, bob)
    const m1 = i.start()!
    const { reply: m2 } = r.receive(m1)
    const { reply: m3 } = i.receive(m2!)
    r.receive(m3!)
    expect(errorName(() => r.receive(m1))).toBe('NoiseStateError')
    expect(errorName(() => i.receive(m2!))).toBe('NoiseStateError')
  })

  it('a different prologue on one side fails the handshake', () => {
    const random = seededRandom('prologue')
    const i = createLinkHandshake({ crypto, random, identity: alice, initiator: true, prologue: Uint8Array.of(1) })
    const r = createLinkHandshake({ crypto, random, identity: bob, initiator: false })
    const { reply } = r.receive(i.start()!)
    expect(errorName(() => i.receive(reply!))).toBe('DecryptError')
  })
})

import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { generateX25519KeyPair } from '../../crypto/keyPair.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { generateIdentity } from '../../identity/identity.ts'
import { dropPreviousSignedPrekey, rotateSignedPrekey } from '../prekeySecrets.ts'
import { generateSignedPrekey } from '../prekeys.ts'
import type { PrekeyBundle } from '../prekeys.ts'
import { createOutboundSession } from '../sessionCipher.ts'
import { x3dhInitiator, x3dhResponder } from '../x3dh.ts'
import { crypto, Device, errorName, pair, text } from './harness.ts'

const random = seededRandom('x3dh')

describe('X3DH', () => {
  it('both sides derive the same SK and sealed-sender key, with and without a one-time prekey', () => {
    const [ika, ikb, spk, opk, ek] = [1, 2, 3, 4, 5].map(() => generateX25519KeyPair(crypto, random))
    for (const oneTime of [opk!, null]) {
      const initiator = x3dhInitiator(crypto, {
        identityKey: ika!, ephemeralKey: ek!, peerIdentityKey: ikb!.publicKey,
        peerSignedPrekey: spk!.publicKey, peerOneTimePrekey: oneTime?.publicKey ?? null,
      })
      const responder = x3dhResponder(crypto, { identityKey: ikb!, signedPrekey: spk!, oneTimePrekey: oneTime }, ek!.publicKey)
      expect(toHex(responder.sharedSecret(ika!.publicKey))).toBe(toHex(initiator.sharedSecret))
      expect(toHex(responder.sealedSenderKey)).toBe(toHex(initiator.sealedSenderKey))
      expect(toHex(initiator.sharedSecret)).not.toBe(toHex(initiator.sealedSenderKey))
    }
  })

  it('a different IK_A gives a different SK (DH1 authenticates the initiator)', () => {
    const [ika, ikb, spk, ek, mallory] = [1, 2, 3, 4, 5].map(() => generateX25519KeyPair(crypto, random))
    const response = x3dhResponder(crypto, { identityKey: ikb!, signedPrekey: spk!, oneTimePrekey: null }, ek!.publicKey)
    expect(toHex(response.sharedSecret(ika!.publicKey))).not.toBe(toHex(response.sharedSecret(mallory!.publicKey)))
  })
})

describe('createOutboundSession verifies the bundle (X3DH §3.3)', () => {
  const bob = new Device('bundle/bob')
  const alice = generateIdentity(crypto, seededRandom('bundle/alice'))
  const good = bob.bundle()
  const mallory = generateIdentity(crypto, seededRandom('bundle/mallory'))

  function flip(bytes: Uint8Array, index = 0): Uint8Array {
    const out = bytes.slice()
    out[index]! ^= 1
    return out
  }

  const bad: [string, PrekeyBundle][] = [
    ['prekey signature bit flipped', { ...good, signedPrekey: { ...good.signedPrekey, signature: flip(good.signedPrekey.signature, 5) } }],
    ['signed prekey replaced', { ...good, signedPrekey: { ...good.signedPrekey, publicKey: flip(good.signedPrekey.publicKey) } }],
    ['signed prekey id changed', { ...good, signedPrekey: { ...good.signedPrekey, id: good.signedPrekey.id + 1 } }],
    ['binding bit flipped', { ...good, binding: flip(good.binding, 9) }],
    ['static key swapped for another identity’s', { ...good, staticKey: mallory.staticKey.publicKey }],
    ['identity swapped (binding and prekey signed by someone else)', { ...good, identity: mallory.signingKey.publicKey }],
    ['prekey signed by another identity', {
      ...good,
      signedPrekey: (() => {
        const s = generateSignedPrekey(crypto, random, mallory, good.signedPrekey.id)
        return { id: s.id, publicKey: s.keyPair.publicKey, signature: s.signature }
      })(),
    }],
  ]

  it('accepts the genuine bundle', () => {
    expect(createOutboundSession(crypto, random, alice, good).pendingPrekey).not.toBeNull()
  })

  for (const [name, bundle] of bad) {
    it(`throws InvalidBundleError: ${name}`, () => {
      expect(errorName(() => createOutboundSession(crypto, random, alice, bundle))).toBe('InvalidBundleError')
    })
  }
})

describe('one-time prekeys', () => {
  it('are consumed once: the session start reports it and the next start with it fails, changing nothing', () => {
    const bob = new Device('opk/bob', 1)
    const bundle = bob.bundle()
    const alice = new Device('opk/alice')
    alice.startSession(bundle)
    const first = bob.tryReceive(alice.send(text(1)))
    expect(first.isNewSession).toBe(true)
    expect(first.consumedOneTimePrekey).toBe(bundle.oneTimePrekeys[0]!.id)
    bob.commit(first)
    expect(bob.prekeys.oneTimePrekeys).toHaveLength(0)

    // A second initiator holding the same (stale) bundle, and Alice starting over with a new EK_A.
    const carol = new Device('opk/carol')
    carol.startSession(bundle)
    alice.startSession(bundle)
    const before = bob.snapshot()
    expect(errorName(() => bob.receive(carol.send(text(2))))).toBe('UnknownOneTimePrekeyError')
    expect(errorName(() => bob.receive(alice.send(text(3))))).toBe('UnknownOneTimePrekeyError')
    expect(bob.snapshot()).toBe(before)
  })

  it('later prekey messages of the same session need no prekey: they go to the session with that baseKey', () => {
    const { alice, bob } = pair('opk/same-session', 1)
    const m1 = alice.send(text(1))
    const m2 = alice.send(text(2))
    expect(bob.tryReceive(m1).consumedOneTimePrekey).not.toBeNull()
    bob.receive(m1)
    const second = bob.tryReceive(m2)
    expect(second).toMatchObject({ isNewSession: false, consumedOneTimePrekey: null })
    expect(bob.prekeys.oneTimePrekeys).toHaveLength(0)
  })

  it('a bundle without one-time prekeys still starts a session (no DH4)', () => {
    const { alice, bob } = pair('opk/none', 0)
    const result = bob.tryReceive(alice.send(text(1)))
    expect(result).toMatchObject({ isNewSession: true, consumedOneTimePrekey: null })
  })
})

describe('signed prekey rotation', () => {
  it('opens prekey messages for the previous signed prekey until the grace period ends', () => {
    const { alice, bob } = pair('rotate')
    const inFlight = alice.send(text(1))
    bob.prekeys = rotateSignedPrekey(bob.prekeys, generateSignedPrekey(crypto, bob.random, bob.identity, 2))
    expect(bob.tryReceive(inFlight).isNewSession).toBe(true)
    bob.prekeys = dropPreviousSignedPrekey(bob.prekeys, 1)
    expect(errorName(() => bob.tryReceive(inFlight))).toBe('UnknownSignedPrekeyError')
  })
})

/** Known-answer vectors; README.md says how golden.json was produced (independently, in Python). */
import { describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8Decode, utf8Encode } from '../../bytes.ts'
import { x25519KeyPair } from '../../crypto/keyPair.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { generateIdentity } from '../../identity/identity.ts'
import { createPrekeySecrets, prekeyBundleOf } from '../prekeySecrets.ts'
import { decodePrekeyBundle, encodePrekeyBundle, generateOneTimePrekeys, generateSignedPrekey } from '../prekeys.ts'
import { createOutboundSession, decryptMessage, encryptMessage } from '../sessionCipher.ts'
import { x3dhInitiator, x3dhResponder } from '../x3dh.ts'
import golden from './golden.json'
import { crypto } from './harness.ts'

describe('X3DH known answer', () => {
  const v = golden.x3dh
  const random = seededRandom(v.seed)
  const [ika, ikb, spkb, opkb, eka] = [0, 1, 2, 3, 4].map(() => x25519KeyPair(crypto, random.bytes(32))) as [
    ReturnType<typeof x25519KeyPair>, ReturnType<typeof x25519KeyPair>, ReturnType<typeof x25519KeyPair>,
    ReturnType<typeof x25519KeyPair>, ReturnType<typeof x25519KeyPair>,
  ]

  it('the initiator derives the vector’s SK and sealed-sender key, with and without an OPK', () => {
    const input = { identityKey: ika, ephemeralKey: eka, peerIdentityKey: ikb.publicKey, peerSignedPrekey: spkb.publicKey }
    const withOpk = x3dhInitiator(crypto, { ...input, peerOneTimePrekey: opkb.publicKey })
    expect(toHex(withOpk.sharedSecret)).toBe(v.sharedSecret)
    expect(toHex(withOpk.sealedSenderKey)).toBe(v.sealedSenderKey)
    expect(toHex(x3dhInitiator(crypto, { ...input, peerOneTimePrekey: null }).sharedSecret)).toBe(v.sharedSecretWithoutOneTimePrekey)
  })

  it('the responder derives the same', () => {
    const response = x3dhResponder(crypto, { identityKey: ikb, signedPrekey: spkb, oneTimePrekey: opkb }, eka.publicKey)
    expect(toHex(response.sealedSenderKey)).toBe(v.sealedSenderKey)
    expect(toHex(response.sharedSecret(ika.publicKey))).toBe(v.sharedSecret)
    const noOpk = x3dhResponder(crypto, { identityKey: ikb, signedPrekey: spkb, oneTimePrekey: null }, eka.publicKey)
    expect(toHex(noOpk.sharedSecret(ika.publicKey))).toBe(v.sharedSecretWithoutOneTimePrekey)
  })
})

describe('golden exchange: bundle, prekey message, reply, ratchet message', () => {
  const v = golden.exchange
  const ad = fromHex(v.ad)
  const aliceRandom = seededRandom(v.aliceSeed)
  const bobRandom = seededRandom(v.bobSeed)
  const alice = generateIdentity(crypto, aliceRandom)
  const bob = generateIdentity(crypto, bobRandom)
  const spk = generateSignedPrekey(crypto, bobRandom, bob, v.signedPrekeyId)
  const prekeys = createPrekeySecrets(spk, generateOneTimePrekeys(crypto, bobRandom, v.oneTimePrekeyIds[0]!, 2))

  it('reproduces every byte, and each side opens the other’s messages', () => {
    const bundle = prekeyBundleOf(bob, prekeys)
    expect(toHex(encodePrekeyBundle(bundle))).toBe(v.bundle)
    expect(decodePrekeyBundle(fromHex(v.bundle))).toEqual(bundle)

    let aliceState = createOutboundSession(crypto, aliceRandom, alice, bundle)
    const m1 = encryptMessage(crypto, aliceRandom, aliceState, utf8Encode(v.messages[0]!.plaintext), ad)
    aliceState = m1.state
    expect(toHex(m1.message)).toBe(v.messages[0]!.bytes)

    const opened1 = decryptMessage(crypto, bobRandom, bob, prekeys, { candidates: () => [] }, m1.message, ad)
    expect(utf8Decode(opened1.plaintext)).toBe(v.messages[0]!.plaintext)
    expect(opened1.consumedOneTimePrekey).toBe(v.oneTimePrekeyUsed)
    expect(toHex(opened1.sender.identity)).toBe(toHex(alice.signingKey.publicKey))

    const m2 = encryptMessage(crypto, bobRandom, opened1.state, utf8Encode(v.messages[1]!.plaintext), ad)
    expect(toHex(m2.message)).toBe(v.messages[1]!.bytes)
    const opened2 = decryptMessage(crypto, aliceRandom, alice, prekeys, { candidates: () => [aliceState] }, m2.message, ad)
    expect(utf8Decode(opened2.plaintext)).toBe(v.messages[1]!.plaintext)

    const m3 = encryptMessage(crypto, aliceRandom, opened2.state, utf8Encode(v.messages[2]!.plaintext), ad)
    expect(toHex(m3.message)).toBe(v.messages[2]!.bytes)
    const opened3 = decryptMessage(crypto, bobRandom, bob, prekeys, { candidates: () => [m2.state] }, m3.message, ad)
    expect(utf8Decode(opened3.plaintext)).toBe(v.messages[2]!.plaintext)
  })
})

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { generateIdentity } from '../../identity/index.ts'
import type { Identity } from '../../identity/index.ts'
import { decodeEnvelope, encodeEnvelope } from '../../wire/index.ts'
import type { Envelope, EnvelopeHeader, MessageBody } from '../../wire/index.ts'
import { messageBodyArb, textArb } from '../../wire/test/arbitraries.ts'
import { openEnvelope, sealEnvelope } from '../sealEnvelope.ts'

const crypto = nobleCrypto()
const random = seededRandom('sealEnvelope')
const alice = generateIdentity(crypto, random)
const bob = generateIdentity(crypto, random)
const carol = generateIdentity(crypto, random)
const EXPIRES = 1_800_000_000_000

function seal(body: MessageBody, ttl = 7): Envelope {
  const sealed = sealEnvelope({
    crypto,
    random,
    identity: alice,
    recipient: { identity: bob.signingKey.publicKey, staticKey: bob.staticKey.publicKey },
    body,
    expiresAt: EXPIRES,
    ttl,
  })
  const envelope = decodeEnvelope(sealed.bytes)
  expect(toHex(envelope.header.id)).toBe(toHex(sealed.id))
  return envelope
}

const textBody = (text: string): MessageBody => ({
  type: 'text',
  sender: { identity: alice.signingKey.publicKey, binding: alice.binding },
  sentAt: 1_700_000_000_000,
  text,
})

function openName(identity: Identity, envelope: Envelope): string | null {
  try {
    openEnvelope(crypto, identity, envelope)
    return null
  } catch (err) {
    return (err as Error).name
  }
}

describe('sealEnvelope / openEnvelope', () => {
  it('random texts open to the same body, and reveal the sender’s static key', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 0, max: 255 }), (text, ttl) => {
        const envelope = seal(textBody(text), ttl)
        expect(envelope.header).toMatchObject({ version: 1, ttl, expiresAt: EXPIRES })
        expect(toHex(envelope.header.destination)).toBe(toHex(bob.signingKey.publicKey))
        const opened = openEnvelope(crypto, bob, envelope)
        expect(opened.body).toEqual(textBody(text))
        expect(toHex(opened.senderStaticKey)).toBe(toHex(alice.staticKey.publicKey))
      }),
      { numRuns: 40 },
    )
  })

  it('any message body, intro included, round-trips', () => {
    fc.assert(
      fc.property(messageBodyArb, (body) => {
        expect(openEnvelope(crypto, bob, seal(body)).body).toEqual(body)
      }),
      { numRuns: 25 },
    )
  })

  it('a fresh id and ephemeral each time', () => {
    const a = seal(textBody('same'))
    const b = seal(textBody('same'))
    expect(toHex(a.header.id)).not.toBe(toHex(b.header.id))
    expect(toHex(a.body)).not.toBe(toHex(b.body))
  })

  it('only the recipient opens it', () => {
    expect(openName(carol, seal(textBody('for Bob')))).toBe('DecryptError')
    expect(openName(alice, seal(textBody('for Bob')))).toBe('DecryptError')
  })

  it('the associated data covers id, destination and expiry: changing one is a DecryptError', () => {
    const field = fc.constantFrom('id', 'destination', 'expiresAt')
    fc.assert(
      fc.property(field, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 2 ** 40 }), (name, bytes, delta) => {
        const envelope = seal(textBody('bound'))
        const h = envelope.header
        const changed: EnvelopeHeader =
          name === 'id'
            ? { ...h, id: bytes.subarray(0, 16) }
            : name === 'destination'
              ? { ...h, destination: bytes }
              : { ...h, expiresAt: (h.expiresAt + delta) % 2 ** 48 }
        fc.pre(toHex(encodeEnvelope({ header: changed, body: envelope.body })) !== toHex(encodeEnvelope(envelope)))
        expect(openName(bob, { header: changed, body: envelope.body })).toBe('DecryptError')
      }),
      { numRuns: 60 },
    )
  })

  it('the associated data covers the version: another version is refused with a typed error', () => {
    const envelope = seal(textBody('v1'))
    const header = { ...envelope.header, version: 2 } as unknown as EnvelopeHeader
    expect(openName(bob, { header, body: envelope.body })).toBe('UnsupportedVersionError')
    const bytes = encodeEnvelope(envelope)
    bytes[0] = 2
    expect(() => decodeEnvelope(bytes)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError' }))
  })

  it('the ttl is not covered: relays may decrement it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (ttl) => {
        const envelope = seal(textBody('hops'), 200)
        const opened = openEnvelope(crypto, bob, { header: { ...envelope.header, ttl }, body: envelope.body })
        expect(opened.body).toEqual(textBody('hops'))
      }),
      { numRuns: 10 },
    )
  })
})

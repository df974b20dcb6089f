import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex, utf8Encode } from '../../bytes.ts'
import { generateX25519KeyPair } from '../../crypto/keyPair.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { SEALED_MAX_PAYLOAD, SEALED_OVERHEAD, openSealed, sealMessage } from '../sealed.ts'

const crypto = nobleCrypto()
const random = seededRandom('sealed')
const sender = generateX25519KeyPair(crypto, random)
const recipient = generateX25519KeyPair(crypto, random)
const stranger = generateX25519KeyPair(crypto, random)
const associatedData = utf8Encode('header v1 id dest expiry')

function errorName(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

function seal(payload: Uint8Array): Uint8Array {
  return sealMessage({ crypto, random, senderStatic: sender, recipientStaticPublicKey: recipient.publicKey, associatedData, payload })
}

describe('sealed messages (Noise_X)', () => {
  it('round-trips any payload and reveals the sender’s static key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (payload) => {
        const sealed = seal(payload)
        expect(sealed.length).toBe(payload.length + SEALED_OVERHEAD)
        const opened = openSealed({ crypto, recipientStatic: recipient, associatedData, sealed })
        expect(toHex(opened.payload)).toBe(toHex(payload))
        expect(toHex(opened.senderStaticPublicKey)).toBe(toHex(sender.publicKey))
      }),
      { numRuns: 30 },
    )
  })

  it('fresh ephemeral each time: sealing twice gives different bytes', () => {
    expect(toHex(seal(Uint8Array.of(1)))).not.toBe(toHex(seal(Uint8Array.of(1))))
  })

  it('fails with different associated data', () => {
    const sealed = seal(utf8Encode('hi'))
    const other = utf8Encode('header v1 id dest expirz')
    expect(errorName(() => openSealed({ crypto, recipientStatic: recipient, associatedData: other, sealed }))).toBe('DecryptError')
  })

  it('fails for the wrong recipient', () => {
    const sealed = seal(utf8Encode('hi'))
    expect(errorName(() => openSealed({ crypto, recipientStatic: stranger, associatedData, sealed }))).toBe('DecryptError')
  })

  it('fails on every single-bit flip with a typed error', () => {
    const sealed = seal(utf8Encode('bit flips'))
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const bad = sealed.slice()
      bad[bit >> 3]! ^= 1 << (bit & 7)
      expect(['DecryptError', 'WeakKeyError'], `bit ${bit}`).toContain(
        errorName(() => openSealed({ crypto, recipientStatic: recipient, associatedData, sealed: bad })),
      )
    }
  })

  it('fails on truncation and on trailing bytes', () => {
    const sealed = seal(utf8Encode('cut'))
    for (const length of [0, 31, 32, 79, 80, sealed.length - 1]) {
      expect(errorName(() => openSealed({ crypto, recipientStatic: recipient, associatedData, sealed: sealed.subarray(0, length) })), `length ${length}`).toMatch(
        /^(HandshakeError|DecryptError)$/,
      )
    }
    const longer = new Uint8Array(sealed.length + 1)
    longer.set(sealed)
    expect(errorName(() => openSealed({ crypto, recipientStatic: recipient, associatedData, sealed: longer }))).toBe('DecryptError')
  })

  it('caps the payload at one Noise message', () => {
    expect(seal(new Uint8Array(SEALED_MAX_PAYLOAD)).length).toBe(65535)
    expect(errorName(() => seal(new Uint8Array(SEALED_MAX_PAYLOAD + 1)))).toBe('MessageTooLargeError')
  })

  it('refuses a low-order recipient key', () => {
    expect(
      errorName(() => sealMessage({ crypto, random, senderStatic: sender, recipientStaticPublicKey: new Uint8Array(32), associatedData, payload: new Uint8Array(0) })),
    ).toBe('WeakKeyError')
  })
})

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { concat, toHex, utf8Encode } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { SignatureContext, signWithContext, verifyWithContext } from '../contexts.ts'
import type { SignatureContextValue } from '../contexts.ts'

const crypto = nobleCrypto()
const seed = new Uint8Array(32).fill(3)
const publicKey = crypto.ed25519PublicKey(seed)
const contexts = Object.values(SignatureContext)

describe('signature contexts', () => {
  it('are all distinct and none is a prefix of another', () => {
    expect(new Set(contexts).size).toBe(contexts.length)
    for (const a of contexts) for (const b of contexts) if (a !== b) expect(b.startsWith(a)).toBe(false)
  })

  it('a signature verifies in its own context and in no other (every pair)', () => {
    const message = utf8Encode('the same bytes everywhere')
    for (const signedIn of contexts) {
      const signature = signWithContext(crypto, seed, signedIn, message)
      for (const checkedIn of contexts) {
        expect(verifyWithContext(crypto, publicKey, checkedIn, message, signature), `${signedIn} -> ${checkedIn}`).toBe(
          signedIn === checkedIn,
        )
      }
      // Nor does it verify as a plain, context-free signature.
      expect(crypto.ed25519Verify(signature, message, publicKey)).toBe(false)
    }
  })

  it('signs len(context) || context || message, pinned so other implementations can match', () => {
    const message = Uint8Array.of(0, 1, 2)
    const label = utf8Encode(SignatureContext.receipt)
    const expected = crypto.ed25519Sign(seed, concat(Uint8Array.of(label.length), label, message))
    expect(toHex(signWithContext(crypto, seed, SignatureContext.receipt, message))).toBe(toHex(expected))
  })

  it('round-trips any message and rejects any other message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...contexts), (m, other, context) => {
        const signature = signWithContext(crypto, seed, context, m)
        expect(verifyWithContext(crypto, publicKey, context, m, signature)).toBe(true)
        if (toHex(other) !== toHex(m)) expect(verifyWithContext(crypto, publicKey, context, other, signature)).toBe(false)
      }),
      { numRuns: 50 },
    )
  })

  it('refuses a context string that is not in SignatureContext', () => {
    const bogus = 'sovereign/v1/other' as SignatureContextValue
    expect(() => signWithContext(crypto, seed, bogus, new Uint8Array(0))).toThrow(
      expect.objectContaining({ name: 'UnknownContextError' }),
    )
  })
})

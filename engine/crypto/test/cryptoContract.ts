/**
 * The shared known-answer suite every `Crypto` provider must pass (DESIGN.md §2:
 * all providers yield identical bytes). Call `cryptoContract(provider)` from a
 * `*.test.ts` file, once per provider.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { concat, fromHex, toHex, utf8Encode } from '../../bytes.ts'
import type { Crypto } from '../../ports/crypto.ts'
import { allTests, describeWycheproof, hexField } from './wycheproof.ts'

function errorName(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    return err instanceof Error ? err.name : 'non-Error'
  }
}

const X25519_FILE = 'wycheproof-x25519_test.json'
const ED25519_FILE = 'wycheproof-ed25519_test.json'
const CHACHA_FILE = 'wycheproof-chacha20_poly1305_test.json'
const HKDF_FILE = 'wycheproof-hkdf_sha256_test.json'

export function cryptoContract(provider: Crypto): void {
  describe(`Crypto contract: ${provider.name}`, () => {
    it('SHA-256 and HMAC-SHA256 known answers (FIPS 180-2, RFC 4231 case 2)', () => {
      expect(toHex(provider.sha256(utf8Encode('abc')))).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      )
      expect(toHex(provider.hmacSha256(utf8Encode('Jefe'), utf8Encode('what do ya want for nothing?')))).toBe(
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      )
    })

    it('Ed25519 signs RFC 8032 §7.1 test 1 exactly', () => {
      const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
      const pub = provider.ed25519PublicKey(seed)
      expect(toHex(pub)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
      const sig = provider.ed25519Sign(seed, new Uint8Array(0))
      expect(toHex(sig)).toBe(
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      )
      expect(provider.ed25519Verify(sig, new Uint8Array(0), pub)).toBe(true)
    })

    it('Ed25519 verify answers false, never throws, on inputs of any size', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 80 }),
          fc.uint8Array({ maxLength: 40 }),
          fc.uint8Array({ maxLength: 40 }),
          (sig, msg, pub) => {
            expect(provider.ed25519Verify(sig, msg, pub)).toBe(false)
          },
        ),
        { numRuns: 200 },
      )
    })

    it('X25519 agrees both ways and rejects an all-zero public key with WeakKeyError', () => {
      const a = new Uint8Array(32).fill(1)
      const b = new Uint8Array(32).fill(2)
      const ab = provider.x25519(a, provider.x25519PublicKey(b))
      expect(toHex(ab)).toBe(toHex(provider.x25519(b, provider.x25519PublicKey(a))))
      expect(errorName(() => provider.x25519(a, new Uint8Array(32)))).toBe('WeakKeyError')
      expect(errorName(() => provider.x25519(a, new Uint8Array(31)))).toBe('InvalidLengthError')
    })

    it('AEAD rejects every single-bit flip of ciphertext or tag with DecryptError', () => {
      const key = new Uint8Array(32).fill(7)
      const nonce = new Uint8Array(12).fill(9)
      const ad = utf8Encode('ad')
      const sealed = provider.aeadSeal(key, nonce, utf8Encode('hello'), ad)
      for (let bit = 0; bit < sealed.length * 8; bit++) {
        const bad = sealed.slice()
        bad[bit >> 3]! ^= 1 << (bit & 7)
        expect(errorName(() => provider.aeadOpen(key, nonce, bad, ad))).toBe('DecryptError')
      }
      expect(errorName(() => provider.aeadOpen(key, nonce, sealed.subarray(0, 15), ad))).toBe('DecryptError')
    })

    describeWycheproof('Wycheproof X25519', X25519_FILE, (file) => {
      it('valid and acceptable cases match; every zero shared secret is refused', () => {
        let computed = 0
        let refused = 0
        for (const { test } of allTests(file)) {
          const shared = hexField(test, 'shared')
          const run = (): Uint8Array => provider.x25519(fromHex(hexField(test, 'private')), fromHex(hexField(test, 'public')))
          // The file marks these `acceptable` (RFC 7748 §6.1 lets a party abort);
          // the port's contract is to abort, so they must throw.
          if (/^0+$/.test(shared)) {
            expect(test.flags, `tcId ${test.tcId}`).toContain('ZeroSharedSecret')
            expect(errorName(run), `tcId ${test.tcId}`).toBe('WeakKeyError')
            refused++
          } else {
            expect(test.result, `tcId ${test.tcId}`).not.toBe('invalid')
            expect(toHex(run()), `tcId ${test.tcId}`).toBe(shared)
            computed++
          }
        }
        expect(computed + refused).toBe(file.numberOfTests)
        expect(refused).toBeGreaterThan(0)
      })
    })

    describeWycheproof('Wycheproof Ed25519 (strict)', ED25519_FILE, (file) => {
      it('accepts every valid signature and rejects every invalid one', () => {
        let invalid = 0
        for (const { group, test } of allTests(file)) {
          const pk = fromHex(hexField(group.publicKey as Record<string, unknown>, 'pk'))
          const ok = provider.ed25519Verify(fromHex(hexField(test, 'sig')), fromHex(hexField(test, 'msg')), pk)
          expect(test.result, `tcId ${test.tcId}`).not.toBe('acceptable')
          expect(ok, `tcId ${test.tcId} ${test.comment}`).toBe(test.result === 'valid')
          if (!ok) invalid++
        }
        expect(invalid).toBeGreaterThan(0)
      })
    })

    describeWycheproof('Wycheproof ChaCha20-Poly1305', CHACHA_FILE, (file) => {
      it('seals valid cases byte for byte, opens them, and refuses invalid ones', () => {
        let checked = 0
        for (const { test } of allTests(file)) {
          const key = fromHex(hexField(test, 'key'))
          const iv = fromHex(hexField(test, 'iv'))
          const aad = fromHex(hexField(test, 'aad'))
          const msg = fromHex(hexField(test, 'msg'))
          const sealed = concat(fromHex(hexField(test, 'ct')), fromHex(hexField(test, 'tag')))
          const id = `tcId ${test.tcId} ${test.flags.join(',')}`
          if (test.result === 'valid') {
            expect(toHex(provider.aeadSeal(key, iv, msg, aad)), id).toBe(toHex(sealed))
            expect(toHex(provider.aeadOpen(key, iv, sealed, aad)), id).toBe(toHex(msg))
          } else if (test.flags.includes('InvalidNonceSize')) {
            expect(errorName(() => provider.aeadSeal(key, iv, msg, aad)), id).toBe('InvalidLengthError')
            expect(errorName(() => provider.aeadOpen(key, iv, sealed, aad)), id).toBe('InvalidLengthError')
          } else {
            expect(test.result, id).toBe('invalid')
            expect(errorName(() => provider.aeadOpen(key, iv, sealed, aad)), id).toBe('DecryptError')
          }
          checked++
        }
        expect(checked).toBe(file.numberOfTests)
      })
    })

    describeWycheproof('Wycheproof HKDF-SHA256', HKDF_FILE, (file) => {
      it('derives every valid output and refuses oversize requests', () => {
        let checked = 0
        for (const { test } of allTests(file)) {
          const run = (): Uint8Array =>
            provider.hkdfSha256(
              fromHex(hexField(test, 'ikm')),
              fromHex(hexField(test, 'salt')),
              fromHex(hexField(test, 'info')),
              test.size as number,
            )
          const id = `tcId ${test.tcId}`
          if (test.result === 'valid') expect(toHex(run()), id).toBe(hexField(test, 'okm'))
          else expect(errorName(run), id).toBe('InvalidLengthError')
          checked++
        }
        expect(checked).toBe(file.numberOfTests)
      })
    })
  })
}

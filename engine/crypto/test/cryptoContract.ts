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
import type { WycheproofFile } from './wycheproof.ts'

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
const XCHACHA_FILE = 'wycheproof-xchacha20_poly1305_test.json'
const HKDF_FILE = 'wycheproof-hkdf_sha256_test.json'

type Seal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array) => Uint8Array

/**
 * One Wycheproof AEAD file against a seal / open pair: valid cases seal byte for
 * byte and open, wrong nonce sizes throw InvalidLengthError, the rest DecryptError.
 */
function wycheproofAead(file: WycheproofFile, seal: Seal, open: Seal): void {
  let checked = 0
  let wrongSize = 0
  for (const { test } of allTests(file)) {
    const key = fromHex(hexField(test, 'key'))
    const iv = fromHex(hexField(test, 'iv'))
    const aad = fromHex(hexField(test, 'aad'))
    const msg = fromHex(hexField(test, 'msg'))
    const sealed = concat(fromHex(hexField(test, 'ct')), fromHex(hexField(test, 'tag')))
    const id = `tcId ${test.tcId} ${test.flags.join(',')}`
    if (test.result === 'valid') {
      expect(toHex(seal(key, iv, msg, aad)), id).toBe(toHex(sealed))
      expect(toHex(open(key, iv, sealed, aad)), id).toBe(toHex(msg))
    } else if (test.flags.includes('InvalidNonceSize')) {
      expect(errorName(() => seal(key, iv, msg, aad)), id).toBe('InvalidLengthError')
      expect(errorName(() => open(key, iv, sealed, aad)), id).toBe('InvalidLengthError')
      wrongSize++
    } else {
      expect(test.result, id).toBe('invalid')
      expect(errorName(() => open(key, iv, sealed, aad)), id).toBe('DecryptError')
    }
    checked++
  }
  expect(checked).toBe(file.numberOfTests)
  expect(wrongSize).toBeGreaterThan(0)
}

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

    it('XChaCha20-Poly1305 seals draft-irtf-cfrg-xchacha §A.3.1 exactly and opens it', () => {
      const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f')
      const nonce = fromHex('404142434445464748494a4b4c4d4e4f5051525354555657')
      const ad = fromHex('50515253c0c1c2c3c4c5c6c7')
      const msg = utf8Encode(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      )
      const sealed =
        'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39' +
        'ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9' +
        '21f9664c97637da9768812f615c68b13b52e' +
        'c0875924c1c7987947deafd8780acf49'
      expect(toHex(provider.xaeadSeal(key, nonce, msg, ad))).toBe(sealed)
      expect(provider.xaeadOpen(key, nonce, fromHex(sealed), ad)).toEqual(msg)
    })

    it('XChaCha20-Poly1305 rejects tampering, a wrong nonce or ad, and wrong sizes', () => {
      const key = new Uint8Array(32).fill(7)
      const nonce = new Uint8Array(24).fill(9)
      const ad = utf8Encode('ad')
      const sealed = provider.xaeadSeal(key, nonce, utf8Encode('hello'), ad)
      for (let bit = 0; bit < sealed.length * 8; bit++) {
        const bad = sealed.slice()
        bad[bit >> 3]! ^= 1 << (bit & 7)
        expect(errorName(() => provider.xaeadOpen(key, nonce, bad, ad))).toBe('DecryptError')
      }
      // Both nonce halves matter: the first 16 bytes feed HChaCha20, the last 8 the IETF nonce.
      for (const at of [0, 15, 16, 23]) {
        const otherNonce = nonce.slice()
        otherNonce[at]! ^= 1
        expect(errorName(() => provider.xaeadOpen(key, otherNonce, sealed, ad))).toBe('DecryptError')
      }
      expect(errorName(() => provider.xaeadOpen(key, nonce, sealed, utf8Encode('aD')))).toBe('DecryptError')
      expect(errorName(() => provider.xaeadOpen(key, nonce, sealed.subarray(0, 15), ad))).toBe('DecryptError')
      // The 12-byte IETF nonce and a 16-byte key are refused, not padded.
      for (const [k, n] of [[key, nonce.subarray(0, 12)], [key.subarray(0, 16), nonce], [key, new Uint8Array(25)]] as const) {
        expect(errorName(() => provider.xaeadSeal(k, n, utf8Encode('hello'), ad))).toBe('InvalidLengthError')
        expect(errorName(() => provider.xaeadOpen(k, n, sealed, ad))).toBe('InvalidLengthError')
      }
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
        wycheproofAead(file, provider.aeadSeal.bind(provider), provider.aeadOpen.bind(provider))
      })
    })

    describeWycheproof('Wycheproof XChaCha20-Poly1305', XCHACHA_FILE, (file) => {
      it('seals valid cases byte for byte, opens them, and refuses invalid ones', () => {
        wycheproofAead(file, provider.xaeadSeal.bind(provider), provider.xaeadOpen.bind(provider))
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

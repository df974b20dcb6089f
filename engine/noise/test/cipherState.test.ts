import { describe, expect, it } from 'vitest'
import { toHex, utf8Encode } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { MAX_NONCE, createCipherState } from '../cipherState.ts'

const crypto = nobleCrypto()
const key = new Uint8Array(32).fill(5)
const ad = utf8Encode('ad')
const EMPTY = new Uint8Array(0)

function errorName(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

describe('CipherState', () => {
  it('passes plaintext through until it has a key (§5.1)', () => {
    const cs = createCipherState(crypto)
    expect(cs.hasKey()).toBe(false)
    expect(toHex(cs.encryptWithAd(ad, Uint8Array.of(1, 2)))).toBe('0102')
    cs.initializeKey(key)
    expect(cs.hasKey()).toBe(true)
    expect(cs.encryptWithAd(ad, Uint8Array.of(1, 2)).length).toBe(18)
  })

  it('uses nonce n as 4 zero bytes || 64-bit little-endian n, counting up', () => {
    const cs = createCipherState(crypto, key)
    cs.setNonce(0x1_0000_0002)
    const nonce = Uint8Array.of(0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0)
    expect(toHex(cs.encryptWithAd(ad, EMPTY))).toBe(toHex(crypto.aeadSeal(key, nonce, EMPTY, ad)))
    nonce[4] = 3
    expect(toHex(cs.encryptWithAd(ad, EMPTY))).toBe(toHex(crypto.aeadSeal(key, nonce, EMPTY, ad)))
  })

  it('a failed decrypt leaves the nonce where it was', () => {
    const sender = createCipherState(crypto, key)
    const receiver = createCipherState(crypto, key)
    const first = sender.encryptWithAd(ad, utf8Encode('one'))
    const second = sender.encryptWithAd(ad, utf8Encode('two'))
    expect(errorName(() => receiver.decryptWithAd(ad, second))).toBe('DecryptError')
    expect(errorName(() => receiver.decryptWithAd(utf8Encode('other'), first))).toBe('DecryptError')
    expect(toHex(receiver.decryptWithAd(ad, first))).toBe(toHex(utf8Encode('one')))
    expect(toHex(receiver.decryptWithAd(ad, second))).toBe(toHex(utf8Encode('two')))
  })

  it('stops at MAX_NONCE with NonceExhaustedError instead of wrapping', () => {
    expect(MAX_NONCE).toBe(Number.MAX_SAFE_INTEGER)
    const sender = createCipherState(crypto, key)
    const receiver = createCipherState(crypto, key)
    sender.setNonce(MAX_NONCE - 1)
    receiver.setNonce(MAX_NONCE - 1)
    const last = sender.encryptWithAd(ad, EMPTY)
    expect(errorName(() => sender.encryptWithAd(ad, EMPTY))).toBe('NonceExhaustedError')
    expect(receiver.decryptWithAd(ad, last).length).toBe(0)
    expect(errorName(() => receiver.decryptWithAd(ad, last))).toBe('NonceExhaustedError')
    expect(errorName(() => sender.setNonce(2 ** 53))).toBe('NoiseStateError')
  })

  it('rekey (§4.2) derives the key from ENCRYPT(k, 2^64-1, empty, zeros) and keeps the nonce', () => {
    const sender = createCipherState(crypto, key)
    const receiver = createCipherState(crypto, key)
    receiver.decryptWithAd(ad, sender.encryptWithAd(ad, EMPTY))
    sender.rekey()
    receiver.rekey()
    const maxNonce = Uint8Array.of(0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255)
    const newKey = crypto.aeadSeal(key, maxNonce, new Uint8Array(32), EMPTY).subarray(0, 32)
    const nonce1 = Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0)
    const sealed = sender.encryptWithAd(ad, utf8Encode('after'))
    expect(toHex(sealed)).toBe(toHex(crypto.aeadSeal(newKey, nonce1, utf8Encode('after'), ad)))
    expect(toHex(receiver.decryptWithAd(ad, sealed))).toBe(toHex(utf8Encode('after')))
    expect(errorName(() => createCipherState(crypto).rekey())).toBe('NoiseStateError')
  })

  it('refuses a key that is not 32 bytes', () => {
    expect(errorName(() => createCipherState(crypto, new Uint8Array(31)))).toBe('NoiseStateError')
  })
})

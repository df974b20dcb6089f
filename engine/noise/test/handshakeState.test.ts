import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../bytes.ts'
import { generateX25519KeyPair } from '../../crypto/keyPair.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { MAX_MESSAGE_LENGTH, createHandshake } from '../handshakeState.ts'
import type { HandshakeState, TransportCiphers } from '../handshakeState.ts'

const crypto = nobleCrypto()
const EMPTY = new Uint8Array(0)
const prologue = Uint8Array.of(1, 2, 3)

function errorName(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

function xxPair(seed: string | number): { init: HandshakeState; resp: HandshakeState } {
  const random = seededRandom(seed)
  const make = (initiator: boolean): HandshakeState =>
    createHandshake({ crypto, random, pattern: 'XX', initiator, prologue, staticKey: generateX25519KeyPair(crypto, random) })
  return { init: make(true), resp: make(false) }
}

function completeXX(seed: string | number, payloads: readonly Uint8Array[] = [EMPTY, EMPTY, EMPTY]): [TransportCiphers, TransportCiphers] {
  const { init, resp } = xxPair(seed)
  expect(toHex(resp.readMessage(init.writeMessage(payloads[0]!)))).toBe(toHex(payloads[0]!))
  expect(toHex(init.readMessage(resp.writeMessage(payloads[1]!)))).toBe(toHex(payloads[1]!))
  expect(toHex(resp.readMessage(init.writeMessage(payloads[2]!)))).toBe(toHex(payloads[2]!))
  expect(toHex(init.handshakeHash())).toBe(toHex(resp.handshakeHash()))
  return [init.split(), resp.split()]
}

const payload = fc.uint8Array({ maxLength: 300 })

describe('XX handshake properties', () => {
  it('random handshake payloads and transport messages round-trip both ways', () => {
    fc.assert(
      fc.property(fc.integer(), fc.tuple(payload, payload, payload), fc.array(fc.tuple(fc.boolean(), payload), { maxLength: 12 }), (seed, hsPayloads, traffic) => {
        const [a, b] = completeXX(seed, hsPayloads)
        for (const [fromInitiator, message] of traffic) {
          const [from, to] = fromInitiator ? [a, b] : [b, a]
          const sealed = from.send.encryptWithAd(EMPTY, message)
          expect(sealed.length).toBe(message.length + 16)
          expect(toHex(to.receive.decryptWithAd(EMPTY, sealed))).toBe(toHex(message))
        }
      }),
      { numRuns: 25 },
    )
  })

  it('any bit flip in a transport message gives DecryptError and the next genuine message still decrypts', () => {
    fc.assert(
      fc.property(fc.integer(), payload, fc.nat(), fc.boolean(), (seed, message, bitSeed, fromInitiator) => {
        const [a, b] = completeXX(seed)
        const [from, to] = fromInitiator ? [a, b] : [b, a]
        const sealed = from.send.encryptWithAd(EMPTY, message)
        const bit = bitSeed % (sealed.length * 8)
        const bad = sealed.slice()
        bad[bit >> 3]! ^= 1 << (bit & 7)
        expect(errorName(() => to.receive.decryptWithAd(EMPTY, bad))).toBe('DecryptError')
        expect(toHex(to.receive.decryptWithAd(EMPTY, sealed))).toBe(toHex(message))
        const next = from.send.encryptWithAd(EMPTY, message)
        expect(toHex(to.receive.decryptWithAd(EMPTY, next))).toBe(toHex(message))
      }),
      { numRuns: 25 },
    )
  })

  it('any bit flip in a handshake message is rejected with a typed error', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 }), fc.nat(), (seed, which, bitSeed) => {
        const { init, resp } = xxPair(seed)
        const m1 = init.writeMessage(EMPTY)
        if (which === 1) {
          resp.readMessage(m1)
          const m2 = resp.writeMessage(EMPTY)
          const bad = m2.slice()
          const bit = bitSeed % (m2.length * 8)
          bad[bit >> 3]! ^= 1 << (bit & 7)
          expect(['DecryptError', 'WeakKeyError']).toContain(errorName(() => init.readMessage(bad)))
          // Aborted: even the genuine message is refused now.
          expect(errorName(() => init.readMessage(m2))).toBe('NoiseStateError')
        } else {
          // Message 1 is a bare `e`: a flipped bit changes the key, so the
          // failure only shows when message 2 reaches the initiator.
          const bad = m1.slice()
          bad[(bitSeed % 256) >> 3]! ^= 1 << (bitSeed & 7)
          resp.readMessage(bad)
          expect(['DecryptError', 'WeakKeyError']).toContain(errorName(() => init.readMessage(resp.writeMessage(EMPTY))))
        }
      }),
      { numRuns: 25 },
    )
  })
})

describe('HandshakeState rules', () => {
  it('enforces turns, completion and a single split', () => {
    const { init, resp } = xxPair('turns')
    expect(errorName(() => resp.writeMessage(EMPTY))).toBe('NoiseStateError')
    expect(errorName(() => init.readMessage(new Uint8Array(48)))).toBe('NoiseStateError')
    expect(errorName(() => init.split())).toBe('NoiseStateError')
    resp.readMessage(init.writeMessage(EMPTY))
    init.readMessage(resp.writeMessage(EMPTY))
    resp.readMessage(init.writeMessage(EMPTY))
    expect(init.complete && resp.complete).toBe(true)
    expect(errorName(() => init.writeMessage(EMPTY))).toBe('NoiseStateError')
    init.split()
    expect(errorName(() => init.split())).toBe('NoiseStateError')
  })

  it('a short message is a HandshakeError and aborts', () => {
    const { resp } = xxPair('short')
    expect(errorName(() => resp.readMessage(new Uint8Array(31)))).toBe('HandshakeError')
    expect(errorName(() => resp.readMessage(new Uint8Array(32)))).toBe('NoiseStateError')
  })

  it('a low-order ephemeral is a WeakKeyError', () => {
    const { init, resp } = xxPair('weak')
    resp.readMessage(init.writeMessage(EMPTY))
    const m2 = resp.writeMessage(EMPTY)
    m2.fill(0, 0, 32)
    expect(errorName(() => init.readMessage(m2))).toBe('WeakKeyError')
  })

  it('an oversize payload is refused before any state changes', () => {
    const { init, resp } = xxPair('big')
    expect(errorName(() => init.writeMessage(new Uint8Array(MAX_MESSAGE_LENGTH - 31)))).toBe('MessageTooLargeError')
    const m1 = init.writeMessage(new Uint8Array(MAX_MESSAGE_LENGTH - 32))
    expect(m1.length).toBe(MAX_MESSAGE_LENGTH)
    resp.readMessage(m1)
    expect(errorName(() => xxPair('big2').resp.readMessage(new Uint8Array(MAX_MESSAGE_LENGTH + 1)))).toBe('MessageTooLargeError')
  })

  it('checks the configuration against the pattern', () => {
    const random = seededRandom('config')
    const staticKey = generateX25519KeyPair(crypto, random)
    const remote = generateX25519KeyPair(crypto, random).publicKey
    const base = { crypto, random, prologue, staticKey }
    expect(errorName(() => createHandshake({ ...base, pattern: 'X', initiator: true }))).toBe('NoiseStateError')
    expect(errorName(() => createHandshake({ ...base, pattern: 'X', initiator: false, remoteStaticKey: remote }))).toBe('NoiseStateError')
    expect(errorName(() => createHandshake({ ...base, pattern: 'XX', initiator: true, remoteStaticKey: remote }))).toBe('NoiseStateError')
    expect(errorName(() => createHandshake({ ...base, pattern: 'X', initiator: true, remoteStaticKey: remote.subarray(1) }))).toBe('NoiseStateError')
  })

  it('a different prologue on one side makes the handshake fail', () => {
    const random = seededRandom('prologue')
    const init = createHandshake({ crypto, random, pattern: 'XX', initiator: true, prologue, staticKey: generateX25519KeyPair(crypto, random) })
    const resp = createHandshake({ crypto, random, pattern: 'XX', initiator: false, prologue: Uint8Array.of(9), staticKey: generateX25519KeyPair(crypto, random) })
    resp.readMessage(init.writeMessage(EMPTY))
    expect(errorName(() => init.readMessage(resp.writeMessage(EMPTY)))).toBe('DecryptError')
  })

  it('X is one-way: the responder cannot send, the initiator cannot receive', () => {
    const random = seededRandom('oneway')
    const respStatic = generateX25519KeyPair(crypto, random)
    const init = createHandshake({ crypto, random, pattern: 'X', initiator: true, prologue, staticKey: generateX25519KeyPair(crypto, random), remoteStaticKey: respStatic.publicKey })
    const resp = createHandshake({ crypto, random, pattern: 'X', initiator: false, prologue, staticKey: respStatic })
    resp.readMessage(init.writeMessage(EMPTY))
    const a = init.split()
    const b = resp.split()
    expect(b.receive.decryptWithAd(EMPTY, a.send.encryptWithAd(EMPTY, Uint8Array.of(7)))[0]).toBe(7)
    expect(errorName(() => b.send.encryptWithAd(EMPTY, EMPTY))).toBe('NoiseStateError')
    expect(errorName(() => a.receive.decryptWithAd(EMPTY, new Uint8Array(16)))).toBe('NoiseStateError')
  })
})

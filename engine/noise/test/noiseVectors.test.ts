/**
 * Byte-for-byte reproduction of the published Noise vectors (DESIGN.md §3):
 * cacophony and snow, for the two protocols Sovereign uses.
 *
 * Ordering, as found in both files: message k is sent by the initiator when k
 * is even and by the responder when k is odd, counting handshake and transport
 * messages together, so XX transport starts with the responder (k = 3). For
 * the one-way X pattern every transport message is the initiator's, on c1,
 * with the nonce counting up from 0.
 */
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { x25519KeyPair } from '../../crypto/keyPair.ts'
import type { KeyPair } from '../../crypto/keyPair.ts'
import type { Random } from '../../ports/random.ts'
import { describeWithVectors } from '../../test/vectors.ts'
import { createHandshake } from '../handshakeState.ts'
import type { HandshakeState } from '../handshakeState.ts'

interface NoiseVector {
  readonly protocol_name: string
  readonly init_prologue: string
  readonly init_static: string
  readonly init_ephemeral: string
  readonly init_remote_static?: string
  readonly resp_prologue: string
  readonly resp_static: string
  readonly resp_ephemeral?: string
  readonly handshake_hash?: string
  readonly messages: ReadonlyArray<{ readonly payload: string; readonly ciphertext: string }>
}

const PROTOCOLS = {
  Noise_XX_25519_ChaChaPoly_SHA256: { pattern: 'XX', handshakeMessages: 3 },
  Noise_X_25519_ChaChaPoly_SHA256: { pattern: 'X', handshakeMessages: 1 },
} as const

const crypto = nobleCrypto()
const EMPTY = new Uint8Array(0)
// Every ephemeral comes from the vector; drawing randomness would be a bug.
const noRandom: Random = {
  bytes(): Uint8Array {
    throw new Error('vector test must not draw randomness')
  },
}

function keyPair(hex: string): KeyPair {
  return x25519KeyPair(crypto, fromHex(hex))
}

function isKnown(name: string): name is keyof typeof PROTOCOLS {
  return Object.hasOwn(PROTOCOLS, name)
}

function runVector(vector: NoiseVector): void {
  const { pattern, handshakeMessages } = PROTOCOLS[vector.protocol_name as keyof typeof PROTOCOLS]
  const initiator = createHandshake({
    crypto,
    random: noRandom,
    pattern,
    initiator: true,
    prologue: fromHex(vector.init_prologue),
    staticKey: keyPair(vector.init_static),
    ephemeralKey: keyPair(vector.init_ephemeral),
    ...(vector.init_remote_static === undefined ? {} : { remoteStaticKey: fromHex(vector.init_remote_static) }),
  })
  const responder = createHandshake({
    crypto,
    random: noRandom,
    pattern,
    initiator: false,
    prologue: fromHex(vector.resp_prologue),
    staticKey: keyPair(vector.resp_static),
    ...(vector.resp_ephemeral === undefined ? {} : { ephemeralKey: keyPair(vector.resp_ephemeral) }),
  })
  const sideOf = (k: number): [HandshakeState, HandshakeState] =>
    k % 2 === 0 || pattern === 'X' ? [initiator, responder] : [responder, initiator]

  vector.messages.slice(0, handshakeMessages).forEach((m, k) => {
    const [writer, reader] = sideOf(k)
    expect(writer.complete).toBe(false)
    const ciphertext = writer.writeMessage(fromHex(m.payload))
    expect(toHex(ciphertext), `handshake message ${k}`).toBe(m.ciphertext)
    expect(toHex(reader.readMessage(ciphertext)), `handshake payload ${k}`).toBe(m.payload)
  })
  expect(initiator.complete && responder.complete).toBe(true)
  expect(toHex(initiator.remoteStaticKey!)).toBe(toHex(keyPair(vector.resp_static).publicKey))
  expect(toHex(responder.remoteStaticKey!)).toBe(toHex(keyPair(vector.init_static).publicKey))
  expect(toHex(initiator.handshakeHash())).toBe(toHex(responder.handshakeHash()))
  if (vector.handshake_hash !== undefined) expect(toHex(initiator.handshakeHash())).toBe(vector.handshake_hash)

  const ciphers = new Map([
    [initiator, initiator.split()],
    [responder, responder.split()],
  ])
  vector.messages.slice(handshakeMessages).forEach((m, i) => {
    const k = handshakeMessages + i
    const [writer, reader] = sideOf(k)
    const ciphertext = ciphers.get(writer)!.send.encryptWithAd(EMPTY, fromHex(m.payload))
    expect(toHex(ciphertext), `transport message ${k}`).toBe(m.ciphertext)
    expect(toHex(ciphers.get(reader)!.receive.decryptWithAd(EMPTY, ciphertext)), `transport payload ${k}`).toBe(m.payload)
  })
}

for (const file of ['noise-cacophony.json', 'noise-snow.json']) {
  describeWithVectors(`Noise vectors: ${file}`, file, (data) => {
    const vectors = (data as { vectors: NoiseVector[] }).vectors.filter((v) => isKnown(v.protocol_name))

    it('holds vectors for both XX and X, so the suite cannot pass vacuously', () => {
      const names = new Set(vectors.map((v) => v.protocol_name))
      expect(names).toEqual(new Set(Object.keys(PROTOCOLS)))
      // Each vector must exercise transport messages too, not only the handshake.
      for (const v of vectors) {
        expect(v.messages.length).toBeGreaterThan(PROTOCOLS[v.protocol_name as keyof typeof PROTOCOLS].handshakeMessages)
      }
    })

    describe.each(vectors.map((v, i) => [`${v.protocol_name} #${i}`, v] as const))('%s', (_title, vector) => {
      it('is reproduced byte for byte in both directions', () => {
        runVector(vector)
      })
    })
  })
}

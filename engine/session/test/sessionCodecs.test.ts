import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../bytes.ts'
import { ENCRYPTED_HEADER_BYTES } from '../header.ts'
import { decodeSessionState, encodeSessionState } from '../ratchetState.ts'
import type { SessionState } from '../ratchetState.ts'
import { decodeSessionMessage, encodeSessionMessage, PREKEY_MESSAGE_OVERHEAD, RATCHET_MESSAGE_OVERHEAD } from '../sessionMessage.ts'
import type { SessionMessage } from '../sessionMessage.ts'
import { SEALED_SENDER_BYTES } from '../x3dh.ts'
import { errorName, establishedPair, pair, text } from './harness.ts'

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const messageArb: fc.Arbitrary<SessionMessage> = fc.oneof(
  fc.record({
    type: fc.constant('prekey' as const),
    baseKey: bytes(32),
    signedPrekeyId: u32,
    oneTimePrekeyId: fc.option(u32, { nil: null }),
    sealedSender: bytes(SEALED_SENDER_BYTES),
    header: bytes(ENCRYPTED_HEADER_BYTES),
    body: fc.uint8Array({ minLength: 16, maxLength: 300 }),
  }),
  fc.record({ type: fc.constant('ratchet' as const), header: bytes(ENCRYPTED_HEADER_BYTES), body: fc.uint8Array({ minLength: 16, maxLength: 300 }) }),
)

describe('session message codec', () => {
  it('round-trips every message', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const encoded = encodeSessionMessage(message)
        expect(decodeSessionMessage(encoded)).toEqual(message)
        const overhead = message.type === 'ratchet' ? RATCHET_MESSAGE_OVERHEAD : PREKEY_MESSAGE_OVERHEAD - (message.oneTimePrekeyId === null ? 4 : 0)
        expect(encoded.length).toBe(overhead + message.body.length - 16)
      }),
    )
  })

  it('refuses truncation, an unknown version or type, and a has-one-time byte other than 0 or 1', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), (message, cut) => {
        const encoded = encodeSessionMessage(message)
        const min = encoded.length - message.body.length + 16
        expect(errorName(() => decodeSessionMessage(encoded.subarray(0, cut % min)))).toBe('MalformedError')
      }),
    )
    const ratchet = encodeSessionMessage({ type: 'ratchet', header: new Uint8Array(68), body: new Uint8Array(16) })
    expect(errorName(() => decodeSessionMessage(Uint8Array.of(2, ...ratchet.subarray(1))))).toBe('UnsupportedVersionError')
    expect(errorName(() => decodeSessionMessage(Uint8Array.of(1, 3, ...ratchet.subarray(2))))).toBe('UnknownFrameTypeError')
    const prekey = encodeSessionMessage({
      type: 'prekey', baseKey: new Uint8Array(32), signedPrekeyId: 1, oneTimePrekeyId: null,
      sealedSender: new Uint8Array(SEALED_SENDER_BYTES), header: new Uint8Array(68), body: new Uint8Array(16),
    })
    const flag = prekey.slice()
    flag[38] = 2
    expect(errorName(() => decodeSessionMessage(flag))).toBe('MalformedError')
    expect(errorName(() => encodeSessionMessage({ type: 'ratchet', header: new Uint8Array(68), body: new Uint8Array(15) }))).toBe('MalformedError')
  })
})

function statesAtEveryPhase(): SessionState[] {
  const { alice, bob } = pair('codec-phases')
  const states: SessionState[] = [alice.sessions[0]!]
  const m = [alice.send(text(0)), alice.send(text(1)), alice.send(text(2))]
  states.push(alice.sessions[0]!)
  bob.receive(m[2]!)
  states.push(bob.sessions[0]!)
  alice.receive(bob.send(text(3)))
  states.push(alice.sessions[0]!)
  const est = establishedPair('codec-established')
  for (let i = 0; i < 4; i++) {
    est.alice.receive(est.bob.send(text(i)))
    est.bob.receive(est.alice.send(text(i)))
  }
  states.push(est.alice.sessions[0]!, est.bob.sessions[0]!)
  return states
}

describe('session state codec', () => {
  const states = statesAtEveryPhase()

  it('round-trips states at every phase: pending prekey, skipped keys, retired header keys', () => {
    expect(states.some((s) => s.pendingPrekey !== null && s.pendingPrekey.oneTimePrekeyId !== null)).toBe(true)
    expect(states.some((s) => s.skippedKeys.length > 0)).toBe(true)
    expect(states.some((s) => s.retiredHeaderKeys.length > 0)).toBe(true)
    for (const state of states) {
      const encoded = encodeSessionState(state)
      const decoded = decodeSessionState(encoded)
      expect(decoded).toEqual({ ...state, skippedKeys: [...state.skippedKeys], retiredHeaderKeys: [...state.retiredHeaderKeys] })
      expect(toHex(encodeSessionState(decoded))).toBe(toHex(encoded))
    }
  })

  it('refuses truncation, trailing bytes, unknown versions and inconsistent flags', () => {
    const encoded = encodeSessionState(states[2]!)
    for (let n = 0; n < encoded.length; n += 5) expect(errorName(() => decodeSessionState(encoded.subarray(0, n)))).toBe('MalformedError')
    expect(errorName(() => decodeSessionState(Uint8Array.of(...encoded, 0)))).toBe('MalformedError')
    expect(errorName(() => decodeSessionState(Uint8Array.of(2, ...encoded.subarray(1))))).toBe('UnsupportedVersionError')
    expect(errorName(() => decodeSessionState(Uint8Array.of(1, 128, ...encoded.subarray(2))))).toBe('MalformedError')
    expect(errorName(() => decodeSessionState(Uint8Array.of(1, 64, ...encoded.subarray(2))))).toBe('MalformedError')
  })
})

/** fast-check arbitraries for valid wire values, shared by the wire and offer tests. */
import fc from 'fast-check'
import { expect } from 'vitest'
import { utf8Encode } from '../../bytes.ts'
import { isWellFormedText } from '../byteWriter.ts'
import type { Envelope } from '../envelope.ts'
import { WIRE_ERROR_NAMES } from '../errors.ts'
import type { CloseReason, LinkFrame } from '../linkFrame.ts'
import type { MessageBody, SenderProof } from '../messageBody.ts'
import { displayNameProblem, MAX_RELAY_URL_BYTES } from '../profileFields.ts'

export const bytesOf = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })

/** fc.integer stops at 2^31-1; timestamps need the full 48 bits, edges included. */
export const u48 = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 48 - 1),
  fc.maxSafeNat().map((n) => n % 2 ** 48),
)
export const u32 = fc.oneof(fc.constantFrom(0, 0x7fffffff, 0x80000000, 0xffffffff), fc.maxSafeNat().map((n) => n % 2 ** 32))

export const envelopeArb: fc.Arbitrary<Envelope> = fc.record({
  header: fc.record({
    version: fc.constant(2 as const),
    id: bytesOf(16),
    destination: bytesOf(32),
    ttl: fc.integer({ min: 0, max: 255 }),
    attempt: fc.integer({ min: 0, max: 255 }),
    expiresAt: u48,
  }),
  body: fc.uint8Array({ minLength: 1, maxLength: 300 }),
})

export const senderArb: fc.Arbitrary<SenderProof> = fc.record({ identity: bytesOf(32), binding: bytesOf(64) })

export const displayNameArb: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 64 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
  )
  .filter((s) => displayNameProblem(s) === undefined)

export const relayArb: fc.Arbitrary<string> = fc
  .webUrl({ validSchemes: ['ws', 'wss'], withQueryParameters: true })
  .filter((u) => utf8Encode(u).length <= MAX_RELAY_URL_BYTES)

export const relaysArb: fc.Arbitrary<string[]> = fc.uniqueArray(relayArb, { maxLength: 4 })

export const textArb: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
  )
  .filter((s) => isWellFormedText(s) && s.length > 0)

export const messageBodyArb: fc.Arbitrary<MessageBody> = fc.oneof(
  fc.record({ type: fc.constant('text' as const), sender: senderArb, sentAt: u48, text: textArb }),
  fc.record({
    type: fc.constant('intro' as const),
    sender: senderArb,
    sentAt: u48,
    displayName: displayNameArb,
    relays: relaysArb,
  }),
  fc.record({
    type: fc.constant('receipt' as const),
    sender: senderArb,
    sentAt: u48,
    kind: fc.constantFrom('delivered' as const, 'read' as const),
    ids: fc.array(bytesOf(16), { minLength: 1, maxLength: 5 }),
  }),
  fc.record({ type: fc.constant('signal' as const), sender: senderArb, sentAt: u48, signal: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  // Opaque at the wire level: any 1..1024 bytes, lengths on both sides of the 1-byte varint.
  fc.record({ type: fc.constant('reach' as const), sender: senderArb, sentAt: u48, record: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
)

export const linkFrameArb: fc.Arbitrary<LinkFrame> = fc.oneof(
  fc.record({
    type: fc.constant('envelopes' as const),
    envelopes: fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 40 }),
  }),
  fc.record({ type: fc.constant('ping' as const), nonce: u32, sentAt: u48 }),
  fc.record({ type: fc.constant('pong' as const), nonce: u32, sentAt: u48 }),
  fc.record({ type: fc.constant('close' as const), reason: fc.constantFrom<CloseReason>('shutdown', 'protocol', 'overload') }),
  fc.record({
    type: fc.constant('announce' as const),
    announcement: fc.uint8Array({ minLength: 1, maxLength: 1024 }),
    metric: fc.oneof(fc.constantFrom(0, 1, 0xfffe, 0xffff), fc.integer({ min: 0, max: 0xffff })),
  }),
  fc.record({ type: fc.constant('ack' as const), ids: fc.array(bytesOf(16), { minLength: 1, maxLength: 40 }) }),
  fc.record({
    type: fc.constant('refuse' as const),
    reason: fc.constantFrom('destination-full' as const, 'sender-over-quota' as const, 'too-large' as const, 'expired' as const),
    ids: fc.array(bytesOf(16), { minLength: 1, maxLength: 40 }),
  }),
  fc.record({ type: fc.constant('reach' as const), record: fc.uint8Array({ minLength: 1, maxLength: 1024 }) }),
  fc.record({ type: fc.constant('custody' as const), receipt: fc.uint8Array({ minLength: 1, maxLength: 8192 }) }),
)

export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice()
  copy[bit >> 3]! ^= 1 << (bit & 7)
  return copy
}

/** Asserts `fn` throws one of the wire's typed errors (never a RangeError/TypeError). */
export function expectTypedError(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(WIRE_ERROR_NAMES).toContain((err as Error).name)
    return
  }
  expect.fail('expected a typed wire error')
}

/**
 * Decoding hostile bytes either throws a typed error or yields a valid value
 * whose encoding is those very bytes: the decoder is canonical, so a mutated
 * input can never decode to the original value.
 */
export function expectTypedOrCanonical<T>(bytes: Uint8Array, decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array): void {
  let value: T
  try {
    value = decode(bytes)
  } catch (err) {
    expect(WIRE_ERROR_NAMES).toContain((err as Error).name)
    return
  }
  expect(encode(value)).toEqual(bytes)
}

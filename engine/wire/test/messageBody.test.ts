import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concat, fromHex, utf8Encode } from '../../bytes.ts'
import { byteWriter } from '../byteWriter.ts'
import { MAX_REACH_RECORD_BYTES } from '../linkFrame.ts'
import { decodeMessageBody, encodeMessageBody, MAX_TEXT_BYTES } from '../messageBody.ts'
import type { MessageBody, SenderProof } from '../messageBody.ts'
import { expectTypedError, expectTypedOrCanonical, flipBit, messageBodyArb } from './arbitraries.ts'

const sender: SenderProof = { identity: new Uint8Array(32).fill(0xaa), binding: new Uint8Array(64).fill(0xbb) }
const text: MessageBody = { type: 'text', sender, sentAt: 1_700_000_000_000, text: 'hello' }
const intro: MessageBody = {
  type: 'intro',
  sender,
  sentAt: 1_700_000_000_000,
  displayName: 'Ada',
  relays: ['wss://relay.example.org/mesh'],
}
const reach: MessageBody = { type: 'reach', sender, sentAt: 1_700_000_000_000, record: new Uint8Array(155).fill(7) }

/** The fixed prefix (version, type, sender, sentAt) followed by raw `rest`. */
function raw(type: number, rest: Uint8Array, version = 1): Uint8Array {
  const w = byteWriter()
  w.u8(version, 'v')
  w.u8(type, 't')
  w.bytes(sender.identity, 'i')
  w.bytes(sender.binding, 'b')
  w.u48(0, 's')
  w.bytes(rest, 'rest')
  return w.finish()
}

function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  const w = byteWriter()
  w.lengthPrefixed(bytes, 'x', 0, 1 << 20)
  return w.finish()
}

describe('message body', () => {
  it('round-trips every variant', () => {
    fc.assert(
      fc.property(messageBodyArb, (body) => {
        expect(decodeMessageBody(encodeMessageBody(body))).toEqual(body)
      }),
    )
  })

  it('starts with format version 1 and the type tag', () => {
    expect(encodeMessageBody(text).subarray(0, 2)).toEqual(fromHex('0101'))
    expect(encodeMessageBody(intro).subarray(0, 2)).toEqual(fromHex('0102'))
    expect(encodeMessageBody(reach).subarray(0, 2)).toEqual(fromHex('0105'))
  })

  it('caps text by UTF-8 bytes', () => {
    const max = 'é'.repeat(MAX_TEXT_BYTES / 2)
    expect(decodeMessageBody(encodeMessageBody({ ...text, text: max }))).toEqual({ ...text, text: max })
    expectTypedError(() => encodeMessageBody({ ...text, text: `${max}a` }))
    expectTypedError(() => encodeMessageBody({ ...text, text: '' }))
    expect(() => decodeMessageBody(raw(1, lengthPrefixed(utf8Encode('a'.repeat(MAX_TEXT_BYTES + 1)))))).toThrow(
      /message text length 16385 is outside 1..16384/,
    )
  })

  it('refuses text that UTF-8 cannot carry', () => {
    expect(() => encodeMessageBody({ ...text, text: 'x\udc00' })).toThrow(/well-formed/)
  })

  it('rejects bad UTF-8 in text', () => {
    expect(() => decodeMessageBody(raw(1, fromHex('02c328')))).toThrow(/message text is not valid UTF-8/)
    // CESU-style encoded surrogate: strict UTF-8 refuses it.
    expect(() => decodeMessageBody(raw(1, fromHex('03eda080')))).toThrow(/not valid UTF-8/)
  })

  it('rejects a receipt with no ids, an unknown kind or a short id, and an empty signal', () => {
    expect(() => decodeMessageBody(raw(3, fromHex('0100')))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    expect(() => decodeMessageBody(raw(3, fromHex('0901' + '00'.repeat(16))))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    expect(() => decodeMessageBody(raw(3, fromHex('0101' + '00'.repeat(15))))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    expect(() => decodeMessageBody(raw(4, fromHex('00')))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })

  it('bounds a reach record at 1..MAX_REACH_RECORD_BYTES, opaque bytes kept as they are', () => {
    const max = { ...reach, record: new Uint8Array(MAX_REACH_RECORD_BYTES).fill(0xee) }
    expect(decodeMessageBody(encodeMessageBody(max))).toEqual(max)
    // One byte: the codec does not parse the record (the messenger verifies it).
    expect(decodeMessageBody(encodeMessageBody({ ...reach, record: fromHex('01') }))).toEqual({ ...reach, record: fromHex('01') })
    expectTypedError(() => encodeMessageBody({ ...reach, record: new Uint8Array(0) }))
    expectTypedError(() => encodeMessageBody({ ...reach, record: new Uint8Array(MAX_REACH_RECORD_BYTES + 1) }))
    expect(() => decodeMessageBody(raw(5, fromHex('00')))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    const over = lengthPrefixed(new Uint8Array(MAX_REACH_RECORD_BYTES + 1))
    expect(() => decodeMessageBody(raw(5, over))).toThrow(/reach record length 1025 is outside 1..1024/)
    // A length that runs past the end is a truncation, not a shorter record.
    expect(() => decodeMessageBody(raw(5, fromHex('0a0102')))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })

  it('rejects an unknown type and an unsupported version', () => {
    // Types 3 (receipt), 4 (signal) and 5 (reach) exist; 0 and 6 do not.
    expect(() => decodeMessageBody(raw(6, fromHex('0161')))).toThrow(
      expect.objectContaining({ name: 'UnknownFrameTypeError', tag: 6 }),
    )
    expect(() => decodeMessageBody(raw(0, fromHex('0161')))).toThrow(
      expect.objectContaining({ name: 'UnknownFrameTypeError', tag: 0 }),
    )
    expect(() => decodeMessageBody(raw(1, fromHex('0161'), 2))).toThrow(
      expect.objectContaining({ name: 'UnsupportedVersionError', version: 2 }),
    )
  })

  it('rejects trailing bytes', () => {
    expect(() => decodeMessageBody(concat(encodeMessageBody(text), fromHex('00')))).toThrow(/trailing/)
    expect(() => decodeMessageBody(concat(encodeMessageBody(intro), fromHex('00')))).toThrow(/trailing/)
    expect(() => decodeMessageBody(concat(encodeMessageBody(reach), fromHex('00')))).toThrow(/trailing/)
  })

  it('applies the profile rules to intro', () => {
    expectTypedError(() => encodeMessageBody({ ...intro, displayName: ' ' }))
    expectTypedError(() => encodeMessageBody({ ...intro, relays: ['https://relay.example.org'] }))
    expectTypedError(() => encodeMessageBody({ ...intro, relays: ['wss://a', 'wss://b', 'wss://c', 'wss://d', 'wss://e'] }))
    const fiveRelays = concat(lengthPrefixed(utf8Encode('Ada')), fromHex('05'))
    expect(() => decodeMessageBody(raw(2, fiveRelays))).toThrow(/relay count 5 is above 4/)
  })

  it('refuses wrong-sized sender proofs', () => {
    expectTypedError(() => encodeMessageBody({ ...text, sender: { ...sender, binding: new Uint8Array(63) } }))
    expectTypedError(() => encodeMessageBody({ ...text, sender: { ...sender, identity: new Uint8Array(33) } }))
  })

  it('rejects every truncation with a typed error', () => {
    fc.assert(
      fc.property(messageBodyArb, fc.nat(), (body, cut) => {
        const encoded = encodeMessageBody(body)
        expectTypedError(() => decodeMessageBody(encoded.subarray(0, cut % encoded.length)))
      }),
    )
  })

  it('never decodes a bit-flipped body to the original, nor throws untyped', () => {
    fc.assert(
      fc.property(messageBodyArb, fc.nat(), (body, bit) => {
        const encoded = encodeMessageBody(body)
        expectTypedOrCanonical(flipBit(encoded, bit % (encoded.length * 8)), decodeMessageBody, encodeMessageBody)
      }),
    )
    for (const body of [text, intro, reach]) {
      const encoded = encodeMessageBody(body)
      for (let bit = 0; bit < encoded.length * 8; bit++) {
        expectTypedOrCanonical(flipBit(encoded, bit), decodeMessageBody, encodeMessageBody)
      }
    }
  })

  it('never throws untyped on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expectTypedOrCanonical(bytes, decodeMessageBody, encodeMessageBody)
      }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 120 }), (type, bytes) => {
        expectTypedOrCanonical(raw(type, bytes), decodeMessageBody, encodeMessageBody)
      }),
    )
  })
})

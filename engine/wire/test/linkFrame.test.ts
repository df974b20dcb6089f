import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concat, fromHex } from '../../bytes.ts'
import {
  decodeLinkFrame,
  encodeLinkFrame,
  MAX_ACK_IDS,
  MAX_ANNOUNCEMENT_BYTES,
  MAX_CUSTODY_RECEIPT_BYTES,
  MAX_REACH_RECORD_BYTES,
  MAX_BATCH_ENVELOPES,
  MAX_LINK_FRAME,
  packEnvelopeFrames,
  RETRACTION_METRIC,
} from '../linkFrame.ts'
import type { LinkFrame } from '../linkFrame.ts'
import { expectTypedError, expectTypedOrCanonical, flipBit, linkFrameArb } from './arbitraries.ts'

function envelopesOf(frame: LinkFrame): readonly Uint8Array[] {
  if (frame.type !== 'envelopes') throw new Error(`expected an envelopes frame, got ${frame.type}`)
  return frame.envelopes
}

describe('link frame', () => {
  it('round-trips every variant', () => {
    fc.assert(
      fc.property(linkFrameArb, (frame) => {
        expect(decodeLinkFrame(encodeLinkFrame(frame))).toEqual(frame)
      }),
    )
  })

  it('encodes known answers', () => {
    expect(encodeLinkFrame({ type: 'ping', nonce: 0xdeadbeef, sentAt: 1 })).toEqual(fromHex('0102deadbeef000000000001'))
    expect(encodeLinkFrame({ type: 'pong', nonce: 1, sentAt: 2 ** 48 - 1 })).toEqual(fromHex('010300000001ffffffffffff'))
    expect(encodeLinkFrame({ type: 'close', reason: 'overload' })).toEqual(fromHex('010403'))
    expect(encodeLinkFrame({ type: 'envelopes', envelopes: [fromHex('aa'), fromHex('bbcc')] })).toEqual(
      fromHex('01010201aa02bbcc'),
    )
    expect(encodeLinkFrame({ type: 'announce', announcement: fromHex('a1a2'), metric: 3 })).toEqual(fromHex('0105000302a1a2'))
    expect(encodeLinkFrame({ type: 'announce', announcement: fromHex('aa'), metric: RETRACTION_METRIC })).toEqual(
      fromHex('0105ffff01aa'),
    )
    const id = fromHex('000102030405060708090a0b0c0d0e0f')
    expect(encodeLinkFrame({ type: 'ack', ids: [id] })).toEqual(fromHex('010601000102030405060708090a0b0c0d0e0f'))
  })

  it('rejects an unsupported version and an unknown type', () => {
    expect(() => decodeLinkFrame(fromHex('020403'))).toThrow(
      expect.objectContaining({ name: 'UnsupportedVersionError', version: 2 }),
    )
    for (const tag of [0, 10, 255]) {
      expect(() => decodeLinkFrame(new Uint8Array([1, tag]))).toThrow(
        expect.objectContaining({ name: 'UnknownFrameTypeError', tag }),
      )
    }
  })

  it('rejects an unknown close reason', () => {
    expect(() => decodeLinkFrame(fromHex('010400'))).toThrow(/close reason 0 is unknown/)
    expect(() => decodeLinkFrame(fromHex('010404'))).toThrow(/close reason 4 is unknown/)
  })

  it('rejects trailing bytes', () => {
    expect(() => decodeLinkFrame(fromHex('01040300'))).toThrow(/link frame has 1 trailing bytes/)
    expect(() => decodeLinkFrame(fromHex('01010101aa00'))).toThrow(/trailing/)
  })

  it('rejects an empty batch, an empty envelope and a batch over 1024', () => {
    expect(() => decodeLinkFrame(fromHex('010100'))).toThrow(/envelope count 0 is outside/)
    expect(() => decodeLinkFrame(fromHex('01010100'))).toThrow(/batched envelope length 0 is outside/)
    expect(() => decodeLinkFrame(fromHex('01018108'))).toThrow(/envelope count 1025 is outside/)
    expectTypedError(() => encodeLinkFrame({ type: 'envelopes', envelopes: [] }))
    expectTypedError(() => encodeLinkFrame({ type: 'envelopes', envelopes: [new Uint8Array(0)] }))
    const many = Array.from({ length: MAX_BATCH_ENVELOPES + 1 }, () => fromHex('aa'))
    expectTypedError(() => encodeLinkFrame({ type: 'envelopes', envelopes: many }))
    expect(decodeLinkFrame(encodeLinkFrame({ type: 'envelopes', envelopes: many.slice(1) }))).toEqual({
      type: 'envelopes',
      envelopes: many.slice(1),
    })
  })

  it('bounds the announcement at 1..MAX_ANNOUNCEMENT_BYTES and the metric at u16', () => {
    const max = new Uint8Array(MAX_ANNOUNCEMENT_BYTES).fill(7)
    expect(decodeLinkFrame(encodeLinkFrame({ type: 'announce', announcement: max, metric: 0 }))).toEqual({
      type: 'announce',
      announcement: max,
      metric: 0,
    })
    expectTypedError(() => encodeLinkFrame({ type: 'announce', announcement: new Uint8Array(MAX_ANNOUNCEMENT_BYTES + 1), metric: 0 }))
    expectTypedError(() => encodeLinkFrame({ type: 'announce', announcement: new Uint8Array(0), metric: 0 }))
    expectTypedError(() => encodeLinkFrame({ type: 'announce', announcement: fromHex('aa'), metric: 0x10000 }))
    expectTypedError(() => encodeLinkFrame({ type: 'announce', announcement: fromHex('aa'), metric: -1 }))
    // Length 1025 (LEB128 0x81 0x08) is refused before the bytes are read.
    expect(() => decodeLinkFrame(fromHex('010500018108'))).toThrow(/announcement length 1025 is outside 1..1024/)
    expect(() => decodeLinkFrame(fromHex('0105000100'))).toThrow(/announcement length 0 is outside/)
  })

  it('bounds a custody receipt at 1..MAX_CUSTODY_RECEIPT_BYTES', () => {
    const max = new Uint8Array(MAX_CUSTODY_RECEIPT_BYTES).fill(3)
    expect(decodeLinkFrame(encodeLinkFrame({ type: 'custody', receipt: max }))).toEqual({ type: 'custody', receipt: max })
    expectTypedError(() => encodeLinkFrame({ type: 'custody', receipt: new Uint8Array(MAX_CUSTODY_RECEIPT_BYTES + 1) }))
    expectTypedError(() => encodeLinkFrame({ type: 'custody', receipt: new Uint8Array(0) }))
    // Length 8193 (LEB128 0x81 0x40) is refused before the bytes are read.
    expect(() => decodeLinkFrame(fromHex('01098140'))).toThrow(/custody receipt length 8193 is outside 1..8192/)
    expectTypedError(() => decodeLinkFrame(fromHex('010904aabb')))
  })

  it('bounds a reach record at 1..MAX_REACH_RECORD_BYTES', () => {
    const max = new Uint8Array(MAX_REACH_RECORD_BYTES).fill(9)
    expect(decodeLinkFrame(encodeLinkFrame({ type: 'reach', record: max }))).toEqual({ type: 'reach', record: max })
    expectTypedError(() => encodeLinkFrame({ type: 'reach', record: new Uint8Array(MAX_REACH_RECORD_BYTES + 1) }))
    expectTypedError(() => encodeLinkFrame({ type: 'reach', record: new Uint8Array(0) }))
    // Length 1025 is refused before the bytes are read; a record cut short is malformed, not a partial frame.
    expect(() => decodeLinkFrame(fromHex('01088108'))).toThrow(/reach record length 1025 is outside 1..1024/)
    expectTypedError(() => decodeLinkFrame(fromHex('010803aabb')))
  })

  it('takes 1..MAX_ACK_IDS ack ids of exactly 16 bytes', () => {
    const ids = Array.from({ length: MAX_ACK_IDS }, (_, i) => new Uint8Array(16).fill(i & 0xff))
    const encoded = encodeLinkFrame({ type: 'ack', ids })
    expect(encoded.length).toBe(2 + 2 + MAX_ACK_IDS * 16)
    expect(decodeLinkFrame(encoded)).toEqual({ type: 'ack', ids })
    expectTypedError(() => encodeLinkFrame({ type: 'ack', ids: [] }))
    expectTypedError(() => encodeLinkFrame({ type: 'ack', ids: [...ids, ids[0]!] }))
    expectTypedError(() => encodeLinkFrame({ type: 'ack', ids: [new Uint8Array(15)] }))
    expect(() => decodeLinkFrame(fromHex('010600'))).toThrow(/ack id count 0 is outside/)
    expect(() => decodeLinkFrame(fromHex('01068108'))).toThrow(/ack id count 1025 is outside/)
    expect(() => decodeLinkFrame(fromHex('010601' + 'ab'.repeat(15)))).toThrow(/acked envelope id is truncated/)
  })

  it('rejects a non-minimal count', () => {
    expect(() => decodeLinkFrame(fromHex('0101810001aa'))).toThrow(/non-minimal varint/)
  })

  it('refuses out-of-range ping fields', () => {
    expectTypedError(() => encodeLinkFrame({ type: 'ping', nonce: 2 ** 32, sentAt: 0 }))
    expectTypedError(() => encodeLinkFrame({ type: 'pong', nonce: 0, sentAt: -1 }))
    expectTypedError(() => encodeLinkFrame({ type: 'close', reason: 'bored' as 'shutdown' }))
  })

  it('enforces MAX_LINK_FRAME in both directions', () => {
    const fits = new Uint8Array(MAX_LINK_FRAME - 2 - 1 - 3)
    expect(encodeLinkFrame({ type: 'envelopes', envelopes: [fits] }).length).toBe(MAX_LINK_FRAME)
    const tooBig = new Uint8Array(fits.length + 1)
    expect(() => encodeLinkFrame({ type: 'envelopes', envelopes: [tooBig] })).toThrow(
      expect.objectContaining({ name: 'FrameTooLargeError', size: MAX_LINK_FRAME + 1, max: MAX_LINK_FRAME }),
    )
    expect(() => decodeLinkFrame(new Uint8Array(MAX_LINK_FRAME + 1))).toThrow(
      expect.objectContaining({ name: 'FrameTooLargeError' }),
    )
  })

  it('rejects every truncation with a typed error', () => {
    fc.assert(
      fc.property(linkFrameArb, fc.nat(), (frame, cut) => {
        const encoded = encodeLinkFrame(frame)
        expectTypedError(() => decodeLinkFrame(encoded.subarray(0, cut % encoded.length)))
      }),
    )
  })

  it('never decodes a bit-flipped frame to the original, nor throws untyped', () => {
    fc.assert(
      fc.property(linkFrameArb, fc.nat(), (frame, bit) => {
        const encoded = encodeLinkFrame(frame)
        expectTypedOrCanonical(flipBit(encoded, bit % (encoded.length * 8)), decodeLinkFrame, encodeLinkFrame)
      }),
    )
  })

  it('never throws untyped on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expectTypedOrCanonical(bytes, decodeLinkFrame, encodeLinkFrame)
      }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.uint8Array({ maxLength: 100 }), (tag, bytes) => {
        expectTypedOrCanonical(concat(new Uint8Array([1, tag]), bytes), decodeLinkFrame, encodeLinkFrame)
      }),
    )
  })
})

describe('packEnvelopeFrames', () => {
  const packCase = fc.oneof(
    fc
      .integer({ min: 16, max: 4096 })
      .chain((max) =>
        fc.tuple(fc.constant(max), fc.array(fc.uint8Array({ minLength: 1, maxLength: max - 2 - 1 - 2 }), { maxLength: 60 })),
      ),
    // Many tiny envelopes: the count varint grows from 1 to 2 bytes at 128 and batches cap at 1024.
    fc.tuple(
      fc.integer({ min: 200, max: 8000 }),
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 3 }), { minLength: 100, maxLength: 2200 }),
    ),
  )

  it('unpacks to the same envelopes in order, every frame within the limit and as few frames as possible', () => {
    fc.assert(
      fc.property(packCase, ([max, envelopes]) => {
        const frames = packEnvelopeFrames(envelopes, max)
        for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(max)
        const decoded = frames.map((f) => envelopesOf(decodeLinkFrame(f)))
        expect(decoded.flat()).toEqual(envelopes)
        // Greedy is optimal only if no frame could have taken the next frame's first envelope.
        for (let i = 0; i + 1 < decoded.length; i++) {
          const grown = [...decoded[i]!, decoded[i + 1]![0]!]
          const grownSize = encodeLinkFrame({ type: 'envelopes', envelopes: grown }).length
          expect(grownSize > max || grown.length > MAX_BATCH_ENVELOPES).toBe(true)
        }
      }),
    )
  })

  it('returns no frames for no envelopes', () => {
    expect(packEnvelopeFrames([])).toEqual([])
  })

  it('splits at MAX_BATCH_ENVELOPES even when bytes would fit', () => {
    const envelopes = Array.from({ length: 2 * MAX_BATCH_ENVELOPES + 1 }, (_, i) => new Uint8Array([i & 0xff]))
    const frames = packEnvelopeFrames(envelopes)
    expect(frames.map((f) => envelopesOf(decodeLinkFrame(f)).length)).toEqual([1024, 1024, 1])
  })

  it('fills frames up to the default MAX_LINK_FRAME', () => {
    const envelopes = Array.from({ length: 10 }, () => new Uint8Array(20_000))
    const frames = packEnvelopeFrames(envelopes)
    expect(frames.length).toBe(4)
    for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(MAX_LINK_FRAME)
  })

  it('throws FrameTooLargeError for an envelope that cannot fit alone', () => {
    expect(() => packEnvelopeFrames([new Uint8Array(10), new Uint8Array(100)], 64)).toThrow(
      expect.objectContaining({ name: 'FrameTooLargeError' }),
    )
    expect(() => packEnvelopeFrames([new Uint8Array(MAX_LINK_FRAME)])).toThrow(
      expect.objectContaining({ name: 'FrameTooLargeError' }),
    )
  })

  it('never exceeds MAX_LINK_FRAME even when asked for more', () => {
    const envelopes = Array.from({ length: 4 }, () => new Uint8Array(30_000))
    for (const frame of packEnvelopeFrames(envelopes, 1_000_000)) expect(frame.length).toBeLessThanOrEqual(MAX_LINK_FRAME)
  })
})

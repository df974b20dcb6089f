import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concat, fromHex } from '../../bytes.ts'
import {
  decodeEnvelope,
  decrementTtl,
  encodeEnvelope,
  ENVELOPE_HEADER_BYTES,
  envelopeAssociatedData,
  MAX_ENVELOPE_BODY,
  withAttempt,
} from '../envelope.ts'
import type { Envelope } from '../envelope.ts'
import { envelopeArb, expectTypedError, expectTypedOrCanonical, flipBit } from './arbitraries.ts'

const sample: Envelope = {
  header: {
    version: 2,
    id: new Uint8Array(16).fill(0x11),
    destination: new Uint8Array(32).fill(0x22),
    ttl: 8,
    attempt: 5,
    expiresAt: 1_700_000_000_000,
  },
  body: new Uint8Array([1, 2, 3]),
}

function withHeader(patch: Partial<Envelope['header']>, body = sample.body): Envelope {
  return { header: { ...sample.header, ...patch } as Envelope['header'], body }
}

describe('envelope', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope)
      }),
    )
  })

  it('round-trips the largest body', () => {
    const body = new Uint8Array(MAX_ENVELOPE_BODY).fill(0xab)
    const encoded = encodeEnvelope({ header: sample.header, body })
    expect(encoded.length).toBe(ENVELOPE_HEADER_BYTES + 3 + MAX_ENVELOPE_BODY)
    expect(decodeEnvelope(encoded).body).toEqual(body)
  })

  it('puts the header at fixed offsets', () => {
    const encoded = encodeEnvelope(sample)
    expect(ENVELOPE_HEADER_BYTES).toBe(57)
    expect(encoded[0]).toBe(2)
    expect(encoded.subarray(1, 17)).toEqual(sample.header.id)
    expect(encoded.subarray(17, 49)).toEqual(sample.header.destination)
    expect(encoded[49]).toBe(8)
    expect(encoded[50]).toBe(5)
    expect(encoded.subarray(51, 57)).toEqual(fromHex('018bcfe56800'))
    expect(encoded.subarray(57)).toEqual(fromHex('03010203'))
  })

  it('refuses to encode out-of-range fields', () => {
    for (const bad of [
      withHeader({ ttl: 256 }),
      withHeader({ ttl: -1 }),
      withHeader({ attempt: 256 }),
      withHeader({ attempt: -1 }),
      withHeader({ attempt: 0.5 }),
      withHeader({ expiresAt: 2 ** 48 }),
      withHeader({ expiresAt: 1.5 }),
      withHeader({ id: new Uint8Array(15) }),
      withHeader({ destination: new Uint8Array(33) }),
      withHeader({}, new Uint8Array(0)),
      withHeader({}, new Uint8Array(MAX_ENVELOPE_BODY + 1)),
    ]) {
      expectTypedError(() => encodeEnvelope(bad))
    }
    expect(() => encodeEnvelope(withHeader({ version: 1 as 2 }))).toThrow(/version 1 is not supported/)
  })

  it('rejects an unsupported version', () => {
    const encoded = encodeEnvelope(sample)
    encoded[0] = 3
    expect(() => decodeEnvelope(encoded)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError', version: 3 }))
  })

  it('refuses a version 1 envelope (no attempt byte) with UnsupportedVersionError', () => {
    // v1 layout: version | id | destination | ttl | expiresAt | body length | body.
    const v1 = concat(fromHex('01'), sample.header.id, sample.header.destination, fromHex('08018bcfe5680003010203'))
    expect(() => decodeEnvelope(v1)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError', version: 1 }))
    expect(() => decrementTtl(v1)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError', version: 1 }))
    expect(() => withAttempt(v1, 1)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError', version: 1 }))
  })

  it('round-trips every attempt', () => {
    for (const attempt of [0, 1, 254, 255]) {
      expect(decodeEnvelope(encodeEnvelope(withHeader({ attempt }))).header.attempt).toBe(attempt)
    }
  })

  it('rejects trailing bytes', () => {
    const encoded = concat(encodeEnvelope(sample), new Uint8Array([0]))
    expect(() => decodeEnvelope(encoded)).toThrow(/envelope has 1 trailing bytes/)
  })

  it('rejects an empty and an oversized body', () => {
    const header = encodeEnvelope(sample).subarray(0, ENVELOPE_HEADER_BYTES)
    expect(() => decodeEnvelope(concat(header, fromHex('00')))).toThrow(/envelope body length 0 is outside/)
    const tooLong = concat(header, fromHex('e1d403'), new Uint8Array(MAX_ENVELOPE_BODY + 1))
    expect(() => decodeEnvelope(tooLong)).toThrow(/envelope body length 60001 is outside/)
  })

  it('rejects a non-minimal body length', () => {
    const header = encodeEnvelope(sample).subarray(0, ENVELOPE_HEADER_BYTES)
    expect(() => decodeEnvelope(concat(header, fromHex('8300010203')))).toThrow(/non-minimal varint/)
  })

  it('rejects every truncation with a typed error', () => {
    fc.assert(
      fc.property(envelopeArb, fc.nat(), (envelope, cut) => {
        const encoded = encodeEnvelope(envelope)
        expectTypedError(() => decodeEnvelope(encoded.subarray(0, cut % encoded.length)))
      }),
    )
  })

  it('never decodes a bit-flipped envelope to the original, nor throws untyped', () => {
    fc.assert(
      fc.property(envelopeArb, fc.nat(), (envelope, bit) => {
        const encoded = encodeEnvelope(envelope)
        const flipped = flipBit(encoded, bit % (encoded.length * 8))
        expectTypedOrCanonical(flipped, decodeEnvelope, encodeEnvelope)
      }),
    )
    const encoded = encodeEnvelope(sample)
    for (let bit = 0; bit < encoded.length * 8; bit++) {
      expectTypedOrCanonical(flipBit(encoded, bit), decodeEnvelope, encodeEnvelope)
    }
  })

  it('never throws untyped on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expectTypedOrCanonical(bytes, decodeEnvelope, encodeEnvelope)
      }),
    )
    // Garbage that gets past the version byte exercises the deeper fields.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expectTypedOrCanonical(concat(fromHex('02'), bytes), decodeEnvelope, encodeEnvelope)
      }),
    )
  })
})

describe('envelopeAssociatedData', () => {
  it('is the encoded header without the ttl and attempt bytes', () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        const encoded = encodeEnvelope(envelope)
        const ad = envelopeAssociatedData(envelope.header)
        expect(ad).toEqual(concat(encoded.subarray(0, 49), encoded.subarray(51, ENVELOPE_HEADER_BYTES)))
      }),
    )
  })

  it('ignores ttl and attempt and changes with every other header field', () => {
    const ad = envelopeAssociatedData(sample.header)
    expect(ad.length).toBe(55)
    expect(envelopeAssociatedData({ ...sample.header, ttl: 0 })).toEqual(ad)
    expect(envelopeAssociatedData({ ...sample.header, attempt: 0 })).toEqual(ad)
    expect(envelopeAssociatedData({ ...sample.header, attempt: 255 })).toEqual(ad)
    expect(envelopeAssociatedData({ ...sample.header, expiresAt: 1 })).not.toEqual(ad)
    expect(envelopeAssociatedData({ ...sample.header, id: new Uint8Array(16) })).not.toEqual(ad)
    expect(envelopeAssociatedData({ ...sample.header, destination: new Uint8Array(32) })).not.toEqual(ad)
  })
})

describe('decrementTtl', () => {
  it('decrements only the ttl and leaves the input untouched', () => {
    fc.assert(
      fc.property(envelopeArb.filter((e) => e.header.ttl > 0), (envelope) => {
        const encoded = encodeEnvelope(envelope)
        const before = encoded.slice()
        const next = decrementTtl(encoded)
        expect(encoded).toEqual(before)
        expect(decodeEnvelope(next)).toEqual({ ...envelope, header: { ...envelope.header, ttl: envelope.header.ttl - 1 } })
      }),
    )
  })

  it('throws TtlExhaustedError at 0', () => {
    const encoded = encodeEnvelope(withHeader({ ttl: 0 }))
    expect(() => decrementTtl(encoded)).toThrow(expect.objectContaining({ name: 'TtlExhaustedError' }))
  })

  it('refuses a short buffer or an unknown version with a typed error', () => {
    const encoded = encodeEnvelope(sample)
    expect(() => decrementTtl(encoded.subarray(0, ENVELOPE_HEADER_BYTES - 1))).toThrow(/truncated/)
    expect(() => decrementTtl(new Uint8Array(0))).toThrow(/truncated/)
    const v3 = encoded.slice()
    v3[0] = 3
    expect(() => decrementTtl(v3)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError' }))
  })
})

describe('withAttempt', () => {
  it('sets only the attempt, leaving the associated data, body and input untouched', () => {
    fc.assert(
      fc.property(envelopeArb, fc.integer({ min: 0, max: 255 }), (envelope, attempt) => {
        const encoded = encodeEnvelope(envelope)
        const before = encoded.slice()
        const retry = decodeEnvelope(withAttempt(encoded, attempt))
        expect(encoded).toEqual(before)
        expect(retry).toEqual({ ...envelope, header: { ...envelope.header, attempt } })
        expect(envelopeAssociatedData(retry.header)).toEqual(envelopeAssociatedData(envelope.header))
      }),
    )
  })

  it('refuses an attempt outside 0..255 with MalformedError', () => {
    const encoded = encodeEnvelope(sample)
    for (const bad of [-1, 256, 1.5, Number.NaN]) {
      expect(() => withAttempt(encoded, bad)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    }
  })

  it('refuses a short buffer or an unknown version with a typed error', () => {
    const encoded = encodeEnvelope(sample)
    expect(() => withAttempt(encoded.subarray(0, ENVELOPE_HEADER_BYTES - 1), 1)).toThrow(/truncated/)
    const v3 = encoded.slice()
    v3[0] = 3
    expect(() => withAttempt(v3, 1)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError' }))
  })
})

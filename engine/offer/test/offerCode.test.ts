import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concat } from '../../bytes.ts'
import { byteWriter } from '../../wire/byteWriter.ts'
import { MAX_REACH_RECORD_BYTES } from '../../wire/index.ts'
import { bytesOf, displayNameArb, flipBit, relaysArb, u32 } from '../../wire/test/arbitraries.ts'
import { sha256 } from '@noble/hashes/sha2.js'
import { base32Decode, base32Encode } from '../base32.ts'
import type { OfferErrorReason } from '../errors.ts'
import { decodeOffer, encodeOffer, OFFER_VERSION } from '../offerCode.ts'
import type { Offer } from '../offerCode.ts'

const offerArb: fc.Arbitrary<Offer> = fc.record({
  identity: bytesOf(32),
  staticKey: bytesOf(32),
  binding: bytesOf(64),
  signedPrekey: fc.record({ id: u32, publicKey: bytesOf(32), signature: bytesOf(64) }),
  displayName: displayNameArb,
  relays: relaysArb,
  // Opaque to the codec: any 1..MAX bytes, or none.
  reach: fc.option(fc.uint8Array({ minLength: 1, maxLength: MAX_REACH_RECORD_BYTES }), { nil: undefined }),
})

const sample: Offer = {
  identity: new Uint8Array(32).fill(1),
  staticKey: new Uint8Array(32).fill(2),
  binding: new Uint8Array(64).fill(3),
  signedPrekey: { id: 0x01020304, publicKey: new Uint8Array(32).fill(4), signature: new Uint8Array(64).fill(5) },
  displayName: 'Ada',
  relays: ['wss://relay.example.org'],
}
const code = encodeOffer(sample)
/** Placeholder bytes where a signed reach record goes: the codec checks the length only. */
const record = Uint8Array.from({ length: 172 }, (_, i) => i)
const withReach: Offer = { ...sample, reach: record }

/** The 'one relay' golden vector as version 1 wrote it, before offers carried a signed prekey. */
const V1_GOLDEN_CODE =
  'SOV1AGQKDIVDUSS2NJ5IVGVKXLFNV2X3BMNSWO2LLNVXXC43VO54XW7L7QGBYLB4JROGY7EMTSWLZTG45T6Q2HJNHVGV23L5RWO23PON3XW7AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSAIJCEMSCKJRHFAUSUKZMFUXC6MBRGIZTINJWG44DSOR3HQ6T4PYMIFSGCICMN53GK3DBMNSQCF3XONZTULZPOJSWYYLZFZSXQYLNOBWGKLTPOJT55NOHCM'

const REASONS: readonly OfferErrorReason[] = ['empty', 'prefix', 'alphabet', 'checksum', 'version', 'truncated', 'field']

function reasonOf(fn: () => unknown): OfferErrorReason {
  try {
    fn()
  } catch (err) {
    const e = err as { name: string; reason: OfferErrorReason; message: string }
    expect(e.name).toBe('InvalidOfferError')
    expect(REASONS).toContain(e.reason)
    return e.reason
  }
  throw new Error('expected InvalidOfferError')
}

/** Text form of an arbitrary payload, with a correct checksum appended. */
function codeOf(payload: Uint8Array): string {
  return `SOV1${base32Encode(concat(payload, sha256(payload).subarray(0, 4)))}`
}

/** A payload written field by field, so tests can break one rule at a time. */
function payload(o: {
  version?: number
  name?: string
  relays?: string[]
  extra?: Uint8Array
  relayCount?: number
  /** Leave the signed prekey out, as a version-1 offer did. */
  noPrekey?: boolean
  /** Written after the relays: a length varint (`reachLength`, else its length) and the bytes. */
  reach?: Uint8Array
  reachLength?: number
}): Uint8Array {
  const w = byteWriter()
  w.u8(o.version ?? 2, 'v')
  w.bytes(sample.identity, 'i')
  w.bytes(sample.staticKey, 's')
  w.bytes(sample.binding, 'b')
  if (!o.noPrekey) {
    w.u32(sample.signedPrekey.id, 'spk id')
    w.bytes(sample.signedPrekey.publicKey, 'spk')
    w.bytes(sample.signedPrekey.signature, 'spk sig')
  }
  w.utf8(o.name ?? 'Ada', 'n', 0, 10_000)
  const relays = o.relays ?? []
  w.u8(o.relayCount ?? relays.length, 'c')
  for (const r of relays) w.utf8(r, 'r', 0, 10_000)
  if (o.reach) {
    w.varint(o.reachLength ?? o.reach.length, 'reach length')
    w.bytes(o.reach, 'reach')
  }
  if (o.extra) w.bytes(o.extra, 'x')
  return w.finish()
}

describe('offer code', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(offerArb, (offer) => {
        const text = encodeOffer(offer)
        expect(text).toMatch(/^SOV1[A-Z2-7]+$/)
        expect(decodeOffer(text)).toEqual(offer)
      }),
    )
  })

  it('is QR-alphanumeric: only A-Z and 0-9 appear', () => {
    expect(code).toMatch(/^[A-Z0-9]+$/)
  })

  it('forgives what pasting does', () => {
    const grouped = code.match(/.{1,4}/g)!.join('-')
    const spaced = code.match(/.{1,5}/g)!.join(' ')
    const wrapped = code.match(/.{1,40}/g)!.join('\r\n')
    for (const pasted of [
      `  ${code}\n`,
      code.toLowerCase(),
      grouped,
      spaced,
      wrapped,
      `\t${grouped.toLowerCase()}\n\n`,
      code.replace(/(.{8})/g, '$1\u00a0'),
      code.replace(/(.{8})/g, '$1\u2013'),
      `\ufeff${code}\u200b`,
    ]) {
      expect(decodeOffer(pasted)).toEqual(sample)
    }
  })

  it("refuses letters that become A-Z only through Unicode case mapping ('ſ' -> 'S', 'ı' -> 'I')", () => {
    for (const [ascii, lookalike] of [['S', 'ſ'], ['I', 'ı']] as const) {
      const i = code.indexOf(ascii, 4)
      expect(i).toBeGreaterThan(0)
      expect(reasonOf(() => decodeOffer(code.slice(0, i) + lookalike + code.slice(i + 1)))).toBe('alphabet')
    }
  })

  it('rejects any single-bit flip of the payload with a typed reason', () => {
    const bytes = base32Decode(code.slice(4)) as Uint8Array
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      expect(reasonOf(() => decodeOffer(`SOV1${base32Encode(flipBit(bytes, bit))}`))).toBe('checksum')
    }
    fc.assert(
      fc.property(offerArb, fc.nat(), (offer, bit) => {
        const raw = base32Decode(encodeOffer(offer).slice(4)) as Uint8Array
        const flipped = flipBit(raw, bit % (raw.length * 8))
        expect(reasonOf(() => decodeOffer(`SOV1${base32Encode(flipped)}`))).toBe('checksum')
      }),
    )
  })

  it('rejects a changed character of the text with a typed reason', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), (at, char) => {
        const i = 4 + (at % (code.length - 4))
        const altered = code.slice(0, i) + char + code.slice(i + 1)
        if (altered === code) return
        expect(['checksum', 'truncated']).toContain(reasonOf(() => decodeOffer(altered)))
      }),
    )
  })

  it('says truncated or damaged for every cut-off code', () => {
    for (let cut = 1; cut < code.length; cut++) {
      const reason = reasonOf(() => decodeOffer(code.slice(0, cut)))
      expect(['truncated', 'checksum']).toContain(reason)
    }
    expect(reasonOf(() => decodeOffer(code.slice(0, 60)))).toBe('truncated')
  })

  it('never throws untyped on garbage text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        reasonOf(() => decodeOffer(text))
      }),
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        reasonOf(() => decodeOffer(`SOV1${base32Encode(bytes)}`))
      }),
    )
    // A valid checksum over garbage gets past the first gate and exercises the field parser.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        reasonOf(() => decodeOffer(codeOf(concat(Uint8Array.of(2), bytes))))
        reasonOf(() => decodeOffer(codeOf(concat(Uint8Array.of(3), bytes))))
      }),
    )
  })

  it('names the reason for each kind of bad input', () => {
    expect(reasonOf(() => decodeOffer(''))).toBe('empty')
    expect(reasonOf(() => decodeOffer(' \n\t - '))).toBe('empty')
    expect(reasonOf(() => decodeOffer('hello world'))).toBe('prefix')
    expect(reasonOf(() => decodeOffer(`XYZ1${code.slice(4)}`))).toBe('prefix')
    expect(reasonOf(() => decodeOffer('SOV'))).toBe('truncated')
    expect(reasonOf(() => decodeOffer(`SOV2${code.slice(4)}`))).toBe('version')
    expect(reasonOf(() => decodeOffer(`${code.slice(0, 10)}0${code.slice(11)}`))).toBe('alphabet')
    expect(reasonOf(() => decodeOffer(`${code}=`))).toBe('alphabet')
    expect(reasonOf(() => decodeOffer(`${code}${code}`))).toBe('alphabet')
    expect(reasonOf(() => decodeOffer(codeOf(payload({ version: 4 }))))).toBe('version')
  })

  it('refuses a version-1 code (no signed prekey) as made by an older version', () => {
    for (const old of [V1_GOLDEN_CODE, codeOf(payload({ version: 1, noPrekey: true, relays: ['wss://relay.example.org'] }))]) {
      let error: { name?: string; reason?: string; message?: string } = {}
      try {
        decodeOffer(old)
      } catch (err) {
        error = err as typeof error
      }
      expect(error.name).toBe('InvalidOfferError')
      expect(error.reason).toBe('version')
      expect(error.message).toBe('This offer code was made by an older version of Sovereign. Ask for a new one.')
    }
    // A newer layout says so, not "older".
    expect(() => decodeOffer(codeOf(payload({ version: 4 })))).toThrow(/newer version of Sovereign\. Update the app/)
    expect(() => decodeOffer(`SOV2${code.slice(4)}`)).toThrow(/newer version/)
  })

  it('carries the signed prekey at its documented offset, unverified', () => {
    const bytes = base32Decode(code.slice(4)) as Uint8Array
    const at = 1 + 32 + 32 + 64
    expect(Array.from(bytes.subarray(at, at + 4))).toEqual([1, 2, 3, 4])
    expect(bytes.subarray(at + 4, at + 36)).toEqual(sample.signedPrekey.publicKey)
    expect(bytes.subarray(at + 36, at + 100)).toEqual(sample.signedPrekey.signature)
    // An all-zero signature is not valid for anything, yet decodes: the messenger verifies.
    const unsigned = { ...sample, signedPrekey: { ...sample.signedPrekey, signature: new Uint8Array(64) } }
    expect(decodeOffer(encodeOffer(unsigned))).toEqual(unsigned)
  })

  it('rejects bad fields behind a valid checksum', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty name', payload({ name: '' }), /display name length 0/],
      ['blank name', payload({ name: '   ' }), /display name is empty/],
      ['untrimmed name', payload({ name: ' Ada' }), /whitespace/],
      ['65-char name', payload({ name: 'a'.repeat(65) }), /longer than 64 characters/],
      ['control char', payload({ name: 'A\u0007da' }), /control character/],
      ['http relay', payload({ relays: ['https://relay.example.org'] }), /not a ws:\/\/ or wss:\/\/ URL/],
      ['5 relays', payload({ relays: ['ws://a', 'ws://b', 'ws://c', 'ws://d', 'ws://e'] }), /relay count 5 is above 4/],
      ['long relay', payload({ relays: [`wss://x/${'a'.repeat(250)}`] }), /relay address length 258/],
      ['relay count without relays', payload({ relayCount: 1 }), /relay address length is truncated/],
      ['trailing bytes', payload({ extra: Uint8Array.of(0) }), /trailing/],
      ['version 2 without a signed prekey', payload({ noPrekey: true }), /signed prekey/],
      ['version 2 with a reach record', payload({ reach: record }), /trailing/],
      ['version 3 without a reach length', payload({ version: 3 }), /reach record length is truncated/],
    ]
    for (const [label, bytes, detail] of cases) {
      let error: { reason?: string; message?: string } = {}
      try {
        decodeOffer(codeOf(bytes))
      } catch (err) {
        error = err as typeof error
      }
      expect(error.reason, label).toBe('field')
      expect(error.message, label).toMatch(detail)
    }
  })

  it('rejects bad UTF-8 in the display name', () => {
    const good = payload({ name: 'Ab' })
    const nameAt = 1 + 32 + 32 + 64 + 4 + 32 + 64 + 1
    const bad = good.slice()
    bad[nameAt] = 0xc3
    bad[nameAt + 1] = 0x28
    expect(() => decodeOffer(codeOf(bad))).toThrow(/display name is not valid UTF-8/)
  })

  it('refuses to encode an invalid offer', () => {
    for (const bad of [
      { ...sample, identity: new Uint8Array(31) },
      { ...sample, staticKey: new Uint8Array(33) },
      { ...sample, binding: new Uint8Array(0) },
      { ...sample, signedPrekey: { ...sample.signedPrekey, id: -1 } },
      { ...sample, signedPrekey: { ...sample.signedPrekey, id: 2 ** 32 } },
      { ...sample, signedPrekey: { ...sample.signedPrekey, id: 1.5 } },
      { ...sample, signedPrekey: { ...sample.signedPrekey, publicKey: new Uint8Array(31) } },
      { ...sample, signedPrekey: { ...sample.signedPrekey, signature: new Uint8Array(65) } },
      { ...sample, displayName: '' },
      { ...sample, displayName: 'x'.repeat(65) },
      { ...sample, relays: ['http://relay.example.org'] },
      { ...sample, relays: ['ws://a', 'ws://b', 'ws://c', 'ws://d', 'ws://e'] },
    ]) {
      expect(reasonOf(() => encodeOffer(bad))).toBe('field')
    }
  })

  it('never puts the code, or any part of it, in the message', () => {
    for (const bad of [
      code.slice(0, 100),
      `${code.slice(0, 50)}!${code.slice(51)}`,
      flipLast(code),
      `SOV2${code.slice(4)}`,
      V1_GOLDEN_CODE,
    ]) {
      try {
        decodeOffer(bad)
      } catch (err) {
        const message = (err as Error).message
        expect(message.length).toBeGreaterThan(20)
        expect(message).not.toContain(code.slice(4, 12))
        expect(message).not.toMatch(/[A-Z2-7]{12}/)
      }
    }
  })
})

describe('offer code version 3: the reach record', () => {
  it('writes version 3, and round-trips with a record, with none, and at the largest allowed', () => {
    expect(OFFER_VERSION).toBe(3)
    expect((base32Decode(code.slice(4)) as Uint8Array)[0]).toBe(3)
    const decoded = decodeOffer(encodeOffer(withReach))
    expect(decoded).toEqual(withReach)
    expect(decoded.reach).toEqual(record)
    const none = decodeOffer(code)
    expect(none).toEqual(sample)
    expect('reach' in none).toBe(false)
    const largest = { ...sample, reach: new Uint8Array(MAX_REACH_RECORD_BYTES).fill(7) }
    expect(decodeOffer(encodeOffer(largest))).toEqual(largest)
  })

  it('carries the record as its length varint and bytes between the relays and the checksum', () => {
    const bytes = base32Decode(encodeOffer(withReach).slice(4)) as Uint8Array
    const none = base32Decode(code.slice(4)) as Uint8Array
    // The same offer without a record: its last byte before the checksum is the 0 length.
    const at = none.length - 4 - 1
    expect(none[at]).toBe(0)
    expect(Array.from(bytes.subarray(at, at + 2))).toEqual([0xac, 0x01]) // 172, a 2-byte LEB128 varint
    expect(bytes.subarray(at + 2, at + 2 + record.length)).toEqual(record)
    expect(bytes.length).toBe(at + 2 + record.length + 4)
    // Everything before the record is the no-record code's, byte for byte.
    expect(bytes.subarray(0, at)).toEqual(none.subarray(0, at))
  })

  it('still decodes a version-2 code, with reach undefined', () => {
    const v2 = codeOf(payload({ version: 2, relays: ['wss://relay.example.org'] }))
    const decoded = decodeOffer(v2)
    expect(decoded).toEqual(sample)
    expect(decoded.reach).toBeUndefined()
    // Re-encoding upgrades it: version 3, no record.
    expect(encodeOffer(decoded)).toBe(code)
  })

  it('decodes a hand-built version-3 code with a record', () => {
    const v3 = codeOf(payload({ version: 3, relays: ['wss://relay.example.org'], reach: record }))
    expect(v3).toBe(encodeOffer(withReach))
    expect(decodeOffer(v3)).toEqual(withReach)
  })

  it('refuses an over-long or truncated reach record as a field error, behind a valid checksum', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['one byte over the maximum', payload({ version: 3, reach: new Uint8Array(MAX_REACH_RECORD_BYTES + 1) }), /reach record length 1025 is outside 0\.\.1024/],
      ['a huge claimed length', payload({ version: 3, reach: new Uint8Array(10), reachLength: 2 ** 20 }), /reach record length 1048576 is outside/],
      ['a length longer than what follows', payload({ version: 3, reach: new Uint8Array(10), reachLength: 11 }), /reach record is truncated/],
      ['a byte after the record', payload({ version: 3, reach: new Uint8Array(10), extra: Uint8Array.of(0) }), /trailing/],
    ]
    for (const [label, bytes, detail] of cases) {
      let error: { name?: string; reason?: string; message?: string } = {}
      try {
        decodeOffer(codeOf(bytes))
      } catch (err) {
        error = err as typeof error
      }
      expect(error.name, label).toBe('InvalidOfferError')
      expect(error.reason, label).toBe('field')
      expect(error.message, label).toMatch(detail)
    }
  })

  it('refuses to encode an empty or over-long record', () => {
    expect(reasonOf(() => encodeOffer({ ...sample, reach: new Uint8Array(0) }))).toBe('field')
    expect(reasonOf(() => encodeOffer({ ...sample, reach: new Uint8Array(MAX_REACH_RECORD_BYTES + 1) }))).toBe('field')
  })

  it('covers the record with the checksum: any flipped bit in it is refused', () => {
    const bytes = base32Decode(encodeOffer(withReach).slice(4)) as Uint8Array
    const start = bytes.length - 4 - record.length - 2 // the length varint, then the record
    for (let bit = start * 8; bit < (bytes.length - 4) * 8; bit++) {
      expect(reasonOf(() => decodeOffer(`SOV1${base32Encode(flipBit(bytes, bit))}`))).toBe('checksum')
    }
  })
})

function flipLast(text: string): string {
  return text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A')
}

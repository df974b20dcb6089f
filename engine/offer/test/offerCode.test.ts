import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concat } from '../../bytes.ts'
import { byteWriter } from '../../wire/byteWriter.ts'
import { bytesOf, displayNameArb, flipBit, relaysArb, u32 } from '../../wire/test/arbitraries.ts'
import { sha256 } from '@noble/hashes/sha2.js'
import { base32Decode, base32Encode } from '../base32.ts'
import type { OfferErrorReason } from '../errors.ts'
import { decodeOffer, encodeOffer } from '../offerCode.ts'
import type { Offer } from '../offerCode.ts'

const offerArb: fc.Arbitrary<Offer> = fc.record({
  identity: bytesOf(32),
  staticKey: bytesOf(32),
  binding: bytesOf(64),
  signedPrekey: fc.record({ id: u32, publicKey: bytesOf(32), signature: bytesOf(64) }),
  displayName: displayNameArb,
  relays: relaysArb,
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
    expect(reasonOf(() => decodeOffer(codeOf(payload({ version: 3 }))))).toBe('version')
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
    expect(() => decodeOffer(codeOf(payload({ version: 3 })))).toThrow(/newer version of Sovereign\. Update the app/)
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

function flipLast(text: string): string {
  return text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A')
}

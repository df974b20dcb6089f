/** Golden vectors: see README.md for how golden.json was produced (independently of this code). */
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../bytes.ts'
import { decodeEnvelope, decrementTtl, encodeEnvelope, envelopeAssociatedData, withAttempt } from '../envelope.ts'
import type { Envelope } from '../envelope.ts'
import { decodeLinkFrame, encodeLinkFrame } from '../linkFrame.ts'
import type { CloseReason, LinkFrame, RefuseReason } from '../linkFrame.ts'
import { decodeMessageBody, encodeMessageBody } from '../messageBody.ts'
import type { MessageBody } from '../messageBody.ts'
import { expectTypedError, expectTypedOrCanonical, flipBit } from './arbitraries.ts'
import golden from './golden.json'

function toEnvelope(v: (typeof golden.envelopes)[number]): Envelope {
  return {
    header: {
      version: 2,
      id: fromHex(v.id),
      destination: fromHex(v.destination),
      ttl: v.ttl,
      attempt: v.attempt,
      expiresAt: v.expiresAt,
    },
    body: fromHex(v.body),
  }
}

interface GoldenBody {
  type: string
  identity: string
  binding: string
  sentAt: number
  text?: string
  displayName?: string
  relays?: string[]
  record?: string
}

function toMessageBody(v: GoldenBody): MessageBody {
  const sender = { identity: fromHex(v.identity), binding: fromHex(v.binding) }
  if (v.type === 'text') return { type: 'text', sender, sentAt: v.sentAt, text: v.text! }
  if (v.type === 'reach') return { type: 'reach', sender, sentAt: v.sentAt, record: fromHex(v.record!) }
  return { type: 'intro', sender, sentAt: v.sentAt, displayName: v.displayName!, relays: v.relays! }
}

interface GoldenFrame {
  type: string
  envelopes?: string[]
  nonce?: number
  sentAt?: number
  reason?: string
  announcement?: string
  record?: string
  receipt?: string
  metric?: number
  ids?: string[]
}

function toLinkFrame(v: GoldenFrame): LinkFrame {
  switch (v.type) {
    case 'envelopes':
      return { type: 'envelopes', envelopes: v.envelopes!.map(fromHex) }
    case 'ping':
    case 'pong':
      return { type: v.type, nonce: v.nonce!, sentAt: v.sentAt! }
    case 'announce':
      return { type: 'announce', announcement: fromHex(v.announcement!), metric: v.metric! }
    case 'ack':
      return { type: 'ack', ids: v.ids!.map(fromHex) }
    case 'refuse':
      return { type: 'refuse', reason: v.reason as RefuseReason, ids: v.ids!.map(fromHex) }
    case 'reach':
      return { type: 'reach', record: fromHex(v.record!) }
    case 'custody':
      return { type: 'custody', receipt: fromHex(v.receipt!) }
    default:
      return { type: 'close', reason: v.reason as CloseReason }
  }
}

describe('golden vectors', () => {
  it('covers every format and every link frame variant', () => {
    expect(golden.envelopes.length).toBeGreaterThanOrEqual(4)
    expect(new Set(golden.envelopes.map((v) => v.attempt))).toEqual(new Set([0, 3, 255]))
    expect(new Set(golden.messageBodies.map((v) => v.value.type))).toEqual(new Set(['text', 'intro', 'reach']))
    expect(new Set(golden.linkFrames.map((v) => v.value.type))).toEqual(new Set(['envelopes', 'ping', 'pong', 'close', 'announce', 'ack', 'refuse', 'reach', 'custody']))
  })

  for (const vector of golden.envelopes) {
    it(`envelope: ${vector.name}`, () => {
      const envelope = toEnvelope(vector)
      expect(toHex(encodeEnvelope(envelope))).toBe(vector.encoded)
      expect(toHex(envelopeAssociatedData(envelope.header))).toBe(vector.associatedData)
      expect(decodeEnvelope(fromHex(vector.encoded))).toEqual(envelope)
    })
  }

  for (const vector of golden.messageBodies) {
    it(`message body: ${vector.name}`, () => {
      const body = toMessageBody(vector.value)
      expect(toHex(encodeMessageBody(body))).toBe(vector.encoded)
      expect(decodeMessageBody(fromHex(vector.encoded))).toEqual(body)
    })
  }

  for (const vector of golden.linkFrames) {
    it(`link frame: ${vector.name}`, () => {
      const frame = toLinkFrame(vector.value)
      expect(toHex(encodeLinkFrame(frame))).toBe(vector.encoded)
      expect(decodeLinkFrame(fromHex(vector.encoded))).toEqual(frame)
    })
  }

  it('a retry vector shares the associated data and sealed body of its first attempt', () => {
    const first = golden.envelopes.find((v) => v.name.startsWith('130-byte'))!
    const retry = golden.envelopes.find((v) => v.name.startsWith('retry of'))!
    expect(retry.associatedData).toBe(first.associatedData)
    expect(retry.body).toBe(first.body)
    expect(toHex(withAttempt(decrementTtl(fromHex(first.encoded)), retry.attempt))).toBe(retry.encoded)
  })

  it('batched envelopes inside a golden frame decode as golden envelopes', () => {
    const frame = decodeLinkFrame(fromHex(golden.linkFrames[0]!.encoded))
    if (frame.type !== 'envelopes') throw new Error('expected an envelopes frame')
    expect(decodeEnvelope(frame.envelopes[0]!)).toEqual(toEnvelope(golden.envelopes[0]!))
  })

  it('every bit flip and every truncation of every vector is typed (or a different canonical value)', () => {
    const formats: [string[], (b: Uint8Array) => unknown, (v: never) => Uint8Array][] = [
      [golden.envelopes.map((v) => v.encoded), decodeEnvelope, encodeEnvelope],
      [golden.messageBodies.map((v) => v.encoded), decodeMessageBody, encodeMessageBody],
      [golden.linkFrames.map((v) => v.encoded), decodeLinkFrame, encodeLinkFrame],
    ]
    for (const [vectors, decode, encode] of formats) {
      for (const hex of vectors) {
        const bytes = fromHex(hex)
        for (let bit = 0; bit < bytes.length * 8; bit++) {
          expectTypedOrCanonical(flipBit(bytes, bit), decode, encode as (v: unknown) => Uint8Array)
        }
        for (let cut = 0; cut < bytes.length; cut++) expectTypedError(() => decode(bytes.subarray(0, cut)))
      }
    }
  })
})

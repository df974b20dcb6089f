/** Fixtures shared by the forwarder tests: fake hops and envelopes with readable ids. */
import { toHex } from '../../bytes.ts'
import { decodeEnvelope, encodeEnvelope } from '../../wire/index.ts'
import type { Hop } from '../forwarder.ts'

export const key = (n: number): Uint8Array => new Uint8Array(32).fill(n)
export const SELF = key(1)
export const [A, B, C, U, V] = [2, 3, 4, 5, 6].map((n) => toHex(key(n))) as [string, string, string, string, string]
export const T0 = 1_700_000_000_000

export interface FakeHop extends Hop {
  readonly sent: Uint8Array[]
}
export const hop = (kind: Hop['kind']): FakeHop => {
  const sent: Uint8Array[] = []
  return { kind, sent, send: (envelopes) => void sent.push(...envelopes) }
}

export interface EnvelopeOptions {
  readonly id?: number
  readonly ttl?: number
  readonly attempt?: number
  readonly expiresAt?: number
}

let seq = 0
/** An envelope to `to` (a hex key), with a fresh id unless `id` is given. The body is opaque here. */
export function envelope(to: string | Uint8Array, opts: EnvelopeOptions = {}): Uint8Array {
  const id = new Uint8Array(16)
  new DataView(id.buffer).setUint32(0, opts.id ?? ++seq)
  const destination = typeof to === 'string' ? Uint8Array.from(to.match(/../g)!, (h) => parseInt(h, 16)) : to
  return encodeEnvelope({
    header: { version: 2, id, destination, ttl: opts.ttl ?? 8, attempt: opts.attempt ?? 0, expiresAt: opts.expiresAt ?? T0 + 60_000 },
    body: Uint8Array.of(0xaa, 0xbb),
  })
}
export const idOf = (bytes: Uint8Array): string => toHex(decodeEnvelope(bytes).header.id)
export const ttlOf = (bytes: Uint8Array): number => decodeEnvelope(bytes).header.ttl
export const attemptOf = (bytes: Uint8Array): number => decodeEnvelope(bytes).header.attempt
/** A transmission: the id and attempt that a seen-cache keys on. */
export const sendOf = (bytes: Uint8Array): string => `${idOf(bytes)}:${attemptOf(bytes)}`

/**
 * WebRTC signalling messages (offer, answer, candidate) and the signaller that
 * carries them; the engine sends them as end-to-end encrypted messages.
 * Layout: version u8 | type u8 | session id 8 | then per type (see encode).
 */
import { fromHex, toHex } from '../bytes.ts'
import { byteReader } from '../wire/byteReader.ts'
import { byteWriter } from '../wire/byteWriter.ts'
import { MalformedError, UnknownFrameTypeError, UnsupportedVersionError } from '../wire/errors.ts'

export type RtcSignal =
  | { readonly type: 'offer' | 'answer'; readonly session: string; readonly sdp: string }
  | { readonly type: 'candidate'; readonly session: string; readonly candidate: string; readonly mid: string }

/**
 * Carries signals to and from other peers. The engine implements it over
 * end-to-end encrypted messages (with `encodeRtcSignal`/`decodeRtcSignal`), so
 * `peerId` is authenticated by the session layer, not by this transport.
 */
export interface RtcSignaller {
  send(peerId: string, signal: RtcSignal): void
  onSignal(handler: (peerId: string, signal: RtcSignal) => void): void
}

export const RTC_SIGNAL_VERSION = 1
/** A data-channel-only description with a few host candidates is ~0.5-1.5 KB. */
export const MAX_SDP_BYTES = 16 * 1024
export const MAX_CANDIDATE_BYTES = 1024
export const MAX_MID_BYTES = 64
export const SESSION_ID_BYTES = 8
/** Largest encoded signal: fits one end-to-end message with room to spare. */
export const MAX_RTC_SIGNAL_BYTES = 2 + SESSION_ID_BYTES + 3 + MAX_SDP_BYTES

const TYPE_OFFER = 1
const TYPE_ANSWER = 2
const TYPE_CANDIDATE = 3
export const SESSION_ID = /^[0-9a-f]{16}$/

/** Throws `MalformedError` for a value the decoder would refuse. */
export function encodeRtcSignal(signal: RtcSignal): Uint8Array {
  if (typeof signal.session !== 'string' || !SESSION_ID.test(signal.session)) {
    throw new MalformedError(`rtc signal session must be ${SESSION_ID_BYTES * 2} lowercase hex digits`)
  }
  const w = byteWriter(64)
  w.u8(RTC_SIGNAL_VERSION, 'rtc signal version')
  if (signal.type === 'offer' || signal.type === 'answer') {
    w.u8(signal.type === 'offer' ? TYPE_OFFER : TYPE_ANSWER, 'rtc signal type')
    w.bytes(fromHex(signal.session), 'rtc signal session', SESSION_ID_BYTES)
    w.utf8(signal.sdp, 'rtc signal sdp', 1, MAX_SDP_BYTES)
  } else if (signal.type === 'candidate') {
    w.u8(TYPE_CANDIDATE, 'rtc signal type')
    w.bytes(fromHex(signal.session), 'rtc signal session', SESSION_ID_BYTES)
    w.utf8(signal.candidate, 'rtc signal candidate', 1, MAX_CANDIDATE_BYTES)
    w.utf8(signal.mid, 'rtc signal mid', 1, MAX_MID_BYTES)
  } else {
    throw new MalformedError('rtc signal type is unknown')
  }
  return w.finish()
}

/** Throws `UnsupportedVersionError`, `UnknownFrameTypeError` or `MalformedError`. */
export function decodeRtcSignal(bytes: Uint8Array): RtcSignal {
  if (bytes.length > MAX_RTC_SIGNAL_BYTES) throw new MalformedError(`rtc signal of ${bytes.length} bytes is too large`)
  const r = byteReader(bytes)
  const version = r.u8('rtc signal version')
  if (version !== RTC_SIGNAL_VERSION) throw new UnsupportedVersionError('rtc signal', version)
  const tag = r.u8('rtc signal type')
  let signal: RtcSignal
  if (tag === TYPE_OFFER || tag === TYPE_ANSWER) {
    const session = toHex(r.bytes(SESSION_ID_BYTES, 'rtc signal session'))
    const sdp = r.utf8('rtc signal sdp', 1, MAX_SDP_BYTES)
    signal = { type: tag === TYPE_OFFER ? 'offer' : 'answer', session, sdp }
  } else if (tag === TYPE_CANDIDATE) {
    const session = toHex(r.bytes(SESSION_ID_BYTES, 'rtc signal session'))
    const candidate = r.utf8('rtc signal candidate', 1, MAX_CANDIDATE_BYTES)
    const mid = r.utf8('rtc signal mid', 1, MAX_MID_BYTES)
    signal = { type: 'candidate', session, candidate, mid }
  } else {
    throw new UnknownFrameTypeError('rtc signal', tag)
  }
  r.end('rtc signal')
  return signal
}

/** An in-process signalling hub for tests: every signal goes through the codec, one microtask later. */
export interface MemorySignalling {
  /** The signaller of `peerId`; signals to a peer that has none are dropped. */
  signaller(peerId: string): RtcSignaller
}

export function createMemorySignalling(): MemorySignalling {
  const handlers = new Map<string, (peerId: string, signal: RtcSignal) => void>()
  return {
    signaller(selfId: string): RtcSignaller {
      return {
        send(peerId: string, signal: RtcSignal): void {
          const bytes = encodeRtcSignal(signal)
          void Promise.resolve().then(() => handlers.get(peerId)?.(selfId, decodeRtcSignal(bytes)))
        },
        onSignal(handler): void {
          handlers.set(selfId, handler)
        },
      }
    },
  }
}

/** What a host's peer connection reports. Never called synchronously from the factory. */

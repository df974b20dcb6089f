/**
 * The contracts around a WebRTC link: the host's peer connection (`RtcPeer`,
 * made by an `RtcPeerFactory`: node-datachannel in Node, the page's bridge in a
 * browser worker) and the transport built on it.
 */
import type { Clock } from '../ports/clock.ts'
import type { Random } from '../ports/random.ts'
import type { Link, Listener, Transport } from '../ports/transport.ts'
import type { RtcSignaller } from './rtcSignal.ts'

export interface RtcPeerEvents {
  /** The local offer or answer, complete with its ICE candidates, for the remote peer. */
  description(type: 'offer' | 'answer', sdp: string): void
  /** The 'sovereign' data channel opened. */
  open(): void
  /** A binary message arrived (a buffer the receiver may keep). */
  message(bytes: Uint8Array): void
  /** A text message arrived: the remote's close notice, or a protocol violation. */
  text(text: string): void
  /** The channel or connection closed or failed without a local `close`. At most once. */
  closed(reason: string): void
}

/** One host peer connection and its single ordered, reliable 'sovereign' data channel. */
export interface RtcPeer {
  /** The offer (answering side) or the answer (offering side); a bad one ends the peer via `closed`. */
  remoteDescription(type: 'offer' | 'answer', sdp: string): void
  remoteCandidate(candidate: string, mid: string): void
  send(bytes: Uint8Array): void
  bufferedAmount(): number
  /**
   * Tears down; no events follow. With `notice`, first sends it as a text message
   * behind the queued data and waits (bounded) for the remote to close.
   */
  close(notice?: string): void
}

export interface RtcPeerInit {
  /** Creates the data channel and the offer; otherwise waits for an offer. */
  readonly initiator: boolean
  /** For the host's logs; never an identity. */
  readonly label: string
}

export type RtcPeerFactory = (init: RtcPeerInit, events: RtcPeerEvents) => RtcPeer

/** The data channel's label on both sides. */
export const RTC_CHANNEL_LABEL = 'sovereign'

export interface SignalledRtcTransportInit {
  readonly signaller: RtcSignaller
  /** This peer's id (lowercase hex); peers compare ids to settle glare. */
  readonly selfId: string
  readonly createPeer: RtcPeerFactory
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>
  readonly random: Random
  /** A dial that has not opened after this long rejects with `DialError`. Default 10 s. */
  readonly dialTimeoutMs?: number
}

/**
 * WebRTC links addressed by peer id: `dial('rtc:<peer id hex>')`, and
 * `listen('rtc:')` for links that peers dial to us.
 *
 * Glare: when both peers dial each other at once, the lower peer id (compared
 * as lowercase hex, i.e. as bytes) is the offerer. The higher peer drops its
 * own pending offer, answers the lower one's, and its dial resolves with that
 * connection; the lower peer ignores the higher one's offer. A dial to a peer
 * whose offer we are already answering joins that connection. Either way both
 * dials resolve with the two ends of one link, and neither listener sees it.
 * Keep one dial per peer at a time (as peerLink does).
 */
/** Per-dial options. */
export interface RtcDialInit {
  /**
   * This dial's deadline instead of the transport's `dialTimeoutMs`: a caller
   * that expects no answer (a probe of a peer that may be gone) need not wait
   * as long as a dial that should open on a busy device.
   */
  readonly timeoutMs?: number
}

export interface RtcTransport extends Transport {
  dial(address: string, init?: RtcDialInit): Promise<Link>
  listen(address: string, onLink: (link: Link) => void): Promise<Listener>
  /** Closes every link and pending dial; signals are ignored from then on. */
  close(): void
}

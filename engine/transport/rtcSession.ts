/**
 * The bookkeeping shapes and limits of the signalled WebRTC transport
 * (rtcSignalling.ts): a dial (`Waiter`), one connection attempt (`Session`),
 * the `rtc:<peer id>` address and the close notice.
 */
import type { TimerHandle } from '../ports/clock.ts'
import type { Link } from '../ports/transport.ts'
import type { LinkCore } from './linkCore.ts'
import type { RtcPeer } from './rtcPeer.ts'

export const SCHEME = 'rtc:'
export const PEER_ID = /^[0-9a-f]{2,128}$/
/** Offers from one peer being answered at once, and in all, before more are ignored. */
export const MAX_OPENING_PER_PEER = 4
export const MAX_OPENING = 64
/** The close notice: a text message, as link data is binary only. */
export const CLOSE_PREFIX = 'close:'
export const MAX_REASON_CHARS = 200
/**
 * Offers one dial makes before it gives up early. libdatachannel now and then
 * refuses a well-formed answer ("Got a remote candidate without ICE
 * transport": its connection was already closed inside), about once in 250
 * opens on a quiet machine and far more often on a loaded one, while the test
 * suite opens and closes many at once; a fresh offer then succeeds. The dial's
 * deadline still bounds them all, and the peer answers at most
 * MAX_OPENING_PER_PEER of them at once, so more attempts would go unanswered.
 */
export const MAX_DIAL_ATTEMPTS = 4
/**
 * Pause before the n-th fresh offer: RETRY_BASE_MS × 2^(n-1). The refusals come
 * in runs while other connections of the process are closing (reproduced with
 * node-datachannel on a loaded machine: closing one connected pair while the next
 * negotiates); immediate retries fell into the same run four times in a row.
 */
export const RETRY_BASE_MS = 25

export interface Waiter {
  readonly resolve: (link: Link) => void
  readonly reject: (err: Error) => void
  timer: TimerHandle
  session: Session | undefined
  settled: boolean
  /** Offers made for this dial so far. */
  attempts: number
  /** Set while the dial waits to make its next offer. */
  retry: TimerHandle | undefined
}

export interface Session {
  readonly key: string
  readonly peerId: string
  readonly id: string
  readonly initiator: boolean
  peer: RtcPeer | undefined
  core: LinkCore | undefined
  /** A dial that resolves when this session opens. */
  waiter: Waiter | undefined
  /** Answering an offer: the link goes to the listener unless a dial claims it. */
  readonly inbound: boolean
  answered: boolean
  /** Deadline of an inbound session that nobody dialled. */
  timer: TimerHandle | undefined
  ended: boolean
}

export interface ListenEntry {
  readonly onLink: (link: Link) => void
}

export function parseAddress(address: string): string | undefined {
  if (typeof address !== 'string' || !address.startsWith(SCHEME)) return undefined
  const peerId = address.slice(SCHEME.length).toLowerCase()
  return PEER_ID.test(peerId) ? peerId : undefined
}

export function closeNotice(reason: string): string {
  return CLOSE_PREFIX + reason.slice(0, MAX_REASON_CHARS)
}

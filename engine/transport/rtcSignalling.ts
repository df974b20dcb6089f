/**
 * WebRTC links whose signalling travels end-to-end encrypted through the mesh
 * (DESIGN.md §2). This file is host-free: the signal types and their codec, a
 * tiny in-memory signaller for tests, and the session logic every WebRTC host
 * shares (who offers, glare, deadlines, close notices), written once on top of
 * an abstract peer connection (`RtcPeerFactory`). Node implements the peer
 * with node-datachannel (native/node/rtcTransport.ts); a browser worker with
 * the main-thread bridge (workers/rtcTransport.ts, workers/rtcBridge.ts).
 *
 * Signals carry complete descriptions: a host sends its offer or answer once
 * ICE gathering is done, with every candidate inside. Without STUN or TURN
 * servers gathering takes a few milliseconds, and one message each way cannot
 * be reordered by the mesh (which may deliver out of order), where trickled
 * candidates could overtake their offer. `candidate` signals are still
 * accepted, for a peer that trickles.
 *
 * Signal layout (big-endian):
 *
 *   version  u8  = 1
 *   type     u8  1 = offer, 2 = answer, 3 = candidate
 *   session  8 bytes (random; names one connection attempt)
 *   offer/answer: sdp       utf8, 1..MAX_SDP_BYTES
 *   candidate:    candidate utf8, 1..MAX_CANDIDATE_BYTES; mid utf8, 1..MAX_MID_BYTES
 */
import type { Link, Listener } from '../ports/transport.ts'
import { AddressInUseError, DialError, InvalidAddressError } from './errors.ts'
import { MAX_MESSAGE_BYTES, createLinkCore } from './linkCore.ts'
import { toHex } from '../bytes.ts'
import { SESSION_ID, SESSION_ID_BYTES } from './rtcSignal.ts'
import type { RtcSignal } from './rtcSignal.ts'
import { RTC_CHANNEL_LABEL } from './rtcPeer.ts'
import type { RtcDialInit, RtcPeer, RtcTransport, SignalledRtcTransportInit } from './rtcPeer.ts'
import {
  CLOSE_PREFIX,
  closeNotice,
  MAX_DIAL_ATTEMPTS,
  MAX_OPENING,
  MAX_OPENING_PER_PEER,
  MAX_REASON_CHARS,
  parseAddress,
  PEER_ID,
  RETRY_BASE_MS,
  SCHEME,
} from './rtcSession.ts'
import type { ListenEntry, Session, Waiter } from './rtcSession.ts'

export {
  createMemorySignalling,
  decodeRtcSignal,
  encodeRtcSignal,
  MAX_CANDIDATE_BYTES,
  MAX_MID_BYTES,
  MAX_RTC_SIGNAL_BYTES,
  MAX_SDP_BYTES,
  RTC_SIGNAL_VERSION,
  SESSION_ID_BYTES,
} from './rtcSignal.ts'
export type { MemorySignalling, RtcSignal, RtcSignaller } from './rtcSignal.ts'

export { RTC_CHANNEL_LABEL } from './rtcPeer.ts'
export type { RtcDialInit, RtcPeer, RtcPeerEvents, RtcPeerFactory, RtcPeerInit, RtcTransport, SignalledRtcTransportInit } from './rtcPeer.ts'

export function createSignalledRtcTransport(init: SignalledRtcTransportInit): RtcTransport {
  const { signaller, createPeer, clock, random } = init
  const selfId = init.selfId.toLowerCase()
  if (!PEER_ID.test(selfId)) throw new TypeError('selfId must be a hex peer id')
  const dialTimeoutMs = init.dialTimeoutMs ?? 10_000
  const sessions = new Map<string, Session>()
  const accepted = new Set<Session>()
  let listening: ListenEntry | undefined
  let stopped = false
  /** Dials between a failed offer and their next one, by peer id. */
  const retrying = new Map<string, Waiter>()

  function newSessionId(peerId: string): string {
    for (;;) {
      const id = toHex(random.bytes(SESSION_ID_BYTES))
      if (!sessions.has(`${peerId}/${id}`)) return id
    }
  }

  function startSession(peerId: string, id: string, initiator: boolean): Session {
    const s: Session = {
      key: `${peerId}/${id}`,
      peerId,
      id,
      initiator,
      peer: undefined,
      core: undefined,
      waiter: undefined,
      inbound: !initiator,
      answered: false,
      timer: undefined,
      ended: false,
    }
    sessions.set(s.key, s)
    s.peer = createPeer({ initiator, label: `rtc:${id}` }, {
      description(type, sdp): void {
        if (s.ended) return
        try {
          signaller.send(peerId, { type, session: id, sdp })
        } catch {
          endSession(s, 'signalling failed')
        }
      },
      open: () => openSession(s),
      message(bytes): void {
        if (s.ended || !s.core) return
        if (bytes.length > MAX_MESSAGE_BYTES) endSession(s, 'protocol: message too large', true)
        else s.core.receive(bytes)
      },
      text(text): void {
        if (s.ended) return
        if (text.startsWith(CLOSE_PREFIX)) endSession(s, text.slice(CLOSE_PREFIX.length, CLOSE_PREFIX.length + MAX_REASON_CHARS))
        else endSession(s, 'protocol: text message', true)
      },
      closed: (reason) => failed(s, reason),
    })
    return s
  }

  /** Stops tracking `s` and releases its timers; the peer itself is closed by the caller. */
  function forget(s: Session): void {
    s.ended = true
    if (s.timer !== undefined) clock.clearTimeout(s.timer)
    s.timer = undefined
    if (sessions.get(s.key) === s) sessions.delete(s.key)
    accepted.delete(s)
  }

  /**
   * Ends `s` for a reason that is not a local `Link.close`: a remote close, a
   * failure, a deadline. `notify` sends the reason to the remote first.
   */
  function endSession(s: Session, reason: string, notify = false): void {
    if (s.ended) return
    forget(s)
    if (s.core) s.core.ended(reason)
    const waiter = s.waiter
    if (waiter && settle(waiter)) waiter.reject(new DialError(`rtc connection failed (${reason})`))
    s.peer?.close(notify ? closeNotice(reason) : undefined)
  }

  /**
   * The peer failed or closed before it opened: a dial that has time and
   * attempts left makes a fresh offer, also when it was riding on the peer's
   * offer after glare (the peer's own dial retries too; glare settles again).
   */
  function failed(s: Session, reason: string): void {
    const waiter = s.waiter
    if (s.ended || s.core || !waiter || stopped || waiter.attempts >= MAX_DIAL_ATTEMPTS) {
      endSession(s, reason)
      return
    }
    s.waiter = undefined
    endSession(s, reason)
    waiter.session = undefined
    const peerId = s.peerId
    retrying.set(peerId, waiter)
    waiter.retry = clock.setTimeout(() => {
      waiter.retry = undefined
      if (retrying.get(peerId) === waiter) retrying.delete(peerId)
      if (!waiter.settled && !stopped) attach(waiter, startSession(peerId, newSessionId(peerId), true))
    }, RETRY_BASE_MS * 2 ** (waiter.attempts - 1))
  }

  /** Takes the dial that waits to offer `peerId` again, if any, cancelling its next offer. */
  function takeRetrying(peerId: string): Waiter | undefined {
    const waiter = retrying.get(peerId)
    if (!waiter) return undefined
    retrying.delete(peerId)
    if (waiter.retry !== undefined) clock.clearTimeout(waiter.retry)
    waiter.retry = undefined
    return waiter.settled ? undefined : waiter
  }

  function attach(waiter: Waiter, s: Session): void {
    if (s.timer !== undefined) clock.clearTimeout(s.timer)
    s.timer = undefined
    s.waiter = waiter
    waiter.session = s
    if (s.initiator) waiter.attempts++
  }

  /** Clears the waiter's deadline and detaches it from its session; false if it was settled already. */
  function settle(waiter: Waiter): boolean {
    if (waiter.settled) return false
    waiter.settled = true
    clock.clearTimeout(waiter.timer)
    if (waiter.retry !== undefined) clock.clearTimeout(waiter.retry)
    waiter.retry = undefined
    if (waiter.session?.waiter === waiter) waiter.session.waiter = undefined
    return true
  }

  function openSession(s: Session): void {
    if (s.ended || s.core) return
    if (s.timer !== undefined) clock.clearTimeout(s.timer)
    s.timer = undefined
    const peer = s.peer!
    const core = createLinkCore({
      label: `rtc:${s.id}`,
      send: (bytes) => peer.send(bytes),
      close: (reason) => peer.close(closeNotice(reason)),
      bufferedAmount: () => peer.bufferedAmount(),
      onEnded: () => forget(s),
    })
    s.core = core
    const waiter = s.waiter
    if (waiter && settle(waiter)) {
      waiter.resolve(core.link)
      return
    }
    const entry = listening
    if (!s.inbound || !entry) {
      core.link.close('nobody accepts the link')
      return
    }
    accepted.add(s)
    try {
      entry.onLink(core.link)
    } catch {
      core.link.close('listener refused the link')
    }
  }

  function openingFrom(peerId: string): Session[] {
    const out: Session[] = []
    for (const s of sessions.values()) if (s.peerId === peerId && !s.core) out.push(s)
    return out
  }

  /** The dial, if any, that the peer's new offer should carry instead of the listener. */
  function dialForOffer(peerId: string, opening: readonly Session[]): Waiter | 'ignore' | undefined {
    // Our dial is between two offers of its own: the peer's offer will do (no glare to settle).
    const pending = takeRetrying(peerId)
    if (pending) return pending
    // Our dial rides on an earlier offer of theirs (glare): a fresh offer means they gave that one up.
    const riding = opening.find((s) => !s.initiator && s.waiter)
    if (riding) {
      const waiter = riding.waiter
      riding.waiter = undefined
      endSession(riding, 'superseded by a fresh offer')
      return waiter
    }
    const dialling = opening.find((s) => s.initiator && s.waiter)
    if (!dialling) return undefined
    // Glare: the lower id offers. We are lower: the peer answers our offer.
    if (selfId < peerId) return 'ignore'
    // We are higher: drop our offer and let our dial ride on the peer's.
    const waiter = dialling.waiter
    dialling.waiter = undefined
    endSession(dialling, 'glare: answering the peer offer')
    return waiter
  }

  function onOffer(peerId: string, session: string, sdp: string): void {
    const opening = openingFrom(peerId)
    const found = dialForOffer(peerId, opening)
    if (found === 'ignore') return
    const waiter = found
    if (!waiter) {
      if (!listening) return
      if (opening.length >= MAX_OPENING_PER_PEER) return
      let total = 0
      for (const s of sessions.values()) if (!s.core) total++
      if (total >= MAX_OPENING) return
    }
    const s = startSession(peerId, session, false)
    if (waiter) {
      attach(waiter, s)
    } else {
      s.timer = clock.setTimeout(() => endSession(s, 'timed out'), dialTimeoutMs)
    }
    applyRemote(s, (peer) => peer.remoteDescription('offer', sdp))
  }

  function applyRemote(s: Session, apply: (peer: RtcPeer) => void): void {
    try {
      apply(s.peer!)
    } catch {
      failed(s, 'bad remote description')
    }
  }

  signaller.onSignal((from, signal) => {
    if (stopped || typeof from !== 'string' || typeof signal !== 'object' || signal === null) return
    const peerId = from.toLowerCase()
    if (!PEER_ID.test(peerId) || peerId === selfId || typeof signal.session !== 'string') return
    const s = sessions.get(`${peerId}/${signal.session}`)
    if (signal.type === 'offer') {
      if (!s && SESSION_ID.test(signal.session) && typeof signal.sdp === 'string') onOffer(peerId, signal.session, signal.sdp)
    } else if (signal.type === 'answer') {
      if (!s || !s.initiator || s.answered || typeof signal.sdp !== 'string') return
      s.answered = true
      applyRemote(s, (peer) => peer.remoteDescription('answer', signal.sdp))
    } else if (signal.type === 'candidate') {
      if (s && typeof signal.candidate === 'string' && typeof signal.mid === 'string') {
        applyRemote(s, (peer) => peer.remoteCandidate(signal.candidate, signal.mid))
      }
    }
  })

  return {
    dial(address: string, dialInit: RtcDialInit = {}): Promise<Link> {
      const timeoutMs = dialInit.timeoutMs ?? dialTimeoutMs
      return new Promise((resolve, reject) => {
        if (stopped) return reject(new DialError('rtc transport is closed'))
        const peerId = parseAddress(address)
        if (peerId === undefined) return reject(new DialError('not an rtc:<peer id> address'))
        if (peerId === selfId) return reject(new DialError('cannot dial oneself'))
        const waiter: Waiter = { resolve, reject, timer: undefined, session: undefined, settled: false, attempts: 0, retry: undefined }
        waiter.timer = clock.setTimeout(() => {
          const session = waiter.session
          if (!settle(waiter)) return
          reject(new DialError(`rtc peer did not connect within ${timeoutMs} ms`))
          if (session && !session.core) endSession(session, 'timed out')
        }, timeoutMs)
        // The peer dialled us first and we are answering: this dial joins that connection.
        const answering = openingFrom(peerId).find((s) => s.inbound && !s.waiter)
        attach(waiter, answering ?? startSession(peerId, newSessionId(peerId), true))
      })
    },

    async listen(address: string, onLink: (link: Link) => void): Promise<Listener> {
      if (address !== SCHEME && address !== `${SCHEME}${selfId}`) throw new InvalidAddressError('listen takes "rtc:"')
      if (stopped) throw new InvalidAddressError('rtc transport is closed')
      if (listening) throw new AddressInUseError('rtc: already has a listener')
      const entry: ListenEntry = { onLink }
      listening = entry
      return {
        address: `${SCHEME}${selfId}`,
        async close(): Promise<void> {
          if (listening !== entry) return
          listening = undefined
          for (const s of [...accepted]) s.core?.link.close('listener closed')
          for (const s of [...sessions.values()]) if (s.inbound && !s.core && !s.waiter) endSession(s, 'listener closed')
        },
      }
    },

    close(): void {
      if (stopped) return
      stopped = true
      listening = undefined
      for (const waiter of retrying.values()) if (settle(waiter)) waiter.reject(new DialError('rtc transport is closed'))
      retrying.clear()
      for (const s of [...sessions.values()]) {
        if (s.core) s.core.link.close('transport closed')
        else endSession(s, 'transport closed')
      }
    },
  }
}

/**
 * The main-thread half of WebRTC for the engine worker. Chromium offers
 * RTCPeerConnection only on the main thread (DESIGN.md §1), so the page owns
 * the peer connections and the worker (`createBridgedRtcTransport` in
 * workers/rtcTransport.ts) drives them over a MessagePort. The page decides
 * nothing: sessions, glare, deadlines and close reasons live in the worker.
 *
 * Each side posts arrays of commands or events (DESIGN.md §8: a packed
 * postMessage costs far less per message than one post each), with the
 * ArrayBuffers of the data transferred, not copied: the worker flushes at the
 * end of its current task (sends come in synchronous bursts), the page on the
 * next task or at 64 items (messages arrive one task each).
 */
import { RTC_CHANNEL_LABEL } from '../engine/transport/rtcSignalling.ts'

/** Worker → page. `id` names one peer connection; ids are never reused. */
export type RtcBridgeCommand =
  | { readonly type: 'create'; readonly id: number; readonly initiator: boolean }
  | { readonly type: 'description'; readonly id: number; readonly kind: 'offer' | 'answer'; readonly sdp: string }
  | { readonly type: 'candidate'; readonly id: number; readonly candidate: string; readonly mid: string }
  | { readonly type: 'send'; readonly id: number; readonly data: ArrayBuffer[] }
  /** Tear down; with `notice`, send it as text behind the queued data and wait for the remote to hang up. */
  | { readonly type: 'close'; readonly id: number; readonly notice?: string }

/** Page → worker. Nothing follows 'closed' for an id, nor anything after the worker's 'close'. */
export type RtcBridgeEvent =
  | { readonly type: 'description'; readonly id: number; readonly kind: 'offer' | 'answer'; readonly sdp: string }
  | { readonly type: 'open'; readonly id: number }
  | { readonly type: 'message'; readonly id: number; readonly data: ArrayBuffer[] }
  | { readonly type: 'text'; readonly id: number; readonly text: string }
  /** `consumed`: bytes of 'send' taken so far; `amount`: the channel's bufferedAmount. */
  | { readonly type: 'buffered'; readonly id: number; readonly consumed: number; readonly amount: number }
  | { readonly type: 'closed'; readonly id: number; readonly reason: string }

export interface RtcBridgeInit {
  /** STUN/TURN servers. Default none. */
  readonly iceServers?: RTCIceServer[]
}

/** How long a closing side waits for the peer to read the close notice and hang up. */
const CLOSE_GRACE_MS = 2_000
/** Sends what gathered so far if ICE gathering has not completed by then. */
const GATHER_LIMIT_MS = 3_000
/**
 * Events wait for the next task (each channel message is a task of its own, so
 * a microtask would post them one by one) unless this many are queued.
 */
const FLUSH_AT = 64
/** While a channel holds unsent bytes, its bufferedAmount is reported this often. */
const BUFFERED_POLL_MS = 20

interface BridgePeer {
  readonly id: number
  readonly pc: RTCPeerConnection
  channel: RTCDataChannel | undefined
  /** Remote description and candidates are applied in order, one at a time. */
  ops: Promise<void>
  consumed: number
  reportedAmount: number
  closing: boolean
  grace: ReturnType<typeof setTimeout> | undefined
}

/**
 * Serves the worker's WebRTC over `port` (the page's end of a MessageChannel
 * whose other end went to the worker). Returns a function that closes every
 * peer connection and the port.
 */
export function attachRtcBridge(port: MessagePort, init: RtcBridgeInit = {}): () => void {
  const peers = new Map<number, BridgePeer>()
  let outbox: RtcBridgeEvent[] = []
  let transfers: ArrayBuffer[] = []
  let flushTimer: ReturnType<typeof setTimeout> | undefined
  let poll: ReturnType<typeof setTimeout> | undefined
  let detached = false

  function emit(event: RtcBridgeEvent, transfer?: ArrayBuffer): void {
    if (detached) return
    const last = outbox[outbox.length - 1]
    if (transfer && event.type === 'message' && last?.type === 'message' && last.id === event.id) {
      last.data.push(transfer)
    } else {
      outbox.push(event)
    }
    if (transfer) transfers.push(transfer)
    if (outbox.length + transfers.length >= FLUSH_AT) flush()
    else if (flushTimer === undefined) flushTimer = setTimeout(flush, 0)
  }

  function flush(): void {
    if (flushTimer !== undefined) clearTimeout(flushTimer)
    flushTimer = undefined
    if (outbox.length === 0 || detached) return
    const events = outbox
    const moved = transfers
    outbox = []
    transfers = []
    port.postMessage(events, moved)
  }

  function report(peer: BridgePeer): void {
    const amount = peer.channel?.bufferedAmount ?? 0
    peer.reportedAmount = amount
    emit({ type: 'buffered', id: peer.id, consumed: peer.consumed, amount })
    if (amount > 0 && poll === undefined) poll = setTimeout(pollBuffered, BUFFERED_POLL_MS)
  }

  function pollBuffered(): void {
    poll = undefined
    for (const peer of peers.values()) {
      if (!peer.closing && (peer.reportedAmount > 0 || (peer.channel?.bufferedAmount ?? 0) > 0)) report(peer)
    }
  }

  /** The peer ended on its own: tell the worker, then let go. */
  function end(peer: BridgePeer, reason: string): void {
    if (peers.get(peer.id) !== peer) return
    if (!peer.closing) emit({ type: 'closed', id: peer.id, reason })
    teardown(peer)
  }

  function teardown(peer: BridgePeer): void {
    if (peers.get(peer.id) === peer) peers.delete(peer.id)
    if (peer.grace !== undefined) clearTimeout(peer.grace)
    peer.channel?.close()
    peer.pc.close()
  }

  function wire(peer: BridgePeer, channel: RTCDataChannel): void {
    peer.channel = channel
    channel.binaryType = 'arraybuffer'
    channel.onopen = () => {
      if (!peer.closing) emit({ type: 'open', id: peer.id })
    }
    channel.onmessage = (event: MessageEvent) => {
      if (peer.closing || peers.get(peer.id) !== peer) return
      const data: unknown = event.data
      if (typeof data === 'string') emit({ type: 'text', id: peer.id, text: data })
      else if (data instanceof ArrayBuffer) emit({ type: 'message', id: peer.id, data: [data] }, data)
      else end(peer, 'protocol: unexpected data type')
    }
    channel.onclose = () => end(peer, 'connection closed')
    if (channel.readyState === 'open') emit({ type: 'open', id: peer.id })
  }

  /** Sets the local description, waits for ICE gathering, and sends the description with its candidates. */
  async function describe(peer: BridgePeer): Promise<void> {
    const { pc } = peer
    await pc.setLocalDescription()
    await gathered(pc)
    const local = pc.localDescription
    if (!local || (local.type !== 'offer' && local.type !== 'answer')) throw new Error('no local description')
    if (peers.get(peer.id) === peer && !peer.closing) emit({ type: 'description', id: peer.id, kind: local.type, sdp: local.sdp })
  }

  function enqueue(peer: BridgePeer, op: () => Promise<void>, failure: string): void {
    peer.ops = peer.ops.then(op).catch(() => end(peer, failure))
  }

  function create(id: number, initiator: boolean): void {
    if (peers.has(id)) return
    let pc: RTCPeerConnection
    try {
      pc = new RTCPeerConnection({ iceServers: init.iceServers ?? [] })
    } catch {
      emit({ type: 'closed', id, reason: 'cannot create a peer connection' })
      return
    }
    const peer: BridgePeer = {
      id,
      pc,
      channel: undefined,
      ops: Promise.resolve(),
      consumed: 0,
      reportedAmount: 0,
      closing: false,
      grace: undefined,
    }
    peers.set(id, peer)
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') end(peer, 'connection failed')
    }
    if (initiator) {
      wire(peer, pc.createDataChannel(RTC_CHANNEL_LABEL, { ordered: true }))
      enqueue(peer, () => describe(peer), 'could not create an offer')
    } else {
      pc.ondatachannel = (event) => {
        if (peer.channel || event.channel.label !== RTC_CHANNEL_LABEL) event.channel.close()
        else wire(peer, event.channel)
      }
    }
  }

  function send(peer: BridgePeer, data: readonly ArrayBuffer[]): void {
    const channel = peer.channel
    for (const buffer of data) {
      if (peer.closing || peers.get(peer.id) !== peer) return
      try {
        channel!.send(buffer)
      } catch {
        end(peer, 'send failed')
        return
      }
      peer.consumed += buffer.byteLength
    }
    report(peer)
  }

  function close(peer: BridgePeer, notice: string | undefined): void {
    if (peer.closing) return
    peer.closing = true
    const channel = peer.channel
    if (notice === undefined || channel?.readyState !== 'open') {
      teardown(peer)
      return
    }
    try {
      channel.send(notice)
    } catch {
      teardown(peer)
      return
    }
    // RTCPeerConnection.close() drops what the channel still buffers, so wait
    // for the peer to read the notice and hang up ('close' on the channel).
    peer.grace = setTimeout(() => teardown(peer), CLOSE_GRACE_MS)
  }

  function handle(command: RtcBridgeCommand): void {
    if (command.type === 'create') return create(command.id, command.initiator)
    const peer = peers.get(command.id)
    if (!peer || peer.closing) return
    switch (command.type) {
      case 'description': {
        const { kind, sdp } = command
        enqueue(
          peer,
          async () => {
            await peer.pc.setRemoteDescription({ type: kind, sdp })
            if (kind === 'offer') await describe(peer)
          },
          'bad remote description',
        )
        return
      }
      case 'candidate': {
        const { candidate, mid } = command
        // A candidate we cannot use is skipped; ICE decides with the rest.
        peer.ops = peer.ops.then(() => peer.pc.addIceCandidate({ candidate, sdpMid: mid })).catch(() => undefined)
        return
      }
      case 'send':
        return send(peer, command.data)
      case 'close':
        return close(peer, command.notice)
    }
  }

  port.onmessage = (event: MessageEvent) => {
    const commands: unknown = event.data
    if (!Array.isArray(commands)) return
    for (const command of commands as RtcBridgeCommand[]) {
      if (typeof command === 'object' && command !== null && typeof command.id === 'number') handle(command)
    }
  }

  return () => {
    if (detached) return
    // The worker may outlive the page's bridge: its links end rather than hang.
    for (const peer of [...peers.values()]) end(peer, 'bridge detached')
    flush()
    detached = true
    if (poll !== undefined) clearTimeout(poll)
    port.onmessage = null
    port.close()
  }
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(limit)
      pc.removeEventListener('icegatheringstatechange', check)
      resolve()
    }
    const check = (): void => {
      if (pc.iceGatheringState === 'complete') done()
    }
    const limit = setTimeout(done, GATHER_LIMIT_MS)
    pc.addEventListener('icegatheringstatechange', check)
  })
}

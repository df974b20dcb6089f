import { createSignalledRtcTransport } from '../engine/transport/rtcSignalling.ts'
import type { RtcPeer, RtcPeerEvents, RtcPeerFactory, RtcSignaller, RtcTransport } from '../engine/transport/rtcSignalling.ts'
import type { RtcBridgeCommand, RtcBridgeEvent } from './rtcBridge.ts'
import { systemClock, systemRandom } from './systemPorts.ts'

/**
 * WebRTC links for the engine worker. The peer connections live on the page
 * (`attachRtcBridge` in workers/rtcBridge.ts, at the other end of `port`);
 * sessions, glare and close reasons are decided here, as in Node (see
 * `RtcTransport` for addresses and glare).
 */
export interface BridgedRtcTransportInit {
  /** The worker's end of the MessageChannel whose other end the page gave to `attachRtcBridge`. */
  readonly port: MessagePort
  readonly signaller: RtcSignaller
  /** This peer's id (lowercase hex). */
  readonly selfId: string
  /** Gives up on a dial that has not opened after this long. Default 10 s. */
  readonly dialTimeoutMs?: number
}

export function createBridgedRtcTransport(init: BridgedRtcTransportInit): RtcTransport {
  return createSignalledRtcTransport({
    signaller: init.signaller,
    selfId: init.selfId,
    createPeer: bridgedPeers(init.port),
    clock: systemClock(),
    random: systemRandom(),
    ...(init.dialTimeoutMs !== undefined ? { dialTimeoutMs: init.dialTimeoutMs } : {}),
  })
}

interface Entry {
  readonly events: RtcPeerEvents
  /** Bytes handed to the bridge, and the bridge's last word on what it took and still buffers. */
  posted: number
  consumed: number
  amount: number
}

function bridgedPeers(port: MessagePort): RtcPeerFactory {
  const entries = new Map<number, Entry>()
  let nextId = 1
  let outbox: RtcBridgeCommand[] = []
  let transfers: ArrayBuffer[] = []
  let flushing = false

  function post(command: RtcBridgeCommand, transfer?: ArrayBuffer): void {
    const last = outbox[outbox.length - 1]
    if (transfer && command.type === 'send' && last?.type === 'send' && last.id === command.id) {
      last.data.push(transfer)
    } else {
      outbox.push(command)
    }
    if (transfer) transfers.push(transfer)
    if (!flushing) {
      flushing = true
      queueMicrotask(flush)
    }
  }

  function flush(): void {
    flushing = false
    const commands = outbox
    const moved = transfers
    outbox = []
    transfers = []
    if (commands.length > 0) port.postMessage(commands, moved)
  }

  function dispatch(event: RtcBridgeEvent): void {
    const entry = entries.get(event.id)
    if (!entry) return
    switch (event.type) {
      case 'description':
        return entry.events.description(event.kind, event.sdp)
      case 'open':
        return entry.events.open()
      case 'message':
        for (const buffer of event.data) {
          // A handler may close the link halfway through a batch.
          if (entries.get(event.id) !== entry) return
          entry.events.message(new Uint8Array(buffer))
        }
        return
      case 'text':
        return entry.events.text(event.text)
      case 'buffered':
        entry.consumed = event.consumed
        entry.amount = event.amount
        return
      case 'closed':
        entries.delete(event.id)
        return entry.events.closed(event.reason)
    }
  }

  port.onmessage = (message: MessageEvent) => {
    const events: unknown = message.data
    if (!Array.isArray(events)) return
    for (const event of events as RtcBridgeEvent[]) {
      if (typeof event === 'object' && event !== null && typeof event.id === 'number') dispatch(event)
    }
  }

  return (init, events): RtcPeer => {
    const id = nextId++
    const entry: Entry = { events, posted: 0, consumed: 0, amount: 0 }
    entries.set(id, entry)
    post({ type: 'create', id, initiator: init.initiator })
    return {
      remoteDescription(kind, sdp): void {
        post({ type: 'description', id, kind, sdp })
      },
      remoteCandidate(candidate, mid): void {
        post({ type: 'candidate', id, candidate, mid })
      },
      send(bytes): void {
        // A copy of our own to transfer: the caller keeps its buffer.
        const copy = new Uint8Array(bytes)
        entry.posted += copy.length
        post({ type: 'send', id, data: [copy.buffer] }, copy.buffer)
      },
      bufferedAmount: () => entry.posted - entry.consumed + entry.amount,
      close(notice): void {
        entries.delete(id)
        post(notice === undefined ? { type: 'close', id } : { type: 'close', id, notice })
      },
    }
  }
}

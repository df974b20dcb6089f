import nodeDataChannel from 'node-datachannel'
import type { DataChannel, PeerConnection, RtcConfig } from 'node-datachannel'
import { MAX_MESSAGE_BYTES } from '../../engine/transport/index.ts'
import { RTC_CHANNEL_LABEL, createSignalledRtcTransport } from '../../engine/transport/rtcSignalling.ts'
import type { RtcPeer, RtcPeerFactory, RtcSignaller, RtcTransport } from '../../engine/transport/rtcSignalling.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'

/**
 * WebRTC links for Node on node-datachannel (libdatachannel). Signalling goes
 * through `signaller` (end-to-end encrypted messages in the engine); see
 * `RtcTransport` for addresses and glare.
 */
export interface NodeRtcTransportInit {
  readonly signaller: RtcSignaller
  /** This peer's id (lowercase hex). */
  readonly selfId: string
  /** Gives up on a dial that has not opened after this long. Default 10 s. */
  readonly dialTimeoutMs?: number
  /**
   * Local address to gather candidates on. Default '127.0.0.1': without it
   * libdatachannel gathers none on this kind of machine (TOOLING.md), and
   * tests must never leave loopback.
   */
  readonly bindAddress?: string
  /** STUN/TURN servers (`stun:host:port`). Default none. */
  readonly iceServers?: readonly string[]
}

/** How long a closing side waits for the peer to read the close notice and hang up. */
const CLOSE_GRACE_MS = 2_000

export function createNodeRtcTransport(init: NodeRtcTransportInit): RtcTransport {
  const config: RtcConfig = {
    iceServers: [...(init.iceServers ?? [])],
    bindAddress: init.bindAddress ?? '127.0.0.1',
    // Advertised as a=max-message-size: the peer sends nothing larger than a link message.
    maxMessageSize: MAX_MESSAGE_BYTES,
  }
  return createSignalledRtcTransport({
    signaller: init.signaller,
    selfId: init.selfId,
    createPeer: nodePeers(config),
    clock: systemClock(),
    random: systemRandom(),
    ...(init.dialTimeoutMs !== undefined ? { dialTimeoutMs: init.dialTimeoutMs } : {}),
  })
}

function nodePeers(config: RtcConfig): RtcPeerFactory {
  return (init, events) => {
    const pc: PeerConnection = new nodeDataChannel.PeerConnection(init.label, config)
    let channel: DataChannel | undefined
    /** After a local close or a reported end: no more events. */
    let done = false
    let tornDown = false
    let described = false
    let remoteSet = false
    const earlyCandidates: [string, string][] = []
    let grace: ReturnType<typeof setTimeout> | undefined

    const teardown = (): void => {
      if (tornDown) return
      tornDown = true
      if (grace !== undefined) clearTimeout(grace)
      try {
        pc.close()
      } catch {
        // Already closed.
      }
    }
    const fail = (reason: string): void => {
      if (done) {
        teardown()
        return
      }
      done = true
      teardown()
      events.closed(reason)
    }

    pc.onGatheringStateChange((state) => {
      if (state !== 'complete' || done || described) return
      const local = pc.localDescription()
      if (!local || (local.type !== 'offer' && local.type !== 'answer')) return
      described = true
      events.description(local.type, local.type === 'offer' ? offerAsDtlsClient(local.sdp) : local.sdp)
    })
    pc.onStateChange((state) => {
      if (state === 'failed' || state === 'closed') fail(`connection ${state}`)
    })

    const wire = (dc: DataChannel): void => {
      channel = dc
      dc.onOpen(() => {
        if (!done) events.open()
      })
      dc.onMessage((msg) => {
        if (done) return
        if (typeof msg === 'string') events.text(msg)
        else events.message(ownBytes(msg))
      })
      dc.onClosed(() => fail('connection closed'))
      dc.onError(() => fail('channel error'))
      // An answerer's channel arrives already open and fires no 'open'.
      if (dc.isOpen()) queueMicrotask(() => !done && events.open())
    }
    if (init.initiator) {
      wire(pc.createDataChannel(RTC_CHANNEL_LABEL))
    } else {
      pc.onDataChannel((dc) => {
        if (channel || dc.getLabel() !== RTC_CHANNEL_LABEL) dc.close()
        else wire(dc)
      })
    }

    const peer: RtcPeer = {
      remoteDescription(type, sdp): void {
        if (done) return
        try {
          pc.setRemoteDescription(sdp, type)
        } catch {
          fail('bad remote description')
          return
        }
        remoteSet = true
        for (const [candidate, mid] of earlyCandidates.splice(0)) peer.remoteCandidate(candidate, mid)
      },
      remoteCandidate(candidate, mid): void {
        if (done) return
        if (!remoteSet) {
          if (earlyCandidates.length < 32) earlyCandidates.push([candidate, mid])
          return
        }
        try {
          pc.addRemoteCandidate(candidate, mid)
        } catch {
          // A candidate we cannot use is skipped; ICE decides with the rest.
        }
      },
      send(bytes): void {
        try {
          channel!.sendMessageBinary(bytes)
        } catch {
          fail('send failed')
        }
      },
      bufferedAmount: () => (channel && !tornDown ? channel.bufferedAmount() : 0),
      close(notice): void {
        if (done) return
        done = true
        if (notice === undefined || !channel?.isOpen()) {
          teardown()
          return
        }
        try {
          channel.sendMessage(notice)
        } catch {
          teardown()
          return
        }
        // Closing now would drop what libdatachannel still buffers (measured: most of
        // a burst is lost), so wait for the peer to read the notice and hang up.
        grace = setTimeout(teardown, CLOSE_GRACE_MS)
        grace.unref()
      },
    }
    return peer
  }
}

/** A plain Uint8Array the receiver owns (the contract hands out no Buffer subclass). */
function ownBytes(msg: Buffer | ArrayBuffer): Uint8Array {
  if (msg instanceof ArrayBuffer) return new Uint8Array(msg)
  if (msg.byteOffset === 0 && msg.byteLength === msg.buffer.byteLength) return new Uint8Array(msg.buffer, 0, msg.byteLength)
  return new Uint8Array(msg)
}

/**
 * Makes the offerer the DTLS client. By default (RFC 5763 §5: the offer says
 * actpass) the answerer is the client; it is also the ICE-controlled side,
 * which sees ICE connect first, so its ClientHello reaches a libdatachannel
 * offerer that is not connected yet and is dropped, and the 1 s DTLS
 * retransmission follows. Measured on loopback: half of the opens took ~1 s
 * this way and all took 3-25 ms with `setup:active`. libdatachannel and
 * Chromium both answer such an offer with `setup:passive`.
 */
function offerAsDtlsClient(sdp: string): string {
  return sdp.replace(/^a=setup:actpass(?=\r?$)/gm, 'a=setup:active')
}

/**
 * Direct browser-to-browser (or node-to-node) links: once two contacts reach each
 * other through the mesh, the one with the lower id dials `rtc:<contact>`; the
 * WebRTC offer, answer and candidates travel as end-to-end encrypted messages
 * through the mesh itself (no signalling service). If the direct link fails or
 * drops, traffic stays on (or falls back to) the relays: routing prefers a direct
 * neighbour and the forwarder reroutes when it goes.
 */
import type { Link, Transport } from '../engine/ports/index.ts'
import { createCompositeTransport, decodeRtcSignal, encodeRtcSignal } from '../engine/transport/index.ts'
import type { RtcSignal, RtcSignaller, RtcTransport } from '../engine/transport/index.ts'

export type RtcFactory = (signaller: RtcSignaller, selfId: string) => RtcTransport

export interface DirectLinksInit {
  readonly selfId: string
  /** The host's transport for relays (ws:, wss:, and mem: in tests). */
  readonly host: Transport
  readonly rtc?: RtcFactory
  /** Sends encoded signalling to a contact end to end. */
  readonly sendSignal: (contactId: string, signal: Uint8Array) => void
  readonly connect: (address: string) => void
  readonly accept: (link: Link) => void
}

export interface DirectLinks {
  readonly transport: Transport
  /** Starts accepting direct links (after the mesh exists). */
  start(): Promise<void>
  /** Signalling a contact sent us. */
  onSignal(contactId: string, signal: Uint8Array): void
  /** We just heard from a contact: they are reachable, so try a direct link (once per run). */
  heardFrom(contactId: string): void
  close(): void
}

export function createDirectLinks(init: DirectLinksInit): DirectLinks {
  let handler: ((peerId: string, signal: RtcSignal) => void) | null = null
  const signaller: RtcSignaller = {
    send: (peerId, signal) => init.sendSignal(peerId, encodeRtcSignal(signal)),
    onSignal: (h) => {
      handler = h
    },
  }
  const rtc = init.rtc?.(signaller, init.selfId) ?? null
  const tried = new Set<string>()
  return {
    transport: rtc ? createCompositeTransport({ rtc }, init.host) : init.host,
    async start() {
      await rtc?.listen('rtc:', init.accept)
    },
    onSignal(contactId, bytes) {
      try {
        handler?.(contactId, decodeRtcSignal(bytes))
      } catch {
        // Malformed signalling from a contact is dropped; the dial times out and relays carry on.
      }
    },
    heardFrom(contactId) {
      // One dialer per pair (the lower id), so the two ends never both start a handshake.
      if (!rtc || tried.has(contactId) || !(init.selfId < contactId)) return
      tried.add(contactId)
      init.connect(`rtc:${contactId}`)
    },
    close: () => rtc?.close(),
  }
}

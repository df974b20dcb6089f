/**
 * A light relay peer for the relay-scale benchmark: a raw `ws` socket that runs
 * the initiator side of the link handshake (as machines/linkActors.ts
 * handshakeActor does) and then speaks link frames, with no engine, actors or
 * store behind it, so one process can hold thousands. It answers the relay's
 * pings (a silent peer would be an idle one) and ignores announcements and acks.
 */
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import type { Identity } from '../../../engine/identity/index.ts'
import { createLinkHandshake } from '../../../engine/noise/index.ts'
import type { LinkSession } from '../../../engine/noise/index.ts'
import type { Crypto, Random } from '../../../engine/ports/index.ts'
import { MAX_MESSAGE_BYTES } from '../../../engine/transport/index.ts'
import { decodeLinkFrame, encodeLinkFrame, packEnvelopeFrames } from '../../../engine/wire/index.ts'

export interface LightPeerInit {
  readonly url: string
  readonly identity: Identity
  readonly crypto: Crypto
  readonly random: Random
  /** Gives up when the socket and the handshake are not done after this long. */
  readonly timeoutMs: number
  /** Every batch of envelopes the relay forwards to this peer. */
  readonly onEnvelopes: (envelopes: readonly Uint8Array[]) => void
  /** The link closed after it was open (not called for a failed connect). */
  readonly onClose?: (reason: string) => void
}

export interface LightPeer {
  /** Packs the envelopes into as few link frames as fit, encrypts and sends them. */
  sendEnvelopes(envelopes: readonly Uint8Array[]): void
  /** Frames that failed to decrypt or decode (the peer then closes: the relay is broken). */
  readonly protocolErrors: number
  readonly pingsAnswered: number
  readonly open: boolean
  /** Closes the socket; resolves when it is closed (at most `graceMs` later, then it is dropped). */
  close(graceMs?: number): Promise<void>
}

const toBytes = (data: RawData): Uint8Array =>
  data instanceof ArrayBuffer ? new Uint8Array(data) : Array.isArray(data) ? Buffer.concat(data) : data

/** Opens the socket and completes the handshake; rejects with a short reason (no keys, no ids). */
export function connectLightPeer(init: LightPeerInit): Promise<LightPeer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(init.url, {
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: init.timeoutMs,
    })
    const handshake = createLinkHandshake({ crypto: init.crypto, random: init.random, identity: init.identity, initiator: true })
    let session: LinkSession | null = null
    let settled = false
    let open = false
    let protocolErrors = 0
    let pingsAnswered = 0
    const timer = setTimeout(() => fail('timeout'), init.timeoutMs)
    const fail = (reason: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      ws.terminate()
      reject(new Error(reason))
    }
    const write = (plain: Uint8Array): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(session!.encrypt(plain))
    }
    const closed = new Promise<void>((r) => ws.once('close', () => r()))

    const peer: LightPeer = {
      sendEnvelopes(envelopes) {
        for (const frame of packEnvelopeFrames(envelopes)) write(frame)
      },
      get protocolErrors() {
        return protocolErrors
      },
      get pingsAnswered() {
        return pingsAnswered
      },
      get open() {
        return open
      },
      async close(graceMs = 2_000) {
        if (ws.readyState === WebSocket.CLOSED) return
        ws.close(1000, 'bench done')
        const timer = setTimeout(() => ws.terminate(), graceMs)
        await closed
        clearTimeout(timer)
      },
    }

    ws.on('open', () => ws.send(handshake.start()!))
    ws.on('message', (data: RawData) => {
      const bytes = toBytes(data)
      if (!session) {
        try {
          const step = handshake.receive(bytes)
          if (step.reply) ws.send(step.reply)
          if (step.session) {
            session = step.session
            open = true
            settled = true
            clearTimeout(timer)
            resolve(peer)
          }
        } catch (error) {
          fail(`handshake: ${(error as Error).name}`)
        }
        return
      }
      let frame
      try {
        frame = decodeLinkFrame(session.decrypt(bytes))
      } catch {
        protocolErrors++
        ws.close(1002, 'protocol')
        return
      }
      if (frame.type === 'envelopes') init.onEnvelopes(frame.envelopes)
      else if (frame.type === 'ping') {
        write(encodeLinkFrame({ type: 'pong', nonce: frame.nonce, sentAt: frame.sentAt }))
        pingsAnswered++
      } else if (frame.type === 'close') ws.close(1000, frame.reason)
    })
    // Without an 'error' listener ws would throw; the 'close' after it settles the rest.
    ws.on('error', (error: Error) => fail((error as NodeJS.ErrnoException).code ?? 'ws error'))
    ws.on('close', (code: number) => {
      if (open) {
        open = false
        init.onClose?.(`closed (code ${code})`)
      }
      fail(`closed (code ${code})`)
    })
  })
}

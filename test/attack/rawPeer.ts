/**
 * A hostile but authenticated neighbour: a raw `ws` client that completes the
 * link handshake with its own identity and then writes whatever frames it likes,
 * as fast as the socket drains. It binds `localAddress` (127.0.0.2 by default, still
 * loopback) so the relay can tell it apart from the honest engines on 127.0.0.1.
 */
import { WebSocket, WebSocketServer } from 'ws'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import type { Identity } from '../../engine/identity/index.ts'
import { createLinkHandshake } from '../../engine/noise/index.ts'
import type { LinkSession } from '../../engine/noise/index.ts'
import { encodeEnvelope, encodeLinkFrame } from '../../engine/wire/index.ts'
import { systemRandom } from '../../workers/systemPorts.ts'

export interface RawPeer {
  readonly identity: Identity
  /** Seals and writes one link frame's plaintext; resolves when the socket buffer has room again. */
  write(plain: Uint8Array): Promise<void>
  /** Hands over each link frame (decrypted, not decoded) the relay sends from now on. */
  onFrame(handler: (plain: Uint8Array) => void): void
  /** Resolves with the close code once the relay (or anyone) closed the socket. */
  readonly closed: Promise<number>
  close(): void
}

const crypto = nobleCrypto()
const random = systemRandom()

export function rawPeer(linkUrl: string, identity = generateIdentity(crypto, random), localAddress = '127.0.0.2'): Promise<RawPeer> {
  const ws = new WebSocket(linkUrl, { localAddress, perMessageDeflate: false })
  ws.binaryType = 'arraybuffer'
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    ws.once('error', reject)
    void closed.then((code) => reject(new Error(`closed during the handshake (${code})`)))
    ws.once('open', () => {
      const hs = createLinkHandshake({ crypto, random, identity, initiator: true })
      let session: LinkSession | null = null
      let onFrame: ((plain: Uint8Array) => void) | null = null
      ws.on('message', (data: ArrayBuffer) => {
        if (session) {
          // Pings, acks, refusals: decrypted in order (Noise nonces), answered never.
          const plain = session.decrypt(new Uint8Array(data))
          onFrame?.(plain)
          return
        }
        const { reply, session: done } = hs.receive(new Uint8Array(data))
        if (reply) ws.send(reply)
        if (!done) return
        session = done
        const sealed = done
        resolve({
          identity,
          closed,
          close: () => ws.close(),
          onFrame: (handler) => void (onFrame = handler),
          write: (plain) =>
            new Promise((ok) => {
              if (ws.readyState !== WebSocket.OPEN) return ok()
              ws.send(sealed.encrypt(plain), () => ok())
            }),
        })
      })
      const first = hs.start()
      if (first) ws.send(first)
    })
  })
}

/**
 * A link frame of `count` valid envelopes, each for a made-up destination, with
 * `bodyBytes` of random body: what a flooder or a custody-filler sends. `expiresAt`
 * defaults to a minute from now.
 */
export function madeUpEnvelopes(count: number, bodyBytes = 256, expiresAt = Date.now() + 60_000): Uint8Array {
  const envelopes: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    envelopes.push(
      encodeEnvelope({
        header: { version: 2, id: random.bytes(16), destination: random.bytes(32), ttl: 16, attempt: 0, expiresAt },
        body: random.bytes(bodyBytes),
      }),
    )
  }
  return encodeLinkFrame({ type: 'envelopes', envelopes })
}

export interface RawListener {
  /** ws:// URL a node can dial, as it would a relay. */
  readonly url: string
  /** Hands over each link frame (decrypted, not decoded) a node that dialed in sends. */
  onFrame(handler: (plain: Uint8Array) => void): void
  close(): Promise<void>
}

/**
 * A hostile endpoint that others dial: it answers the link handshake as a relay would, with
 * its own identity, and keeps whatever it is sent (an attacker running a relay its victim
 * once tried). It never writes a frame of its own.
 */
export async function rawListener(identity = generateIdentity(crypto, random)): Promise<RawListener> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/link', perMessageDeflate: false })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  let onFrame: ((plain: Uint8Array) => void) | null = null
  server.on('connection', (ws) => {
    ws.binaryType = 'arraybuffer'
    const hs = createLinkHandshake({ crypto, random, identity, initiator: false })
    let session: LinkSession | null = null
    ws.on('message', (data: ArrayBuffer) => {
      if (session) return onFrame?.(session.decrypt(new Uint8Array(data)))
      const { reply, session: done } = hs.receive(new Uint8Array(data))
      if (reply) ws.send(reply)
      if (done) session = done
    })
  })
  const { port } = server.address() as { port: number }
  return {
    url: `ws://127.0.0.1:${port}/link`,
    onFrame: (handler) => void (onFrame = handler),
    close: () =>
      new Promise((resolve) => {
        for (const ws of server.clients) ws.terminate()
        server.close(() => resolve())
      }),
  }
}

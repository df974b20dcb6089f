/**
 * The relay daemon: an ordinary mesh node in Node that accepts WebSocket links on
 * `/link`, completes Noise XX with each, forwards envelopes by destination (it
 * cannot read them), serves the built web app and answers `GET /healthz`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { nodeCrypto } from './nodeCrypto.ts'
import { decodeIdentity, encodeIdentity, generateIdentity, shortFingerprint } from '../../engine/identity/index.ts'
import type { Crypto } from '../../engine/ports/index.ts'
import { startMesh } from '../../workers/startMesh.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { openFileStore } from './fileStore.ts'
import { staticFiles } from './staticFiles.ts'
import { attachWsLinks, createWsTransport } from './wsTransport.ts'

export interface RelayInit {
  readonly host?: string
  /** 0 picks a free port. */
  readonly port?: number
  /** Where the relay keeps its identity. */
  readonly dataDir: string
  /** The built web app (`dist/`); omitted, the relay serves links and /healthz only. */
  readonly staticDir?: string
  readonly crypto?: Crypto
  /** Test seam: sees every envelope the relay is handed. */
  readonly tap?: (envelope: Uint8Array) => void
}

export interface RelayHandle {
  readonly httpUrl: string
  readonly linkUrl: string
  /** Short fingerprint of the relay's identity. */
  readonly fingerprint: string
  /** Dials another relay and keeps that link (relays can peer). */
  connect(linkUrl: string): void
  close(): Promise<void>
}

const IDENTITY_KEY = 'relay/identity'

export async function startRelay(init: RelayInit): Promise<RelayHandle> {
  const crypto = init.crypto ?? nodeCrypto()
  const random = systemRandom()
  const store = await openFileStore(init.dataDir)
  const stored = await store.get(IDENTITY_KEY)
  const identity = stored ? decodeIdentity(stored) : generateIdentity(crypto, random)
  if (!stored) await store.set(IDENTITY_KEY, encodeIdentity(identity))

  const mesh = startMesh(
    { crypto, random, clock: systemClock(), transport: createWsTransport() },
    { identity, custodian: true, deliverLocal: () => {}, ...(init.tap ? { tap: init.tap } : {}) },
  )
  const serveStatic = init.staticDir ? staticFiles(init.staticDir) : null
  const fingerprint = shortFingerprint(crypto, identity.signingKey.publicKey)

  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      const links = mesh.links().filter((l) => l.state === 'open').length
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true, fingerprint, links, ...mesh.forwarder.stats() }))
      return
    }
    if (!serveStatic || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    serveStatic(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400)
      res.end()
    })
  })
  const links = attachWsLinks(server, '/link', (link) => mesh.accept(link))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.port ?? 8080, init.host ?? '127.0.0.1', () => resolve())
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address

  return {
    httpUrl: `http://${host}:${port}`,
    linkUrl: `ws://${host}:${port}/link`,
    fingerprint,
    connect: (url) => mesh.connect(url),
    async close() {
      mesh.stop()
      links.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await store.close()
    },
  }
}

/**
 * The relay daemon: an ordinary mesh node in Node that accepts WebSocket links on
 * `/link`, completes Noise XX with each, forwards envelopes by destination (it
 * cannot read them), serves the built web app, answers `GET /healthz` and serves
 * Prometheus metrics at `GET /metrics`. Every TCP socket passes the connection gate
 * (connectionGate.ts): header and upgrade timeouts, caps in total and per address,
 * a per-address budget for new connections.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { nodeCrypto } from './nodeCrypto.ts'
import { decodeIdentity, encodeIdentity, generateIdentity, shortFingerprint } from '../../engine/identity/index.ts'
import type { Crypto } from '../../engine/ports/index.ts'
import type { LinkDefenceInit } from '../../machines/linkDefence.ts'
import { startMesh } from '../../workers/startMesh.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { dialPolicy } from './dialPolicy.ts'
import { openFileStore } from './fileStore.ts'
import { openSqliteCustody } from './sqliteCustody.ts'
import { gateServer, isLoopback, normalizeAddress } from './connectionGate.ts'
import type { ConnectionLimits } from './connectionGate.ts'
import { createRelayMetrics } from './relayMetrics.ts'
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
  /**
   * Budgets and peer scores on every link (issue 10, machines/linkDefence.ts): on by default
   * with DEFAULT_LINK_BUDGETS; `false` turns them off (benchmarks measure their cost against it).
   */
  readonly defence?: false | LinkDefenceInit
  /** Serve GET /metrics to any address, not only to loopback (default false). */
  readonly publicMetrics?: boolean
  /** Admission limits and timeouts for sockets (defaults in connectionGate.ts). */
  readonly limits?: ConnectionLimits
  /** A link that has not completed its Noise handshake by then is closed (default machines/peerLink.ts HANDSHAKE_TIMEOUT_MS). */
  readonly handshakeTimeoutMs?: number
  /** A relay dialed on demand that has not proved its identity by then is given up (default workers/relayPool.ts; tests shorten it). */
  readonly relayDialTimeoutMs?: number
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
/** Users' reach records this relay keeps (their registrations), one key per user. */
const HOME_RECORD_PREFIX = 'relay/home/'

export async function startRelay(init: RelayInit): Promise<RelayHandle> {
  const crypto = init.crypto ?? nodeCrypto()
  const random = systemRandom()
  const store = await openFileStore(init.dataDir)
  const stored = await store.get(IDENTITY_KEY)
  const identity = stored ? decodeIdentity(stored) : generateIdentity(crypto, random)
  if (!stored) await store.set(IDENTITY_KEY, encodeIdentity(identity))
  // Held mail on disk (issue 10): restored into custody by startMesh, survives kill -9.
  const custodyJournal = openSqliteCustody(init.dataDir)

  const mesh = startMesh(
    { crypto, random, clock: systemClock(), transport: createWsTransport() },
    {
      identity,
      custodian: true,
      deliverLocal: () => {},
      custodyJournal,
      ...(init.defence !== undefined ? { defence: init.defence } : {}),
      ...(init.tap ? { tap: init.tap } : {}),
      ...(init.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: init.handshakeTimeoutMs } : {}),
      ...(init.relayDialTimeoutMs !== undefined ? { relayDialTimeoutMs: init.relayDialTimeoutMs } : {}),
      dialAllowed: dialPolicy(init.host ?? '127.0.0.1'),
      // Registrations on disk: after a restart (kill -9 included) the relay still keeps its users' mail.
      onHomeRecord: (identityHex, bytes) => void store.set(`${HOME_RECORD_PREFIX}${identityHex}`, bytes).catch(() => undefined),
    },
  )
  for (const key of await store.keys(HOME_RECORD_PREFIX)) {
    const bytes = await store.get(key)
    if (!bytes || !mesh.homes!.restore(bytes, Date.now())) await store.delete(key)
  }
  const serveStatic = init.staticDir ? staticFiles(init.staticDir) : null
  const fingerprint = shortFingerprint(crypto, identity.signingKey.publicKey)

  const server = createServer((req, res) => {
    if (gate.answerRefused(req, res)) return
    if (req.url === '/healthz') {
      const links = mesh.links().filter((l) => l.state === 'open').length
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true, fingerprint, links, ...mesh.forwarder.stats() }))
      return
    }
    // Metrics describe the relay's neighbours in aggregate (scores included): served to this
    // machine only (a Prometheus agent beside the relay, or through an SSH tunnel), unless
    // RelayInit.publicMetrics says otherwise.
    if (req.url === '/metrics' && req.method === 'GET' && !init.publicMetrics && !isLoopback(normalizeAddress(req.socket.remoteAddress) ?? '')) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('metrics are served to localhost only')
      return
    }
    if (req.url === '/metrics' && req.method === 'GET') {
      metrics.metrics().then(
        (page) => res.writeHead(200, { 'content-type': metrics.contentType }).end(page),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed'),
      )
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
  // Gated before it listens: Node reads the header-timeout check interval at listen.
  const gate = gateServer(server, init.limits)
  const links = attachWsLinks(server, '/link', (link) => mesh.accept(link))
  const defence = mesh.defence
  const metrics = createRelayMetrics({
    links: () => mesh.links(),
    connections: () => links.stats(),
    forwarder: () => mesh.forwarder.stats(),
    ...(defence ? { defence: () => defence.stats() } : {}),
    ...(mesh.homes ? { homes: () => mesh.homes!.stats() } : {}),
    routes: () => mesh.plane.router.routes().length,
    learnedRecords: () => mesh.plane.learnedRecords,
    pool: () => mesh.pool.stats(),
  })
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
      custodyJournal.close()
    },
  }
}

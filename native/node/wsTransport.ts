import { createServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import type { RawData } from 'ws'
import type { Link, Listener, Transport } from '../../engine/ports/transport.ts'
import { gateServer, refusalResponse } from './connectionGate.ts'
import type { ConnectionGate, ConnectionGateStats, ConnectionLimits } from './connectionGate.ts'
import {
  AddressInUseError,
  DialError,
  InvalidAddressError,
  MAX_MESSAGE_BYTES,
  createLinkCore,
} from '../../engine/transport/index.ts'

/**
 * WebSocket links for Node (relay daemon, CLI) on the `ws` package. Links
 * carry binary frames only; compression is off because link frames are
 * ciphertext, which does not compress and would only cost CPU (and invite
 * CRIME-style length leaks).
 */
export interface WsTransportInit {
  /** Gives up on a dial that has not opened after this long. Default 10 s. */
  readonly dialTimeoutMs?: number
  /** Admission limits for `listen` (connectionGate.ts); loopback tests with many peers may raise them. */
  readonly limits?: ConnectionLimits
}

/** The server's admission counters and this path's link traffic, read at scrape time. */
export interface WsLinkStats extends ConnectionGateStats {
  /** Links accepted on this path and open now. */
  readonly links: number
  /** WebSocket messages (link frames) and their bytes on this path's links. */
  readonly framesIn: number
  readonly framesOut: number
  readonly bytesIn: number
  readonly bytesOut: number
}

export interface WsAttachment {
  stats(): WsLinkStats
  /** Stops accepting on the path and closes the links it accepted. */
  close(): void
}

/** Plain counters bumped per frame; nothing else happens per frame. */
interface Traffic {
  framesIn: number
  framesOut: number
  bytesIn: number
  bytesOut: number
}

/** RFC 6455 §7.4.1: 1003 is "received a type of data it cannot accept". */
const CLOSE_UNSUPPORTED_DATA = 1003
const CLOSE_NORMAL = 1000
/** RFC 6455 §5.5: a close frame's body is at most 125 bytes, 2 of them the code. */
const MAX_REASON_BYTES = 123
/** How long a closing peer may take to answer our close frame before we drop the socket. */
const CLOSE_GRACE_MS = 2_000

export function createWsTransport(init: WsTransportInit = {}): Transport {
  const dialTimeoutMs = init.dialTimeoutMs ?? 10_000
  return {
    dial: (address) => dial(address, dialTimeoutMs),
    listen: (address, onLink) => listen(address, onLink, init.limits),
  }
}

function dial(address: string, timeoutMs: number): Promise<Link> {
  return new Promise((resolve, reject) => {
    const url = parseUrl(address, ['ws:', 'wss:'])
    if (!url) {
      reject(new DialError('not a ws:// or wss:// address'))
      return
    }
    // Only scheme, host and port: paths and queries may carry tokens.
    const where = `${url.protocol}//${url.host}`
    let socket: WebSocket
    try {
      socket = new WebSocket(address, {
        maxPayload: MAX_MESSAGE_BYTES,
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        followRedirects: false,
      })
    } catch {
      reject(new DialError(`could not connect to ${where}`))
      return
    }
    let settled = false
    const fail = (detail: string): void => {
      if (settled) return
      settled = true
      socket.terminate()
      reject(new DialError(`could not connect to ${where} (${detail})`))
    }
    socket.on('error', (err: Error) => fail(describe(err)))
    socket.once('close', (code: number) => fail(`closed before opening, code ${code}`))
    socket.once('open', () => {
      if (settled) return
      settled = true
      socket.removeAllListeners()
      const port = url.port || (url.protocol === 'wss:' ? '443' : '80')
      resolve(wrapSocket(socket, `${url.protocol.slice(0, -1)}:${url.hostname}:${port}`))
    })
  })
}

async function listen(address: string, onLink: (link: Link) => void, limits: ConnectionLimits | undefined): Promise<Listener> {
  const url = parseUrl(address, ['ws:'])
  if (!url) throw new InvalidAddressError('listen takes a ws:// address (terminate TLS in front of the relay)')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const server = createServer((req, res) => {
    if (!gate.answerRefused(req, res)) res.writeHead(404).end()
  })
  const gate = gateServer(server, limits)
  const attachment = attachWsLinks(server, url.pathname, onLink)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(Number(url.port || 80), host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    attachment.close()
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new AddressInUseError(`${url.host} is already in use`)
    throw new InvalidAddressError(`cannot listen on ${url.host} (${code ?? 'failed'})`)
  }
  const port = (server.address() as AddressInfo).port
  return {
    address: `ws://${url.hostname}:${port}${url.pathname}`,
    async close(): Promise<void> {
      attachment.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

type UpgradeRoute = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

interface RouteTable {
  readonly routes: Map<string, UpgradeRoute>
  readonly gate: ConnectionGate
  readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
}

// One 'upgrade' listener per server, dispatching on the path, so several
// attachments can share a server and an unknown path gets a 404 exactly once.
const tables = new WeakMap<Server, RouteTable>()

/**
 * Accepts links on `path` of an existing HTTP server, so a relay serves its
 * pages and its links on one port. Takes over the server's 'upgrade' event:
 * upgrades to any other path are answered 404 and dropped. The server's sockets
 * are gated (connectionGate.ts) by the gate `gateServer` made for it, or else one
 * made here with `limits`: gate a server before it listens, so that Node checks
 * its header timeout often enough, and answer plain requests on refused sockets
 * with the gate's `answerRefused`.
 */
export function attachWsLinks(server: Server, path: string, onLink: (link: Link) => void, limits?: ConnectionLimits): WsAttachment {
  if (!path.startsWith('/')) throw new InvalidAddressError('path must start with "/"')
  let table = tables.get(server)
  if (!table) {
    const routes = new Map<string, UpgradeRoute>()
    const gate = gateServer(server, limits)
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const route = routes.get(pathOf(req.url))
      if (!route) return refuseUpgrade(socket, 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      // Refused before the WebSocket exists: no ws object, no handshake, no link.
      const refusal = gate.admitUpgrade(req)
      if (refusal) return refuseUpgrade(socket, refusalResponse(refusal))
      route(req, socket, head)
    }
    table = { routes, gate, onUpgrade }
    tables.set(server, table)
    server.on('upgrade', onUpgrade)
  } else if (limits !== undefined) {
    gateServer(server, limits) // throws: the server's limits were set by its first attachment
  }
  const { routes, gate } = table
  if (routes.has(path)) throw new AddressInUseError(`links are already accepted on ${path}`)

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false })
  const open = new Map<WebSocket, Link>()
  const traffic: Traffic = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 }
  const adopt = (ws: WebSocket, label: string, address: string | undefined): void => {
    const link = wrapSocket(ws, label, () => open.delete(ws), address, traffic)
    open.set(ws, link)
    try {
      onLink(link)
    } catch {
      link.close('listener refused the link')
    }
  }
  routes.set(path, (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      gate.upgraded(req.socket)
      // The link's closures are made in `adopt`, out of this scope: a closure here would keep the upgrade request (~1 KB) for the link's life.
      adopt(ws, `ws:${formatHost(req.socket.remoteAddress)}:${req.socket.remotePort ?? 0}`, gate.addressOf(req.socket))
    })
  })

  return {
    stats: () => ({ ...gate.stats(), links: open.size, ...traffic }),
    close(): void {
      if (routes.get(path) === undefined) return
      routes.delete(path)
      if (routes.size === 0 && table && tables.get(server) === table) {
        server.off('upgrade', table.onUpgrade)
        tables.delete(server)
        gate.close()
      }
      for (const link of [...open.values()]) link.close('listener closed')
      wss.close()
    },
  }
}

function wrapSocket(ws: WebSocket, label: string, onEnded?: () => void, remoteAddress?: string, traffic?: Traffic): Link {
  // 'arraybuffer' hands us a buffer of our own, never a slice of ws's
  // receive chunk, so a consumer may transfer it to a worker.
  ws.binaryType = 'arraybuffer'
  let failure: string | undefined
  const core = createLinkCore({
    label,
    ...(remoteAddress !== undefined ? { remoteAddress } : {}),
    send: (bytes) => {
      if (traffic) {
        traffic.framesOut++
        traffic.bytesOut += bytes.length
      }
      ws.send(bytes, { binary: true })
    },
    close: (reason) => closeSocket(ws, CLOSE_NORMAL, reason),
    bufferedAmount: () => ws.bufferedAmount,
    ...(onEnded ? { onEnded } : {}),
  })
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      const reason = 'protocol: text frame'
      core.ended(reason)
      closeSocket(ws, CLOSE_UNSUPPORTED_DATA, reason)
      return
    }
    const bytes = toBytes(data)
    if (traffic) {
      traffic.framesIn++
      traffic.bytesIn += bytes.length
    }
    core.receive(bytes)
  })
  // Without an 'error' listener ws would throw; the 'close' that follows ends the link.
  ws.on('error', (err: Error) => {
    failure ??= `ws error: ${describe(err)}`
  })
  ws.on('close', (code: number, reason: Buffer) => {
    core.ended(failure ?? (reason.length > 0 ? reason.toString('utf8') : `connection closed (code ${code})`))
  })
  return core.link
}

function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return
  ws.close(code, truncateUtf8(reason, MAX_REASON_BYTES))
  // ws waits up to 30 s for the peer's close frame; a link that is gone
  // should not hold a socket that long.
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref()
}

function toBytes(data: RawData): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  return new Uint8Array(data)
}

function refuseUpgrade(socket: Duplex, response: string): void {
  socket.on('error', () => {})
  socket.once('finish', () => socket.destroy())
  socket.end(response)
}

function parseUrl(address: string, protocols: readonly string[]): URL | undefined {
  try {
    const url = new URL(address)
    return protocols.includes(url.protocol) ? url : undefined
  } catch {
    return undefined
  }
}

function pathOf(requestUrl: string | undefined): string {
  try {
    return new URL(requestUrl ?? '/', 'http://localhost').pathname
  } catch {
    return ''
  }
}

function formatHost(address: string | undefined): string {
  if (address === undefined) return 'unknown'
  return address.includes(':') ? `[${address}]` : address
}

/** System error codes and ws's own messages name no path, query or payload. */
function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code !== undefined && !code.startsWith('WS_ERR_') ? code : err.message
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text
  let out = ''
  for (const char of text) {
    if (Buffer.byteLength(out + char) > maxBytes) break
    out += char
  }
  return out
}

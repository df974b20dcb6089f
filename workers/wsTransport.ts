import type { Link, Transport } from '../engine/ports/transport.ts'
import { DialError, MAX_MESSAGE_BYTES, createLinkCore } from '../engine/transport/index.ts'

/**
 * WebSocket links from a browser page or worker, on the global `WebSocket`.
 * Dial only: a browser cannot listen. Links carry binary frames only.
 */
export interface BrowserWsTransportInit {
  /** Gives up on a dial that has not opened after this long. Default 10 s. */
  readonly dialTimeoutMs?: number
}

/**
 * Browsers let script send only 1000 or 3000-4999 (WHATWG WebSockets, close()),
 * so a protocol violation uses a private code; 4003 and 4009 mirror RFC 6455's
 * 1003 (unsupported data) and 1009 (message too big).
 */
const CLOSE_NORMAL = 1000
const CLOSE_UNSUPPORTED_DATA = 4003
const CLOSE_TOO_BIG = 4009
/** RFC 6455 §5.5: a close frame's body is at most 125 bytes, 2 of them the code. */
const MAX_REASON_BYTES = 123

export function createBrowserWsTransport(init: BrowserWsTransportInit = {}): Transport {
  const dialTimeoutMs = init.dialTimeoutMs ?? 10_000
  return { dial: (address) => dial(address, dialTimeoutMs) }
}

function dial(address: string, timeoutMs: number): Promise<Link> {
  return new Promise((resolve, reject) => {
    let url: URL
    try {
      url = new URL(address)
    } catch {
      reject(new DialError('not a ws:// or wss:// address'))
      return
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      reject(new DialError('not a ws:// or wss:// address'))
      return
    }
    // Only scheme, host and port: paths and queries may carry tokens.
    const where = `${url.protocol}//${url.host}`
    let socket: WebSocket
    try {
      socket = new WebSocket(address)
    } catch {
      reject(new DialError(`could not connect to ${where}`))
      return
    }
    socket.binaryType = 'arraybuffer'
    const fail = (detail: string): void => {
      clearTimeout(timer)
      socket.onopen = socket.onerror = socket.onclose = null
      socket.close()
      reject(new DialError(`could not connect to ${where} (${detail})`))
    }
    const timer = setTimeout(() => fail('timed out'), timeoutMs)
    // Browsers hide why a connection failed (WHATWG: no detail on 'error').
    socket.onerror = () => fail('connection failed')
    socket.onclose = (event) => fail(`closed before opening, code ${event.code}`)
    socket.onopen = () => {
      clearTimeout(timer)
      const port = url.port || (url.protocol === 'wss:' ? '443' : '80')
      resolve(wrapSocket(socket, `${url.protocol.slice(0, -1)}:${url.hostname}:${port}`))
    }
  })
}

function wrapSocket(socket: WebSocket, label: string): Link {
  let failure: string | undefined
  const core = createLinkCore({
    label,
    send: (bytes) => socket.send(bytes),
    close: (reason) => closeSocket(socket, CLOSE_NORMAL, reason),
    bufferedAmount: () => socket.bufferedAmount,
  })
  const violate = (code: number, reason: string): void => {
    core.ended(reason)
    closeSocket(socket, code, reason)
  }
  socket.onmessage = (event: MessageEvent) => {
    const data: unknown = event.data
    if (typeof data === 'string') return violate(CLOSE_UNSUPPORTED_DATA, 'protocol: text frame')
    if (!(data instanceof ArrayBuffer)) return violate(CLOSE_UNSUPPORTED_DATA, 'protocol: unexpected data type')
    // The browser has no maxPayload: enforce the link limit on what arrives too.
    if (data.byteLength > MAX_MESSAGE_BYTES) return violate(CLOSE_TOO_BIG, 'protocol: message too large')
    core.receive(new Uint8Array(data))
  }
  socket.onerror = () => {
    failure ??= 'connection error'
  }
  socket.onclose = (event: CloseEvent) => {
    core.ended(event.reason || failure || `connection closed (code ${event.code})`)
  }
  return core.link
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.CLOSING || socket.readyState === WebSocket.CLOSED) return
  socket.close(code, truncateUtf8(reason, MAX_REASON_BYTES))
}

function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder()
  if (encoder.encode(text).length <= maxBytes) return text
  let out = ''
  let used = 0
  for (const char of text) {
    const size = encoder.encode(char).length
    if (used + size > maxBytes) break
    out += char
    used += size
  }
  return out
}

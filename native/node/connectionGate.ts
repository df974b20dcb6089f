/**
 * Admission for a relay's HTTP server (issue 10, connection hygiene): every TCP socket
 * is admitted or refused when it is accepted, against a cap on open sockets in total and
 * per remote address and a per-address token bucket for new connections (DESIGN.md §5,
 * engine/routing/tokenBucket.ts); each WebSocket upgrade also spends from the address's
 * 'handshakes' bucket, since an accepted link costs a Noise handshake. A refused socket
 * is not counted as open; it is answered with an HTTP status (503 when the relay is full,
 * 429 when the address is over its share) as soon as its request head arrives, so the
 * WebSocket never exists, and closed at its deadline if no head comes.
 *
 * Slow sockets: Node's `headersTimeout` / `requestTimeout` bound a request head and a
 * request (408), and a socket that has neither sent a request head nor completed an
 * upgrade `upgradeTimeoutMs` after it was accepted is destroyed, whatever it trickles.
 *
 * Loopback peers skip the per-address cap and budgets by default: a TLS proxy in front
 * of the relay makes every peer 127.0.0.1, and so do the loopback tests that start many
 * engines through one relay. The total cap applies to everyone.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { DEFAULT_ADDRESS_BUDGETS, addressBudgets } from '../../engine/routing/tokenBucket.ts'
import type { AddressAction, BudgetTable, Budgets } from '../../engine/routing/tokenBucket.ts'

export interface ConnectionLimits {
  /** A request head must arrive within this (server.headersTimeout). Default 5 s. */
  readonly headersTimeoutMs?: number
  /** A whole request must arrive within this (server.requestTimeout). Default 10 s. */
  readonly requestTimeoutMs?: number
  /** A socket that has sent no request head and completed no upgrade by then is closed. Default 10 s. */
  readonly upgradeTimeoutMs?: number
  /** Open sockets in total: links, upgrades in progress, plain HTTP. Default 10,000. */
  readonly maxConnections?: number
  /** Open sockets per remote address. Default 128 (a NAT'd office, each user a link and a few page loads). */
  readonly maxConnectionsPerAddress?: number
  /** Per-address budgets: 'connections' per accepted socket, 'handshakes' per upgrade. Default DEFAULT_ADDRESS_BUDGETS. */
  readonly addressBudgets?: BudgetTable<AddressAction>
  /** Loopback (127.0.0.0/8, ::1) skips the per-address cap and budgets. Default true. */
  readonly exemptLoopback?: boolean
  /** Time for the budgets (ms); default Date.now. */
  readonly now?: () => number
}

export type RefusalReason = 'total' | 'address' | 'rate' | 'handshakes'
export const REFUSAL_REASONS: readonly RefusalReason[] = ['total', 'address', 'rate', 'handshakes']

export interface Refusal {
  readonly reason: RefusalReason
  readonly status: 429 | 503
  /** Seconds after which a retry may succeed (the Retry-After header). */
  readonly retryAfterS: number
}

export interface ConnectionGateStats {
  /** Admitted sockets open now. */
  readonly open: number
  /** Remote addresses with open sockets or budgets not yet refilled. */
  readonly addresses: number
  /** Sockets admitted since start. */
  readonly admitted: number
  /** WebSocket upgrades completed since start: each is a link, and starts a Noise handshake. */
  readonly upgrades: number
  /** Sockets and upgrades refused since start, by reason. */
  readonly refused: Readonly<Record<RefusalReason, number>>
  /** Sockets closed because they sent no request head and completed no upgrade in time. */
  readonly timedOut: number
}

export interface ConnectionGate {
  /** Answers a plain HTTP request that arrived on a refused socket; true when it did (the caller must not). */
  answerRefused(req: IncomingMessage, res: ServerResponse): boolean
  /** Whether an upgrade may proceed: undefined, or the refusal to answer with (already counted). */
  admitUpgrade(req: IncomingMessage): Refusal | undefined
  /** The socket became a WebSocket (a link): its deadline ends. */
  upgraded(socket: Socket): void
  /** The remote address of a socket as the gate keys it: without port, IPv4-mapped IPv6 as IPv4. */
  addressOf(socket: Socket): string | undefined
  stats(): ConnectionGateStats
  /** Stops gating new sockets (those open keep their deadlines). */
  close(): void
}

interface AddressEntry {
  open: number
  budgets: Budgets<AddressAction> | null
}

interface SocketState {
  readonly address: string
  timer: ReturnType<typeof setTimeout> | undefined
  refusal: Refusal | undefined
}

/** Refused sockets waiting for their request head, at most: beyond, they are dropped unanswered. */
const MAX_PENDING_REFUSALS = 256
/** Idle address entries examined per accepted socket, so forgetting them costs O(1) each. */
const PRUNE_PER_ACCEPT = 4

const gates = new WeakMap<Server, ConnectionGate>()

/**
 * The server's gate, created on first call with `limits` (set before `listen`: Node reads
 * its connection-check interval then). Later calls return the same gate; passing limits
 * to a server already gated is a programming error.
 */
export function gateServer(server: Server, limits?: ConnectionLimits): ConnectionGate {
  const existing = gates.get(server)
  if (existing) {
    if (limits !== undefined) throw new Error('this server is already gated: pass its limits to the first gateServer call')
    return existing
  }
  const gate = createGate(server, limits ?? {})
  gates.set(server, gate)
  return gate
}

function createGate(server: Server, limits: ConnectionLimits): ConnectionGate {
  const headersTimeoutMs = limits.headersTimeoutMs ?? 5_000
  const requestTimeoutMs = Math.max(limits.requestTimeoutMs ?? 10_000, headersTimeoutMs)
  const upgradeTimeoutMs = limits.upgradeTimeoutMs ?? 10_000
  const maxConnections = limits.maxConnections ?? 10_000
  const maxPerAddress = limits.maxConnectionsPerAddress ?? 128
  const table = limits.addressBudgets ?? DEFAULT_ADDRESS_BUDGETS
  const exemptLoopback = limits.exemptLoopback ?? true
  const now = limits.now ?? Date.now

  server.headersTimeout = headersTimeoutMs
  server.requestTimeout = requestTimeoutMs
  // Node checks both timeouts on this interval (default 30 s, which would stretch a 5 s timeout to 35 s).
  // It is a createServer option that Node reads again at listen; @types/node only types the option.
  ;(server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1_000,
    Math.max(50, Math.floor(headersTimeoutMs / 4)),
  )

  const sockets = new WeakMap<Socket, SocketState>()
  const addresses = new Map<string, AddressEntry>()
  // Addresses with no open socket, oldest first: forgotten once their buckets are full again.
  const idle = new Map<string, AddressEntry>()
  const refused = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>
  let open = 0
  let admitted = 0
  let upgrades = 0
  let timedOut = 0
  let pendingRefusals = 0

  const exempt = (address: string): boolean => exemptLoopback && isLoopback(address)

  const budgetsOf = (entry: AddressEntry, at: number): Budgets<AddressAction> =>
    (entry.budgets ??= addressBudgets('stranger', at, table))

  const full = (entry: AddressEntry, at: number): boolean =>
    entry.budgets === null ||
    (['connections', 'handshakes'] as const).every((a) => entry.budgets!.available(a, at) >= table[entry.budgets!.tier][a].capacity)

  const pruneIdle = (at: number): void => {
    let examined = 0
    for (const [address, entry] of idle) {
      if (examined++ >= PRUNE_PER_ACCEPT || !full(entry, at)) return
      idle.delete(address)
      addresses.delete(address)
    }
  }

  const refusal = (reason: RefusalReason, retryAfterS: number): Refusal => {
    refused[reason]++
    return { reason, status: reason === 'total' ? 503 : 429, retryAfterS: Math.max(1, Math.ceil(retryAfterS)) }
  }

  const decide = (address: string, at: number): Refusal | undefined => {
    if (open >= maxConnections) return refusal('total', 5)
    if (exempt(address)) return undefined
    const entry = addresses.get(address)
    if (!entry) return undefined
    if (entry.open >= maxPerAddress) return refusal('address', 5)
    const budgets = budgetsOf(entry, at)
    if (!budgets.take('connections', at)) return refusal('rate', budgets.msUntil('connections', at) / 1000)
    return undefined
  }

  const onConnection = (socket: Socket): void => {
    const at = now()
    pruneIdle(at)
    const address = normalizeAddress(socket.remoteAddress) ?? 'unknown'
    if (!exempt(address) && !addresses.has(address)) {
      const entry: AddressEntry = { open: 0, budgets: null }
      addresses.set(address, entry)
      idle.set(address, entry)
    }
    const state: SocketState = { address, timer: undefined, refusal: decide(address, at) }
    if (state.refusal) {
      if (pendingRefusals >= MAX_PENDING_REFUSALS) {
        socket.destroy()
        return
      }
      pendingRefusals++
      socket.once('close', () => pendingRefusals--)
    } else {
      admitted++
      open++
      const entry = addresses.get(address)
      if (entry) {
        if (entry.open++ === 0) idle.delete(address)
      }
      socket.once('close', () => {
        open--
        if (entry && --entry.open === 0) {
          if (entry.budgets === null) addresses.delete(address)
          else idle.set(address, entry)
        }
      })
    }
    sockets.set(socket, state)
    state.timer = setTimeout(() => {
      if (!socket.destroyed) {
        timedOut++
        socket.destroy()
      }
    }, upgradeTimeoutMs)
    state.timer.unref()
    socket.once('close', () => clearTimeout(state.timer))
  }

  // A plain request head arrived in time: from here Node's request and keep-alive timeouts govern.
  const onRequest = (req: IncomingMessage): void => {
    const state = sockets.get(req.socket)
    if (state && !state.refusal) clearTimeout(state.timer)
  }

  server.on('connection', onConnection)
  server.on('request', onRequest)

  const gate: ConnectionGate = {
    answerRefused(req, res) {
      const state = sockets.get(req.socket)
      if (!state?.refusal) return false
      res.shouldKeepAlive = false
      res.writeHead(state.refusal.status, {
        'content-type': 'text/plain',
        'retry-after': String(state.refusal.retryAfterS),
        connection: 'close',
      })
      res.end(state.refusal.status === 503 ? 'Relay full' : 'Too many connections')
      return true
    },
    admitUpgrade(req) {
      const state = sockets.get(req.socket as Socket)
      // A socket accepted before the gate was attached is not gated.
      if (!state) return undefined
      if (state.refusal) return state.refusal
      const entry = addresses.get(state.address)
      if (entry) {
        const at = now()
        const budgets = budgetsOf(entry, at)
        if (!budgets.take('handshakes', at)) {
          state.refusal = refusal('handshakes', budgets.msUntil('handshakes', at) / 1000)
          return state.refusal
        }
      }
      return undefined
    },
    upgraded(socket) {
      upgrades++
      clearTimeout(sockets.get(socket)?.timer)
    },
    addressOf: (socket) => normalizeAddress(socket.remoteAddress),
    stats: () => ({ open, addresses: addresses.size, admitted, upgrades, refused: { ...refused }, timedOut }),
    close() {
      server.off('connection', onConnection)
      server.off('request', onRequest)
      if (gates.get(server) === gate) gates.delete(server)
    },
  }
  return gate
}

/** The refusal's bytes on a raw socket, for an upgrade (no ServerResponse exists for one). */
export function refusalResponse(refusal: Refusal): string {
  const text = refusal.status === 503 ? 'Service Unavailable' : 'Too Many Requests'
  return `HTTP/1.1 ${refusal.status} ${text}\r\nRetry-After: ${refusal.retryAfterS}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`
}

export function normalizeAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/** 127.0.0.0/8 or ::1 (after normalizeAddress). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1'
}

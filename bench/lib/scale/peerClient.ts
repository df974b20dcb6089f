/**
 * Child process of the relay-scale benchmark: holds a share of the light peers
 * (lightPeer.ts) and runs the client side of each phase when the parent calls:
 *
 *   prepare    — generate the peers' identities (node:crypto), untimed
 *   connect    — open every socket and handshake, `concurrency` at a time
 *   forward    — pairs (peer 2i sends to peer 2i+1, both here, so one clock times
 *                both ends) send paced envelopes through the relay
 *   disconnect — close every socket
 *
 * Each phase answers with its own CPU time (process.cpuUsage), so the parent can
 * tell whether the clients, rather than the relay, were the limit.
 */
import { nodeCrypto } from '../../../native/node/nodeCrypto.ts'
import { generateIdentity } from '../../../engine/identity/index.ts'
import type { Identity } from '../../../engine/identity/index.ts'
import { decodeEnvelope, encodeEnvelope, ENVELOPE_VERSION } from '../../../engine/wire/index.ts'
import { systemRandom } from '../../../workers/systemPorts.ts'
import { announceReady, serveCalls } from './childProcess.ts'
import { connectLightPeer } from './lightPeer.ts'
import type { LightPeer } from './lightPeer.ts'

export interface ConnectResult {
  readonly opened: number
  /** Failed connects by reason. */
  readonly failed: Record<string, number>
  readonly wallMs: number
  readonly cpuMs: number
  /** Per peer: socket creation to handshake complete, client side. */
  readonly handshakeMs: Float64Array
}

export interface ForwardResult {
  readonly pairs: number
  /** Envelopes sent, and offered by the pacing but not sent because the pair's window was full. */
  readonly sent: number
  readonly skipped: number
  /** Received by the end of the send window, and in all (after the drain). */
  readonly receivedInWindow: number
  readonly received: number
  /** Links that closed while forwarding. */
  readonly closed: number
  readonly sendWindowMs: number
  readonly wallMs: number
  readonly cpuMs: number
  /** Per received envelope: the sender's send() call to the receiver's decode, same process clock. */
  readonly latencyMs: Float64Array
}

export interface DisconnectResult {
  readonly closed: number
  readonly protocolErrors: number
  readonly pingsAnswered: number
}

/** Pacing granularity: small against the 100 ms between one pair's messages at 10/s. */
const TICK_MS = 5
const TTL = 8
const EXPIRY_MS = 60_000

const crypto = nodeCrypto()
const random = systemRandom()
let identities: Identity[] = []
let peers: (LightPeer | null)[] = []
/** Set during a forward phase: what a receiving peer's envelopes are counted into. */
let onReceive: ((peer: number, envelopes: readonly Uint8Array[]) => void) | null = null
let closedDuringForward = 0
/** Set by disconnect: a connect still running stops opening peers and closes what it opens. */
let closing = false

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(start)
  return (d.user + d.system) / 1000
}

/** Opens the peers from share `from` to share `to` of this client's identities (0–1): the parent connects in two steps. */
async function connect(url: string, concurrency: number, timeoutMs: number, from = 0, to = 1): Promise<ConnectResult> {
  const cpu = process.cpuUsage()
  const start = performance.now()
  if (from === 0) peers = identities.map(() => null)
  closing = false
  const failed: Record<string, number> = {}
  const handshakeMs: number[] = []
  let next = Math.floor(from * identities.length)
  const end = Math.floor(to * identities.length)
  const worker = async (): Promise<void> => {
    while (next < end && !closing) {
      const i = next++
      const t0 = performance.now()
      try {
        const peer = await connectLightPeer({
          url,
          identity: identities[i]!,
          crypto,
          random,
          timeoutMs,
          onEnvelopes: (envelopes) => onReceive?.(i, envelopes),
          onClose: () => {
            if (onReceive) closedDuringForward++
          },
        })
        handshakeMs.push(performance.now() - t0)
        if (closing) await peer.close()
        else peers[i] = peer
      } catch (error) {
        const reason = (error as Error).message
        failed[reason] = (failed[reason] ?? 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  return {
    opened: handshakeMs.length,
    failed,
    wallMs: performance.now() - start,
    cpuMs: cpuMsSince(cpu),
    handshakeMs: Float64Array.from(handshakeMs),
  }
}

interface ForwardInit {
  readonly pairs: number
  readonly durationMs: number
  /** Envelopes per second per pair. */
  readonly rate: number
  /** Envelopes one pair may have in flight; beyond it the pacing skips (counted). */
  readonly window: number
  readonly bodyBytes: number
  readonly drainMs: number
}

async function forward(init: ForwardInit): Promise<ForwardResult> {
  const pairs = Math.min(init.pairs, Math.floor(peers.length / 2))
  const inFlight = new Int32Array(pairs)
  const offered = new Float64Array(pairs)
  // A random phase per pair spreads the sends over each period instead of bursting on one tick.
  const phase = Float64Array.from({ length: pairs }, () => Math.random())
  const destinations = Array.from({ length: pairs }, (_, p) => identities[2 * p + 1]!.signingKey.publicKey)
  const latencyMs: number[] = []
  const idPrefix = random.bytes(8)
  let seq = 0
  let sent = 0
  let skipped = 0
  let received = 0
  let receivedInWindow = 0
  let outstanding = 0
  closedDuringForward = 0

  const cpu = process.cpuUsage()
  const start = performance.now()
  const sendEnd = start + init.durationMs
  let drained: () => void = () => {}
  const allIn = new Promise<void>((r) => (drained = r))

  onReceive = (peer, envelopes) => {
    const p = (peer - 1) / 2
    if (peer % 2 === 0 || p >= pairs) return
    const now = performance.now()
    for (const bytes of envelopes) {
      const body = decodeEnvelope(bytes).body
      latencyMs.push(now - new DataView(body.buffer, body.byteOffset, 8).getFloat64(0))
    }
    inFlight[p]! -= envelopes.length
    outstanding -= envelopes.length
    received += envelopes.length
    if (now <= sendEnd) receivedInWindow += envelopes.length
    else if (outstanding <= 0) drained()
  }

  const envelope = (p: number, expiresAt: number): Uint8Array => {
    const id = new Uint8Array(16)
    id.set(idPrefix)
    const view = new DataView(id.buffer)
    view.setUint32(8, Math.floor(seq / 2 ** 32))
    view.setUint32(12, seq >>> 0)
    seq++
    const body = new Uint8Array(init.bodyBytes)
    new DataView(body.buffer).setFloat64(0, performance.now())
    return encodeEnvelope({
      header: { version: ENVELOPE_VERSION, id, destination: destinations[p]!, ttl: TTL, attempt: 0, expiresAt },
      body,
    })
  }

  const tick = (): void => {
    const now = performance.now()
    if (now >= sendEnd) return
    const expiresAt = Date.now() + EXPIRY_MS
    const elapsedS = (now - start) / 1000
    for (let p = 0; p < pairs; p++) {
      const target = Math.floor(elapsedS * init.rate + phase[p]!)
      const due = target - offered[p]!
      if (due <= 0) continue
      offered[p] = target
      const sender = peers[2 * p]
      // A sender that never connected or has closed sends nothing: all it was offered is skipped.
      const n = sender?.open ? Math.min(due, init.window - inFlight[p]!) : 0
      skipped += due - Math.max(n, 0)
      if (n <= 0) continue
      const batch: Uint8Array[] = []
      for (let k = 0; k < n; k++) batch.push(envelope(p, expiresAt))
      sender!.sendEnvelopes(batch)
      inFlight[p]! += n
      outstanding += n
      sent += n
    }
  }
  const ticker = setInterval(tick, TICK_MS)
  tick()
  await new Promise((r) => setTimeout(r, init.durationMs))
  clearInterval(ticker)
  if (outstanding > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([allIn, new Promise((r) => (timer = setTimeout(r, init.drainMs)))])
    clearTimeout(timer)
  }
  onReceive = null
  return {
    pairs,
    sent,
    skipped,
    receivedInWindow,
    received,
    closed: closedDuringForward,
    sendWindowMs: init.durationMs,
    wallMs: performance.now() - start,
    cpuMs: cpuMsSince(cpu),
    latencyMs: Float64Array.from(latencyMs),
  }
}

async function disconnect(): Promise<DisconnectResult> {
  closing = true
  const open = peers.filter((p): p is LightPeer => p !== null)
  const result = {
    closed: open.length,
    protocolErrors: open.reduce((n, p) => n + p.protocolErrors, 0),
    pingsAnswered: open.reduce((n, p) => n + p.pingsAnswered, 0),
  }
  await Promise.all(open.map((p) => p.close()))
  peers = []
  return result
}

serveCalls(async (m) => {
  switch (m.type) {
    case 'prepare': {
      const start = performance.now()
      identities = Array.from({ length: Number(m.count) }, () => generateIdentity(crypto, random))
      return { ms: performance.now() - start }
    }
    case 'connect':
      return connect(String(m.url), Number(m.concurrency), Number(m.timeoutMs), Number(m.from ?? 0), Number(m.to ?? 1))
    case 'forward':
      return forward(m as unknown as ForwardInit)
    case 'disconnect':
      return disconnect()
    case 'exit':
      setImmediate(() => process.exit(0))
      return null
    default:
      throw new Error(`unknown call ${m.type}`)
  }
})
announceReady()

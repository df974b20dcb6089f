/**
 * Connection hygiene of a real relay on 127.0.0.1 (issue 10): slow and half-open
 * connections are closed within the configured timeouts, caps and the per-address
 * budget refuse with an HTTP status before a WebSocket exists, and link churn leaves
 * no socket, descriptor or link actor behind. Several loopback addresses
 * (127.0.0.2, .3 …) stand for distinct remote hosts, with the loopback exemption off.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { generateIdentity } from '../../../engine/identity/index.ts'
import { DEFAULT_ADDRESS_BUDGETS, scaleBudgets } from '../../../engine/routing/tokenBucket.ts'
import { HANDSHAKE_TIMEOUT_MS } from '../../../machines/peerLink.ts'
import { WAIT_MS, waitFor } from '../../../test/support/waitFor.ts'
import { systemRandom } from '../../../workers/systemPorts.ts'
import { nodeCrypto } from '../nodeCrypto.ts'
import { startRelay } from '../relayServer.ts'
import type { RelayHandle, RelayInit } from '../relayServer.ts'
import { runChurn } from './churnClient.ts'

const dirs: string[] = []
const relays: RelayHandle[] = []
const sockets: Array<Socket | WebSocket> = []

async function relayWith(init: Omit<RelayInit, 'dataDir' | 'port'>): Promise<RelayHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sovereign-hygiene-'))
  dirs.push(dataDir)
  const relay = await startRelay({ port: 0, dataDir, ...init })
  relays.push(relay)
  return relay
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s instanceof WebSocket ? s.terminate() : s.destroy()
  for (const relay of relays.splice(0)) await relay.close()
})
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const portOf = (relay: RelayHandle): number => Number(new URL(relay.httpUrl).port)

function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket))
    sockets.push(socket)
    socket.once('error', reject)
  })
}

/** A ws client from `from`: open, or the HTTP status it was refused with. */
function wsFrom(relay: RelayHandle, from: string): Promise<{ ws: WebSocket; status?: undefined } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(relay.linkUrl, { localAddress: from, perMessageDeflate: false })
    sockets.push(ws)
    ws.once('open', () => resolve({ ws }))
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 })
      res.resume()
      ws.terminate()
    })
    ws.once('error', reject)
  })
}

/** GET over a fresh socket from `from` (no keep-alive pool): status and body. */
function getFrom(url: string, from = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { localAddress: from, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
  })
}

/** One sample of /metrics, e.g. metric(page, 'sovereign_relay_connections_refused_total{reason="address"}'). */
function metric(page: string, sample: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${sample} `))
  return line === undefined ? undefined : Number(line.slice(sample.length + 1))
}

const closedCount = (list: readonly { closed: boolean }[]): number => list.filter((s) => s.closed).length

describe('relay connection hygiene', () => {
  it('closes half-sent and trickling upgrade requests within the header/upgrade timeout', async () => {
    const relay = await relayWith({ limits: { headersTimeoutMs: 500, upgradeTimeoutMs: 500 } })
    const slow = await Promise.all(Array.from({ length: 50 }, () => rawSocket(portOf(relay))))
    const states = slow.map((socket) => {
      const state = { closed: false }
      socket.on('error', () => {})
      socket.once('close', () => (state.closed = true))
      socket.write('GET /link HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Slow: ')
      return state
    })
    // Ten trickle a byte now and then: an idle timeout alone would never close them.
    const tricklers = slow.slice(0, 10).map((s) => setInterval(() => s.writable && s.write('x'), 100))
    try {
      // Node's defaults would hold them 60 s or more; this deadline only detects a hang.
      await waitFor('50 slow upgrade requests closed by the relay', () => closedCount(states) === 50, WAIT_MS / 2)
    } finally {
      tricklers.forEach(clearInterval)
    }
    const fresh = await wsFrom(relay, '127.0.0.1')
    expect(fresh.status).toBeUndefined()
  })

  it('refuses beyond the per-address and total caps with 429 / 503, before a WebSocket exists, and counts it', async () => {
    const relay = await relayWith({
      limits: {
        exemptLoopback: false,
        maxConnectionsPerAddress: 3,
        maxConnections: 5,
        addressBudgets: scaleBudgets(DEFAULT_ADDRESS_BUDGETS, 100),
      },
    })
    for (let i = 0; i < 3; i++) expect((await wsFrom(relay, '127.0.0.2')).status).toBeUndefined()
    expect((await wsFrom(relay, '127.0.0.2')).status).toBe(429)
    // A plain request on a refused socket gets the status too.
    expect((await getFrom(`${relay.httpUrl}/healthz`, '127.0.0.2')).status).toBe(429)

    const others = [await wsFrom(relay, '127.0.0.3'), await wsFrom(relay, '127.0.0.3')]
    expect(others.map((o) => o.status)).toEqual([undefined, undefined])
    expect((await wsFrom(relay, '127.0.0.4')).status).toBe(503)

    for (const o of others) if (o.status === undefined) o.ws.close()
    // The scrape itself needs a slot: wait until the relay has seen a close.
    const page = await waitFor('a scrape once a slot is free', async () => {
      const res = await getFrom(`${relay.httpUrl}/metrics`)
      return res.status === 200 ? res.body : undefined
    })
    expect(metric(page, 'sovereign_relay_connections_refused_total{reason="address"}')).toBe(2)
    expect(metric(page, 'sovereign_relay_connections_refused_total{reason="total"}')).toBeGreaterThanOrEqual(1)
    expect(metric(page, 'sovereign_relay_handshakes_started_total')).toBe(5)
  })

  it('spends the per-address connection budget and answers 429 once it is empty', async () => {
    const spec = { capacity: 3, refillPerSecond: 0.001 }
    const tight = { connections: spec, handshakes: spec }
    const relay = await relayWith({
      limits: { exemptLoopback: false, addressBudgets: { stranger: tight, contact: tight, chosenRelay: tight } },
    })
    for (let i = 0; i < 3; i++) {
      const ok = await wsFrom(relay, '127.0.0.5')
      expect(ok.status).toBeUndefined()
      if (ok.status === undefined) ok.ws.close()
    }
    expect((await wsFrom(relay, '127.0.0.5')).status).toBe(429)
    // Another address has its own budget.
    const page = (await getFrom(`${relay.httpUrl}/metrics`, '127.0.0.6')).body
    expect(metric(page, 'sovereign_relay_connections_refused_total{reason="rate"}')).toBe(1)
  })

  it('closes links that never send their Noise handshake after the handshake timeout', async () => {
    const relay = await relayWith({ handshakeTimeoutMs: 300 })
    const mute = await Promise.all(Array.from({ length: 20 }, () => wsFrom(relay, '127.0.0.1')))
    const states = mute.map((m) => {
      const state = { closed: false }
      if (m.status === undefined) m.ws.once('close', () => (state.closed = true))
      return state
    })
    expect((await getFrom(`${relay.httpUrl}/healthz`)).status).toBe(200)
    // Half the default timeout: a relay that ignored the configured 300 ms would hold them 10 s.
    await waitFor('20 mute links closed by the relay', () => closedCount(states) === 20, HANDSHAKE_TIMEOUT_MS / 2)
    const page = await waitFor('no link left handshaking', async () => {
      const body = (await getFrom(`${relay.httpUrl}/metrics`)).body
      return metric(body, 'sovereign_relay_links{state="handshaking"}') === 0 ? body : undefined
    })
    expect(metric(page, 'sovereign_relay_handshakes_started_total')).toBe(20)
  })

  it('leaves no socket, descriptor or link behind after 300 connect/handshake/close cycles', async () => {
    const relay = await relayWith({})
    const crypto = nodeCrypto()
    const random = systemRandom()
    const identity = generateIdentity(crypto, random)
    const fds = (): number => readdirSync('/proc/self/fd').length
    // One cycle first, so lazily opened descriptors (the crypto, the ws client) are in the baseline.
    await runChurn({ url: relay.linkUrl, identity, crypto, random, cycles: 1, concurrency: 1, timeoutMs: WAIT_MS })
    const before = fds()
    const result = await runChurn({ url: relay.linkUrl, identity, crypto, random, cycles: 300, concurrency: 10, timeoutMs: WAIT_MS })
    expect(result).toEqual({ completed: 300, failed: {} })
    const page = await waitFor('every churned link gone from the relay', async () => {
      const body = (await getFrom(`${relay.httpUrl}/metrics`)).body
      const links = body.split('\n').filter((l) => l.startsWith('sovereign_relay_links{'))
      const total = links.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0)
      // The scrape's own socket is the one open connection.
      return total === 0 && metric(body, 'sovereign_relay_connections_open') === 1 ? body : undefined
    })
    expect(metric(page, 'sovereign_relay_handshakes_started_total')).toBe(301)
    await waitFor(`descriptors back to ${before} (+2 for scrapes closing)`, () => fds() <= before + 2)
  })
})

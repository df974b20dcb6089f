/**
 * WebRTC links between two Chromium pages, each with a worker whose transport
 * drives the page's RTCPeerConnections through the main-thread bridge
 * (workers/rtcTransport.ts ↔ workers/rtcBridge.ts). The test relays the
 * signals between the pages, as the mesh would (encoded with encodeRtcSignal).
 *
 * WebRTC traffic must never leave loopback, so this file runs only inside a
 * network namespace that has nothing but `lo` (TOOLING.md), and skips loudly
 * elsewhere:
 *
 *   unshare -n sh -c 'ip link set lo up && exec npx vitest run test/e2e/rtcBridge.test.ts'
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { build, preview } from 'vite'
import type { PreviewServer } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.ts'
import { onlyLoopback, WEBRTC_FLAGS } from '../support/netns.ts'
import { WAIT_MS } from '../support/waitFor.ts'
import { OPENING_DIAL_TIMEOUT_MS } from '../../engine/ports/test/transportContract.ts'
import type { TestCommand, TestEvent } from './rtc-page/protocol.ts'

const isolated = onlyLoopback('test/e2e/rtcBridge.test.ts')

const PAGE_DIR = resolve(import.meta.dirname, 'rtc-page')
const WAIT = WAIT_MS
const A = 'aa'.repeat(32)
const B = 'bb'.repeat(32)
const NOBODY = 'cc'.repeat(32)

interface Peer {
  readonly id: string
  readonly page: Page
  readonly context: BrowserContext
  readonly pageErrors: string[]
}

describe.skipIf(!isolated)('WebRTC links through the main-thread bridge (Chromium)', () => {
  let outDir: string
  let server: PreviewServer
  let url: string
  let browser: Browser
  let peers: Peer[] = []

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'sovereign-rtc-page-'))
    const shared = { configFile: false as const, root: PAGE_DIR, logLevel: 'warn' as const }
    await build({ ...shared, build: { outDir, emptyOutDir: true, target: 'es2022' }, worker: { format: 'es' } })
    server = await preview({ ...shared, build: { outDir }, preview: { host: '127.0.0.1', port: 0 } })
    url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/`
    browser = await launchChromium({ args: WEBRTC_FLAGS })
  })

  afterEach(async () => {
    for (const peer of peers) expect(peer.pageErrors, `page errors of ${peer.id.slice(0, 4)}`).toEqual([])
    await Promise.all(peers.map((peer) => peer.context.close()))
    peers = []
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    if (outDir !== undefined) await rm(outDir, { recursive: true, force: true })
  })

  function command(peer: Peer, cmd: TestCommand): Promise<void> {
    return peer.page.evaluate((c) => window.rtcTest.command(c), cmd)
  }

  /** Waits for the first `ev` event whose fields match `match` (an 'error' event fails the test instead). */
  async function event<E extends TestEvent['ev']>(peer: Peer, ev: E, match: Record<string, unknown> = {}): Promise<Extract<TestEvent, { ev: E }>> {
    const handle = await peer.page.waitForFunction(
      ([wanted, fields]: [string, Record<string, unknown>]) =>
        window.rtcTest.events.find(
          (e) => e.ev === 'error' || (e.ev === wanted && Object.entries(fields).every(([k, v]) => (e as Record<string, unknown>)[k] === v)),
        ),
      [ev, match] as [string, Record<string, unknown>],
      { timeout: WAIT, polling: 10 },
    )
    const found = (await handle.jsonValue()) as TestEvent
    if (found.ev === 'error' && ev !== 'error') throw new Error(`worker of ${peer.id.slice(0, 4)}: ${found.name}: ${found.message}`)
    return found as Extract<TestEvent, { ev: E }>
  }

  async function events(peer: Peer, ev: TestEvent['ev']): Promise<TestEvent[]> {
    return peer.page.evaluate((wanted) => window.rtcTest.events.filter((e) => e.ev === wanted), ev)
  }

  async function open(id: string, dialTimeoutMs = OPENING_DIAL_TIMEOUT_MS): Promise<Peer> {
    const context = await browser.newContext()
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT)
    const peer: Peer = { id, page, context, pageErrors: [] }
    page.on('pageerror', (err) => peer.pageErrors.push(err.message))
    // The mesh's part: carry each signal to the page of the peer it names.
    await page.exposeFunction('relaySignal', async (to: string, bytes: number[]) => {
      const target = peers.find((p) => p.id === to)
      if (target) await command(target, { op: 'signal', from: id, bytes })
    })
    peers.push(peer)
    await page.goto(url)
    await page.waitForFunction(() => window.rtcTest !== undefined)
    await command(peer, { op: 'init', selfId: id, dialTimeoutMs })
    await event(peer, 'ready')
    return peer
  }

  async function connect(): Promise<{ a: Peer; b: Peer; openMs: number }> {
    const a = await open(A)
    const b = await open(B)
    await command(b, { op: 'listen' })
    await event(b, 'listening')
    await command(a, { op: 'dial', peer: B })
    const dialled = await event(a, 'link', { how: 'dialled' })
    const accepted = await event(b, 'link', { how: 'accepted' })
    expect(dialled.label).toMatch(/^rtc:[0-9a-f]{16}$/)
    expect(accepted.label).toBe(dialled.label)
    return { a, b, openMs: dialled.openMs }
  }

  it('opens a link, carries messages both ways in order, and closes both ends once', async () => {
    const { a, b, openMs } = await connect()
    const fromA = Array.from({ length: 200 }, (_, i) => `a${i}`)
    const fromB = Array.from({ length: 200 }, (_, i) => `b${i} ${'é'.repeat(i % 7)}`)
    await Promise.all([command(a, { op: 'send', texts: fromA }), command(b, { op: 'send', texts: fromB })])
    await event(b, 'message', { text: fromA.at(-1)! })
    await event(a, 'message', { text: fromB.at(-1)! })
    expect((await events(b, 'message')).map((e) => (e as { text: string }).text)).toEqual(fromA)
    expect((await events(a, 'message')).map((e) => (e as { text: string }).text)).toEqual(fromB)

    await command(a, { op: 'send', texts: ['last words'] })
    await command(a, { op: 'close', reason: 'bye' })
    expect((await event(a, 'closed')).reason).toBe('bye')
    expect((await event(b, 'closed')).reason).toBe('bye')
    expect((await events(b, 'message')).at(-1)).toEqual({ ev: 'message', text: 'last words' })
    await new Promise((r) => setTimeout(r, 100))
    expect(await events(a, 'closed')).toHaveLength(1)
    expect(await events(b, 'closed')).toHaveLength(1)
    console.log(`chromium bridge: link opened in ${openMs.toFixed(0)} ms`)
  })

  it('settles glare between two pages: both dial at once and share one link', async () => {
    const a = await open(A)
    const b = await open(B)
    await Promise.all([command(a, { op: 'listen' }), command(b, { op: 'listen' })])
    await Promise.all([event(a, 'listening'), event(b, 'listening')])
    await Promise.all([command(a, { op: 'dial', peer: B }), command(b, { op: 'dial', peer: A })])
    const [atA, atB] = await Promise.all([event(a, 'link'), event(b, 'link')])
    expect([atA.how, atB.how]).toEqual(['dialled', 'dialled'])
    expect(atA.label).toBe(atB.label)
    await command(b, { op: 'send', texts: ['hello from b'] })
    await event(a, 'message', { text: 'hello from b' })
  })

  it('rejects a dial that nobody answers with DialError', async () => {
    const a = await open(A, 500)
    await command(a, { op: 'dial', peer: NOBODY })
    const failure = await event(a, 'error')
    expect(failure.name).toBe('DialError')
    expect(failure.message).toMatch(/within 500 ms/)
  })

  it('moves 16 KiB messages with bufferedAmount backpressure across the bridge', async () => {
    const { a, b } = await connect()
    const total = 16 * 1024 * 1024
    await command(b, { op: 'expect', total })
    const started = Date.now()
    await command(a, { op: 'flood', total, size: 16 * 1024 })
    const flooded = await event(a, 'flooded')
    const drained = await event(b, 'drained')
    const seconds = (Date.now() - started) / 1000
    expect(drained.bytes).toBe(total)
    // Backpressure held: the worker never queued far past its 1 MiB mark.
    expect(flooded.maxBuffered).toBeLessThan(2 * 1024 * 1024)
    console.log(`chromium bridge: ${(total / 1e6 / seconds).toFixed(1)} MB/s for 16 KiB messages (receiver side ${(total / 1e6 / (drained.ms / 1000)).toFixed(1)} MB/s)`)
  })
})

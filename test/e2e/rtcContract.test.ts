/**
 * The shared Transport/Link contract (engine/ports/test/transportContract.ts)
 * against WebRTC in Chromium: each Link end lives in the worker of a real page
 * (test/e2e/rtc-page/contract.html), whose bridged transport
 * (workers/rtcTransport.ts) drives the page's RTCPeerConnections through the
 * main-thread bridge (workers/rtcBridge.ts). The test relays the signals
 * between the two pages, as the mesh would, and hands the contract a proxy
 * Link per end (`PageLink`) that forwards every call to the page.
 *
 * What the proxy does itself, and why: a page call is asynchronous, but
 * `send` must throw at once, so the proxy throws LinkClosedError (after its
 * own or the page's close) and MessageTooLargeError (over MAX_MESSAGE_BYTES)
 * without asking the page. Everything else is the page's: onMessage/onClose
 * are set on the worker's link only when the contract sets them (so queued
 * bytes and early closes are the real link's queueing), every `close` call is
 * forwarded (so a second close is the real link's no-op), labels, close
 * reasons, DialError names and bufferedAmount come from the worker. Any error
 * the worker did not expect fails the test in cleanup.
 *
 * WebRTC traffic must never leave loopback, so this file runs only inside a
 * network namespace that has nothing but `lo` (TOOLING.md), and skips loudly
 * elsewhere:
 *
 *   unshare -n sh -c 'ip link set lo up && exec npx vitest run test/e2e/rtcContract.test.ts'
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { build, preview } from 'vite'
import type { PreviewServer } from 'vite'
import { afterAll, beforeAll, describe } from 'vitest'
import type { Link } from '../../engine/ports/transport.ts'
import { acceptQueue, FAILING_DIAL_TIMEOUT_MS, OPENING_DIAL_TIMEOUT_MS, transportContract } from '../../engine/ports/test/transportContract.ts'
import type { TransportHarness } from '../../engine/ports/test/transportContract.ts'
import { LinkClosedError, MessageTooLargeError } from '../../engine/transport/errors.ts'
import { MAX_MESSAGE_BYTES } from '../../engine/transport/linkCore.ts'
import { launchChromium } from '../support/chromium.ts'
import { onlyLoopback, WEBRTC_FLAGS } from '../support/netns.ts'
import type { ContractCommand, ContractEvent } from './rtc-page/contractProtocol.ts'

const isolated = onlyLoopback('test/e2e/rtcContract.test.ts')

const PAGE_DIR = resolve(import.meta.dirname, 'rtc-page')
/** Past the worker's own dial deadline (OPENING_DIAL_TIMEOUT_MS): only a lost answer runs into it. */
const WAIT = OPENING_DIAL_TIMEOUT_MS + 15_000
const A = 'aa'.repeat(32)
const B = 'bb'.repeat(32)
const NOBODY = 'cc'.repeat(32)

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** An error as the worker threw it: same name and message. */
function remoteError(name: string, message: string): Error {
  const err = new Error(message)
  err.name = name
  return err
}

/** One page: its worker's transport, and the commands and events that cross to it. */
class PagePeer {
  readonly pageErrors: string[] = []
  /** Errors the worker reported that no command expected. */
  readonly workerErrors: string[] = []
  readonly links = new Map<number, PageLink>()
  readonly accepted = acceptQueue()
  private readonly waiters: { ev: ContractEvent['ev']; resolve: () => void }[] = []
  private readonly dials = new Map<number, { resolve: (link: Link) => void; reject: (err: Error) => void }>()
  private nextReq = 1
  private nextSeq = 0
  private readonly early = new Map<number, ContractEvent[]>()
  private outbox: ContractCommand[] = []
  /** Bytes per link in `outbox`, and in the batch on its way. */
  private outboxBytes = new Map<number, number>()
  private inFlight = false
  closing = false

  readonly id: string
  readonly page: Page
  readonly context: BrowserContext
  private readonly relay: (to: string, from: string, bytes: number[]) => void

  constructor(id: string, page: Page, context: BrowserContext, relay: (to: string, from: string, bytes: number[]) => void) {
    this.id = id
    this.page = page
    this.context = context
    this.relay = relay
  }

  /** Queues `command`; commands reach the page in order, in one evaluate per batch. */
  command(command: ContractCommand, bytes = 0): void {
    if (this.closing) return
    const last = this.outbox[this.outbox.length - 1]
    if (command.op === 'send' && last?.op === 'send' && last.link === command.link) {
      this.outbox[this.outbox.length - 1] = { ...last, data: [...last.data, ...command.data] }
    } else {
      this.outbox.push(command)
    }
    if (command.op === 'send') this.outboxBytes.set(command.link, (this.outboxBytes.get(command.link) ?? 0) + bytes)
    queueMicrotask(() => this.flush())
  }

  private flush(): void {
    if (this.inFlight || this.outbox.length === 0 || this.closing) return
    this.inFlight = true
    const batch = this.outbox
    const sent = this.outboxBytes
    this.outbox = []
    this.outboxBytes = new Map()
    this.page
      .evaluate((commands) => window.rtcContract.command(commands), batch)
      .then(
        () => {
          for (const [link, bytes] of sent) this.links.get(link)?.handed(bytes)
        },
        (err: Error) => {
          if (!this.closing) this.workerErrors.push(`evaluate: ${err.message}`)
        },
      )
      .finally(() => {
        this.inFlight = false
        this.flush()
      })
  }

  /** A numbered batch from the page; batches are handled in the page's order. */
  receive(seq: number, events: ContractEvent[]): void {
    this.early.set(seq, events)
    for (let next = this.early.get(this.nextSeq); next; next = this.early.get(this.nextSeq)) {
      this.early.delete(this.nextSeq++)
      for (const event of next) this.handle(event)
    }
  }

  private handle(event: ContractEvent): void {
    switch (event.ev) {
      case 'signal':
        return this.relay(event.to, this.id, event.bytes)
      case 'ready':
      case 'listening':
      case 'stopped': {
        const index = this.waiters.findIndex((w) => w.ev === event.ev)
        if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve()
        return
      }
      case 'dialled':
        this.dials.get(event.req)?.resolve(this.adopt(event.link, event.label))
        this.dials.delete(event.req)
        return
      case 'dialFailed':
        this.dials.get(event.req)?.reject(remoteError(event.name, event.message))
        this.dials.delete(event.req)
        return
      case 'accepted':
        return this.accepted.onLink(this.adopt(event.link, event.label))
      case 'message':
        return this.links.get(event.link)?.arrived(event.data)
      case 'closed':
        return this.links.get(event.link)?.ended(event.reason)
      case 'buffered':
        return this.links.get(event.link)?.reported(event.amount)
      case 'error':
        this.workerErrors.push(`${event.name}: ${event.message}`)
        return
    }
  }

  private adopt(id: number, label: string): PageLink {
    const link = new PageLink(this, id, label)
    this.links.set(id, link)
    return link
  }

  /** Sends `command` and waits for the event that answers it. */
  async call(command: ContractCommand, answer: ContractEvent['ev']): Promise<void> {
    const done = new Promise<void>((resolve) => this.waiters.push({ ev: answer, resolve }))
    this.command(command)
    await withTimeout(done, `${answer} from ${this.id.slice(0, 4)}`)
  }

  dial(address: string, timeoutMs?: number): Promise<Link> {
    const req = this.nextReq++
    const result = new Promise<Link>((resolve, reject) => this.dials.set(req, { resolve, reject }))
    this.command({ op: 'dial', req, address, ...(timeoutMs !== undefined ? { timeoutMs } : {}) })
    // The worker's own dial deadline answers first; this one only guards against a lost answer.
    return withTimeout(result, `dial ${address.slice(0, 12)}…`)
  }
}

/** A Link whose end lives in the page's worker. */
class PageLink implements Link {
  private localClose = false
  private remoteClose = false
  /** Bytes sent here that the page has not taken yet, and the worker link's last reported bufferedAmount. */
  private pending = 0
  private workerBuffered = 0
  private messageHandler: ((bytes: Uint8Array) => void) | undefined
  private closeHandler: ((reason: string) => void) | undefined

  private readonly peer: PagePeer
  private readonly id: number
  readonly label: string

  constructor(peer: PagePeer, id: number, label: string) {
    this.peer = peer
    this.id = id
    this.label = label
  }

  get bufferedAmount(): number {
    return this.localClose || this.remoteClose ? 0 : this.pending + this.workerBuffered
  }

  send(bytes: Uint8Array): void {
    // Mirrored here: the page cannot answer synchronously (see the file comment).
    if (this.localClose || this.remoteClose) throw new LinkClosedError()
    if (bytes.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError(`${bytes.length} bytes is over ${MAX_MESSAGE_BYTES}`)
    this.pending += bytes.length
    this.peer.command({ op: 'send', link: this.id, data: [Buffer.from(bytes).toString('base64')] }, bytes.length)
  }

  onMessage(handler: (bytes: Uint8Array) => void): void {
    const first = this.messageHandler === undefined
    this.messageHandler = handler
    if (first) this.peer.command({ op: 'onMessage', link: this.id })
  }

  onClose(handler: (reason: string) => void): void {
    const first = this.closeHandler === undefined
    this.closeHandler = handler
    if (first) this.peer.command({ op: 'onClose', link: this.id })
  }

  close(reason?: string): void {
    this.localClose = true
    // Every call goes to the worker: closing twice is the real link's business.
    this.peer.command(reason === undefined ? { op: 'close', link: this.id } : { op: 'close', link: this.id, reason })
  }

  /** From the page. */
  handed(bytes: number): void {
    this.pending -= bytes
  }
  reported(amount: number): void {
    this.workerBuffered = amount
  }
  arrived(data: string): void {
    // A plain Uint8Array, not a Buffer, as any transport hands over.
    this.messageHandler?.(new Uint8Array(Buffer.from(data, 'base64')))
  }
  ended(reason: string): void {
    this.remoteClose = true
    this.closeHandler?.(reason)
  }
}

describe.skipIf(!isolated)('WebRTC transport contract between two Chromium pages', () => {
  let outDir: string
  let server: PreviewServer
  let url: string
  let browser: Browser

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'sovereign-rtc-contract-'))
    const shared = { configFile: false as const, root: PAGE_DIR, logLevel: 'warn' as const }
    await build({
      ...shared,
      build: { outDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input: resolve(PAGE_DIR, 'contract.html') } },
      worker: { format: 'es' },
    })
    server = await preview({ ...shared, build: { outDir }, preview: { host: '127.0.0.1', port: 0 } })
    url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/contract.html`
    browser = await launchChromium({ args: WEBRTC_FLAGS })
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    if (outDir !== undefined) await rm(outDir, { recursive: true, force: true })
  })

  async function open(id: string, peers: PagePeer[]): Promise<PagePeer> {
    const context = await browser.newContext()
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT)
    // The mesh's part: carry each signal to the page of the peer it names (a dead peer's never arrive).
    const relay = (to: string, from: string, bytes: number[]): void => peers.find((p) => p.id === to)?.command({ op: 'signal', from, bytes })
    const peer = new PagePeer(id, page, context, relay)
    page.on('pageerror', (err) => peer.pageErrors.push(err.message))
    await page.exposeFunction('contractEvents', (seq: number, events: ContractEvent[]) => peer.receive(seq, events))
    peers.push(peer)
    await page.goto(url)
    await page.waitForFunction(() => window.rtcContract !== undefined)
    await peer.call({ op: 'init', selfId: id, dialTimeoutMs: OPENING_DIAL_TIMEOUT_MS }, 'ready')
    return peer
  }

  transportContract('rtc in Chromium, worker transport over the main-thread bridge', async (): Promise<TransportHarness> => {
    const peers: PagePeer[] = []
    const [dialer, listener] = await Promise.all([open(A, peers), open(B, peers)])
    await listener.call({ op: 'listen' }, 'listening')
    return {
      async connect() {
        const link = await dialer.dial(`rtc:${B}`)
        return { dialer: link, acceptor: await withTimeout(listener.accepted.next(), 'the accepted link') }
      },
      dial: (address) => dialer.dial(address, FAILING_DIAL_TIMEOUT_MS),
      deadAddress: `rtc:${NOBODY}`,
      listenAddress: `rtc:${B}`,
      stopListening: () => listener.call({ op: 'stopListening' }, 'stopped'),
      async cleanup() {
        // Let the last commands (a close, a late send) reach the page before judging it.
        await new Promise((r) => setTimeout(r, 20))
        const problems = peers.flatMap((p) => [...p.pageErrors.map((e) => `page ${p.id.slice(0, 4)}: ${e}`), ...p.workerErrors.map((e) => `worker ${p.id.slice(0, 4)}: ${e}`)])
        for (const p of peers) p.closing = true
        await Promise.all(peers.map((p) => p.context.close()))
        if (problems.length > 0) throw new Error(`unexpected errors in the pages:\n${problems.join('\n')}`)
      },
    }
  })
})

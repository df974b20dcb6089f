/**
 * The worker transport and the main-thread bridge, end to end in Node: the
 * bridge drives W3C RTCPeerConnections (node-datachannel's polyfill standing in
 * for Chromium's, bound to 127.0.0.1) and talks to the worker side over a real
 * MessageChannel. So the shared contract covers the bridge protocol (batching,
 * transfers, bufferedAmount reports, close notices) on every run; the real
 * browser runs in test/e2e/rtcBridge.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { acceptQueue, FAILING_DIAL_TIMEOUT_MS, OPENING_DIAL_TIMEOUT_MS, probe, transportContract } from '../../engine/ports/test/transportContract.ts'
import { createMemorySignalling } from '../../engine/transport/rtcSignalling.ts'
import type { RtcSignaller, RtcTransport } from '../../engine/transport/rtcSignalling.ts'
import { attachRtcBridge } from '../rtcBridge.ts'
import type { RtcBridgeEvent } from '../rtcBridge.ts'
import { createBridgedRtcTransport } from '../rtcTransport.ts'

let polyfill: typeof import('node-datachannel/polyfill') | undefined
let ndc: typeof import('node-datachannel').default | undefined
try {
  polyfill = await import('node-datachannel/polyfill')
  ndc = (await import('node-datachannel')).default
} catch (err) {
  console.error(
    `\n!!! SKIPPING the WebRTC bridge tests: node-datachannel did not load (${(err as Error).message.split('\n', 1)[0]}).\n` +
      '!!! Run `npm ci` on a supported platform (node-datachannel ships prebuilt binaries in @node-datachannel/*).\n',
  )
}

if (polyfill) {
  const Base = polyfill.RTCPeerConnection
  // Never leave loopback; libdatachannel gathers nothing here without a bind address (TOOLING.md).
  ;(globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = class extends Base {
    constructor(config?: RTCConfiguration) {
      super({ ...config, bindAddress: '127.0.0.1' } as ConstructorParameters<typeof Base>[0])
    }
  }
}

const A = 'aa'.repeat(32)
const B = 'bb'.repeat(32)
const NOBODY = 'cc'.repeat(32)

interface Side {
  readonly transport: RtcTransport
  readonly detach: () => void
  /** Every array of events the bridge posted to the worker. */
  readonly posts: RtcBridgeEvent[][]
}

const sides: Side[] = []
function side(signaller: RtcSignaller, selfId: string, dialTimeoutMs = 3_000): Side {
  const channel = new MessageChannel()
  const detach = attachRtcBridge(channel.port1)
  const posts: RtcBridgeEvent[][] = []
  channel.port2.addEventListener('message', (event: MessageEvent) => posts.push(event.data as RtcBridgeEvent[]))
  const transport = createBridgedRtcTransport({ port: channel.port2, signaller, selfId, dialTimeoutMs })
  const s = { transport, detach, posts }
  sides.push(s)
  return s
}

function release(s: Side): void {
  s.transport.close()
  s.detach()
}

afterAll(async () => {
  for (const s of sides) release(s)
  await new Promise((resolve) => setTimeout(resolve, 100))
  ndc?.cleanup()
})

const suite = polyfill ? describe : describe.skip

if (polyfill) {
  transportContract('rtc through the main-thread bridge (node-datachannel polyfill)', async () => {
    const signalling = createMemorySignalling()
    const dialer = side(signalling.signaller(A), A, OPENING_DIAL_TIMEOUT_MS)
    const listening = side(signalling.signaller(B), B, OPENING_DIAL_TIMEOUT_MS)
    const accepted = acceptQueue()
    const listener = await listening.transport.listen('rtc:', accepted.onLink)
    return {
      async connect() {
        const link = await dialer.transport.dial(listener.address)
        return { dialer: link, acceptor: await accepted.next() }
      },
      dial: (address) => dialer.transport.dial(address, { timeoutMs: FAILING_DIAL_TIMEOUT_MS }),
      deadAddress: `rtc:${NOBODY}`,
      listenAddress: listener.address,
      stopListening: () => listener.close(),
      async cleanup() {
        release(dialer)
        release(listening)
      },
    }
  })
}

suite('bridged rtc transport', () => {
  it('batches a burst into few posts and reports bufferedAmount back to the worker', async () => {
    const signalling = createMemorySignalling()
    const a = side(signalling.signaller(A), A)
    const b = side(signalling.signaller(B), B)
    const accepted = acceptQueue()
    await b.transport.listen('rtc:', accepted.onLink)
    const sender = await a.transport.dial(`rtc:${B}`)
    const receiver = probe(await accepted.next())
    const postsBefore = b.posts.length
    const chunk = new Uint8Array(16 * 1024)
    for (let i = 0; i < 64; i++) sender.send(chunk)
    // The 64 sends are queued in the worker until the batch crosses the port.
    expect(sender.bufferedAmount).toBeGreaterThanOrEqual(64 * chunk.length)
    await receiver.received(64)
    // 64 messages arrive in far fewer posts than one each.
    const messagePosts = b.posts.slice(postsBefore).filter((events) => events.some((e) => e.type === 'message'))
    expect(messagePosts.length).toBeLessThan(64)
    const deadline = Date.now() + 5_000
    while (sender.bufferedAmount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(sender.bufferedAmount).toBe(0)
    expect(a.posts.flat().some((e) => e.type === 'buffered' && e.consumed === 64 * chunk.length)).toBe(true)
  })

  it('closes the link when the page detaches the bridge', async () => {
    const signalling = createMemorySignalling()
    const a = side(signalling.signaller(A), A)
    const b = side(signalling.signaller(B), B)
    const accepted = acceptQueue()
    await b.transport.listen('rtc:', accepted.onLink)
    const atA = probe(await a.transport.dial(`rtc:${B}`))
    const atB = probe(await accepted.next())
    b.detach()
    expect(await atB.closed()).toBe('bridge detached')
    expect(await atA.closed()).toMatch(/connection/)
  })
})

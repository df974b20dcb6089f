import { afterAll, describe, expect, it } from 'vitest'
import { acceptQueue, FAILING_DIAL_TIMEOUT_MS, OPENING_DIAL_TIMEOUT_MS, probe, transportContract } from '../../../engine/ports/test/transportContract.ts'
import type { Link } from '../../../engine/ports/transport.ts'
import { createMemorySignalling } from '../../../engine/transport/rtcSignalling.ts'
import type { RtcSignal, RtcSignaller, RtcTransport } from '../../../engine/transport/rtcSignalling.ts'

// node-datachannel is a native addon: if its binary cannot load here, say so
// loudly and skip, rather than fail every test with the same load error.
let rtc: typeof import('../rtcTransport.ts') | undefined
let ndc: typeof import('node-datachannel').default | undefined
try {
  rtc = await import('../rtcTransport.ts')
  ndc = (await import('node-datachannel')).default
} catch (err) {
  console.error(
    `\n!!! SKIPPING the node-datachannel WebRTC tests: the native module did not load (${(err as Error).message.split('\n', 1)[0]}).\n` +
      '!!! Run `npm ci` on a supported platform (node-datachannel ships prebuilt binaries in @node-datachannel/*).\n',
  )
}
const suite = rtc ? describe : describe.skip

const A = 'aa'.repeat(32)
const B = 'bb'.repeat(32)
const NOBODY = 'cc'.repeat(32)

const transports: RtcTransport[] = []
function transport(signaller: RtcSignaller, selfId: string, dialTimeoutMs = 1_500): RtcTransport {
  const t = rtc!.createNodeRtcTransport({ signaller, selfId, dialTimeoutMs })
  transports.push(t)
  return t
}

afterAll(async () => {
  for (const t of transports) t.close()
  // Waits for libdatachannel's threads, so the test process exits promptly.
  await new Promise((resolve) => setTimeout(resolve, 100))
  ndc?.cleanup()
})

async function errorOf(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (err: Error) => err,
  )
}

/** Both ends exchange one message each way. */
async function expectConnected(a: Link, b: Link): Promise<void> {
  const atA = probe(a)
  const atB = probe(b)
  a.send(Uint8Array.of(1))
  b.send(Uint8Array.of(2))
  expect(await atB.received(1)).toEqual([Uint8Array.of(1)])
  expect(await atA.received(1)).toEqual([Uint8Array.of(2)])
}

if (rtc) {
  for (const [dialerId, listenerId] of [[A, B], [B, A]] as const) {
    transportContract(`rtc (node-datachannel), dialer id ${dialerId < listenerId ? 'lower' : 'higher'}`, async () => {
      const signalling = createMemorySignalling()
      const dialer = transport(signalling.signaller(dialerId), dialerId, OPENING_DIAL_TIMEOUT_MS)
      const listening = transport(signalling.signaller(listenerId), listenerId, OPENING_DIAL_TIMEOUT_MS)
      const accepted = acceptQueue()
      const listener = await listening.listen('rtc:', accepted.onLink)
      return {
        async connect() {
          const link = await dialer.dial(listener.address)
          return { dialer: link, acceptor: await accepted.next() }
        },
        dial: (address) => dialer.dial(address, { timeoutMs: FAILING_DIAL_TIMEOUT_MS }),
        deadAddress: `rtc:${NOBODY}`,
        listenAddress: listener.address,
        stopListening: () => listener.close(),
        async cleanup() {
          dialer.close()
          listening.close()
        },
      }
    })
  }
}

suite('createNodeRtcTransport', () => {
  it('rejects a dial that nobody answers with DialError within the timeout', async () => {
    const signalling = createMemorySignalling()
    const dialer = transport(signalling.signaller(A), A, 400)
    // B exists but never listens, so it never answers the offer.
    transport(signalling.signaller(B), B)
    const started = Date.now()
    const err = await errorOf(dialer.dial(`rtc:${B}`))
    expect(err?.name).toBe('DialError')
    expect(err?.message).toMatch(/within 400 ms/)
    expect(Date.now() - started).toBeGreaterThanOrEqual(390)
  })

  it('refuses bad addresses, listens once, and reports its own address', async () => {
    const signalling = createMemorySignalling()
    const t = transport(signalling.signaller(A), A)
    expect((await errorOf(t.dial('rtc:not-hex')))?.name).toBe('DialError')
    expect((await errorOf(t.dial(`rtc:${A}`)))?.name).toBe('DialError')
    expect((await errorOf(t.dial(`ws://127.0.0.1:1/`)))?.name).toBe('DialError')
    expect((await errorOf(t.listen('ws://127.0.0.1:0/', () => {})))?.name).toBe('InvalidAddressError')
    const listener = await t.listen('rtc:', () => {})
    expect(listener.address).toBe(`rtc:${A}`)
    expect((await errorOf(t.listen('rtc:', () => {})))?.name).toBe('AddressInUseError')
    await listener.close()
  })

  it('settles glare: both dial at once, the lower id offers, both dials get one link', async () => {
    const signalling = createMemorySignalling()
    const a = transport(signalling.signaller(A), A)
    const b = transport(signalling.signaller(B), B)
    const listened: Link[] = []
    await a.listen('rtc:', (link) => listened.push(link))
    await b.listen('rtc:', (link) => listened.push(link))
    const [atA, atB] = await Promise.all([a.dial(`rtc:${B}`), b.dial(`rtc:${A}`)])
    await expectConnected(atA, atB)
    expect(atA.label).toBe(atB.label)
    expect(listened).toEqual([])
    atA.close('done')
    expect(await probe(atB).closed()).toBe('done')
  })

  it('joins a dial to the connection it is already answering', async () => {
    const signalling = createMemorySignalling()
    const a = transport(signalling.signaller(A), A)
    // B dials A the moment A's offer has reached it, before that connection opens.
    let b: RtcTransport
    let bDial: Promise<Link> | undefined
    const inner = signalling.signaller(B)
    const bSignaller: RtcSignaller = {
      send: (peerId, signal) => inner.send(peerId, signal),
      onSignal(handler) {
        inner.onSignal((peerId, signal: RtcSignal) => {
          handler(peerId, signal)
          if (signal.type === 'offer') bDial ??= b.dial(`rtc:${peerId}`)
        })
      },
    }
    b = transport(bSignaller, B)
    const listened: Link[] = []
    await b.listen('rtc:', (link) => listened.push(link))
    const atA = await a.dial(`rtc:${B}`)
    const atB = await bDial!
    await expectConnected(atA, atB)
    expect(listened).toEqual([])
  })

  it('ignores an offer it cannot parse and keeps serving others', async () => {
    const signalling = createMemorySignalling()
    const b = transport(signalling.signaller(B), B)
    const accepted = acceptQueue()
    await b.listen('rtc:', accepted.onLink)
    signalling.signaller(NOBODY).send(B, { type: 'offer', session: '0123456789abcdef', sdp: 'v=0\r\nnot really' })
    signalling.signaller(NOBODY).send(B, { type: 'answer', session: 'fedcba9876543210', sdp: 'v=0' })
    const a = transport(signalling.signaller(A), A)
    const atA = await a.dial(`rtc:${B}`)
    await expectConnected(atA, await accepted.next())
  })

  it('closes every link when the transport closes', async () => {
    const signalling = createMemorySignalling()
    const a = transport(signalling.signaller(A), A)
    const b = transport(signalling.signaller(B), B)
    const accepted = acceptQueue()
    await b.listen('rtc:', accepted.onLink)
    const atA = probe(await a.dial(`rtc:${B}`))
    const atB = probe(await accepted.next())
    b.close()
    expect(await atB.closed()).toBe('transport closed')
    expect(await atA.closed()).toBe('transport closed')
    expect((await errorOf(b.dial(`rtc:${A}`)))?.name).toBe('DialError')
  })

  it('moves 16 KiB messages at a useful rate with bufferedAmount backpressure', async () => {
    const signalling = createMemorySignalling()
    const a = transport(signalling.signaller(A), A)
    const b = transport(signalling.signaller(B), B)
    const accepted = acceptQueue()
    await b.listen('rtc:', accepted.onLink)
    const opening = Date.now()
    const sender = await a.dial(`rtc:${B}`)
    const openMs = Date.now() - opening
    const receiver = await accepted.next()
    const total = 32 * 1024 * 1024
    const chunk = new Uint8Array(16 * 1024)
    let received = 0
    const done = new Promise<void>((resolve) =>
      receiver.onMessage((bytes) => {
        received += bytes.length
        if (received >= total) resolve()
      }),
    )
    const started = performance.now()
    let sent = 0
    while (sent < total) {
      while (sender.bufferedAmount > 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 1))
      sender.send(chunk)
      sent += chunk.length
    }
    await done
    const seconds = (performance.now() - started) / 1000
    console.log(`node-datachannel: opened in ${openMs} ms; ${(total / 1e6 / seconds).toFixed(1)} MB/s for 16 KiB messages`)
    expect(received).toBe(total)
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../bytes.ts'
import { acceptQueue, FAILING_DIAL_TIMEOUT_MS, OPENING_DIAL_TIMEOUT_MS, probe, transportContract } from '../../ports/test/transportContract.ts'
import type { Link } from '../../ports/transport.ts'
import { isWellFormedText } from '../../wire/byteWriter.ts'
import { WIRE_ERROR_NAMES } from '../../wire/errors.ts'
import { MAX_MESSAGE_BYTES } from '../linkCore.ts'
import {
  MAX_CANDIDATE_BYTES,
  MAX_MID_BYTES,
  MAX_RTC_SIGNAL_BYTES,
  MAX_SDP_BYTES,
  createMemorySignalling,
  createSignalledRtcTransport,
  decodeRtcSignal,
  encodeRtcSignal,
} from '../rtcSignalling.ts'
import type { RtcPeer, RtcPeerEvents, RtcPeerFactory, RtcSignal, RtcSignaller, RtcTransport } from '../rtcSignalling.ts'

const A = 'aa'.repeat(32)
const B = 'bb'.repeat(32)
const NOBODY = 'cc'.repeat(32)
const SESSION = '0123456789abcdef'

const text = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .string({ unit: 'binary', minLength: min, maxLength: max })
    .filter((s) => {
      const bytes = new TextEncoder().encode(s).length
      return isWellFormedText(s) && bytes >= min && bytes <= max
    })
const signalArb: fc.Arbitrary<RtcSignal> = fc.oneof(
  fc.record({
    type: fc.constantFrom('offer' as const, 'answer' as const),
    session: fc.uint8Array({ minLength: 8, maxLength: 8 }).map(toHex),
    sdp: text(1, 2000),
  }),
  fc.record({
    type: fc.constant('candidate' as const),
    session: fc.uint8Array({ minLength: 8, maxLength: 8 }).map(toHex),
    candidate: text(1, 300),
    mid: text(1, MAX_MID_BYTES),
  }),
)

function errorName(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return (err as Error).name
  }
  return 'no error'
}

describe('rtc signal codec', () => {
  it('round-trips every signal', () => {
    fc.assert(
      fc.property(signalArb, (signal) => {
        expect(decodeRtcSignal(encodeRtcSignal(signal))).toEqual(signal)
      }),
    )
  })

  it('encodes known answers (from the layout in rtcSignalling.ts)', () => {
    expect(toHex(encodeRtcSignal({ type: 'offer', session: SESSION, sdp: 'v=0' }))).toBe('01010123456789abcdef03763d30')
    expect(toHex(encodeRtcSignal({ type: 'answer', session: SESSION, sdp: 'v=0' }))).toBe('01020123456789abcdef03763d30')
    expect(toHex(encodeRtcSignal({ type: 'candidate', session: SESSION, candidate: 'c', mid: '0' }))).toBe(
      '01030123456789abcdef01630130',
    )
  })

  it('answers a flipped bit with a typed error or another valid signal, never a crash', () => {
    fc.assert(
      fc.property(signalArb, fc.nat(), (signal, at) => {
        const bytes = encodeRtcSignal(signal)
        const bit = at % (bytes.length * 8)
        const flipped = bytes.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        try {
          expect(encodeRtcSignal(decodeRtcSignal(flipped))).toEqual(flipped)
        } catch (err) {
          expect(WIRE_ERROR_NAMES).toContain((err as Error).name)
        }
      }),
    )
  })

  it('rejects other versions, unknown types, truncation, trailing bytes and oversize', () => {
    const offer = encodeRtcSignal({ type: 'offer', session: SESSION, sdp: 'v=0' })
    expect(errorName(() => decodeRtcSignal(fromHex('0201')))).toBe('UnsupportedVersionError')
    expect(errorName(() => decodeRtcSignal(fromHex('0104')))).toBe('UnknownFrameTypeError')
    expect(errorName(() => decodeRtcSignal(new Uint8Array(0)))).toBe('MalformedError')
    for (let cut = 1; cut < offer.length; cut++) expect(errorName(() => decodeRtcSignal(offer.subarray(0, cut)))).toBe('MalformedError')
    expect(errorName(() => decodeRtcSignal(Uint8Array.of(...offer, 0)))).toBe('MalformedError')
    expect(errorName(() => decodeRtcSignal(new Uint8Array(MAX_RTC_SIGNAL_BYTES + 1)))).toBe('MalformedError')
    // An empty sdp, and invalid UTF-8 in it.
    expect(errorName(() => decodeRtcSignal(fromHex('01010123456789abcdef00')))).toBe('MalformedError')
    expect(errorName(() => decodeRtcSignal(fromHex('01010123456789abcdef01ff')))).toBe('MalformedError')
  })

  it('refuses to encode what it would not decode', () => {
    const big = 'x'.repeat(MAX_SDP_BYTES + 1)
    expect(errorName(() => encodeRtcSignal({ type: 'offer', session: SESSION, sdp: big }))).toBe('MalformedError')
    expect(errorName(() => encodeRtcSignal({ type: 'offer', session: SESSION, sdp: '' }))).toBe('MalformedError')
    expect(errorName(() => encodeRtcSignal({ type: 'offer', session: 'ABCDEF0123456789', sdp: 'v=0' }))).toBe('MalformedError')
    expect(errorName(() => encodeRtcSignal({ type: 'offer', session: '0123', sdp: 'v=0' }))).toBe('MalformedError')
    const longCandidate = 'c'.repeat(MAX_CANDIDATE_BYTES + 1)
    expect(errorName(() => encodeRtcSignal({ type: 'candidate', session: SESSION, candidate: longCandidate, mid: '0' }))).toBe(
      'MalformedError',
    )
    expect(errorName(() => encodeRtcSignal({ type: 'offer', session: SESSION, sdp: '\ud800' }))).toBe('MalformedError')
    expect(encodeRtcSignal({ type: 'offer', session: SESSION, sdp: 'x'.repeat(MAX_SDP_BYTES) }).length).toBe(MAX_RTC_SIGNAL_BYTES)
  })
})

interface FakePeer {
  readonly init: { readonly initiator: boolean }
  readonly events: RtcPeerEvents
  remote: FakePeer | undefined
  closed: boolean
  notices: string[]
}

interface FakeWire {
  readonly createPeer: RtcPeerFactory
  readonly peers: FakePeer[]
}

/**
 * Peer connections that pair through their descriptions, in memory: an offer
 * is a token naming the offerer, the answer names it back. Delivery is one
 * microtask later, like a socket's.
 */
function fakeWire(options: { refuseAnswers?: number; throwOnAnswer?: boolean } = {}): FakeWire {
  const offerers = new Map<string, FakePeer>()
  const answerers = new Map<string, FakePeer>()
  const peers: FakePeer[] = []
  let offers = 0
  let refusals = options.refuseAnswers ?? 0
  const later = (fn: () => void): void => void Promise.resolve().then(fn)
  const createPeer: RtcPeerFactory = (init, events) => {
    const me: FakePeer = { init, events, remote: undefined, closed: false, notices: [] }
    peers.push(me)
    let inFlight = 0
    let token = ''
    if (init.initiator) {
      token = `fake-offer-${++offers}`
      offerers.set(token, me)
      later(() => !me.closed && events.description('offer', token))
    }
    const peer: RtcPeer = {
      remoteDescription(type, sdp): void {
        if (type === 'offer') {
          if (!offerers.has(sdp)) return later(() => !me.closed && events.closed('bad remote description'))
          answerers.set(sdp, me)
          return later(() => !me.closed && events.description('answer', `answer-to-${sdp}`))
        }
        if (refusals > 0) {
          refusals--
          if (options.throwOnAnswer) throw new Error('refused')
          return later(() => !me.closed && events.closed('bad remote description'))
        }
        const answerer = answerers.get(sdp.replace('answer-to-', ''))
        if (!answerer || sdp !== `answer-to-${token}`) return later(() => events.closed('bad remote description'))
        me.remote = answerer
        answerer.remote = me
        later(() => {
          if (!me.closed) events.open()
          if (!answerer.closed) answerer.events.open()
        })
      },
      remoteCandidate(): void {},
      send(bytes): void {
        const copy = new Uint8Array(bytes)
        inFlight += copy.length
        later(() => {
          inFlight -= copy.length
          const remote = me.remote
          if (remote && !remote.closed) remote.events.message(copy)
        })
      },
      bufferedAmount: () => inFlight,
      close(notice): void {
        if (me.closed) return
        me.closed = true
        const remote = me.remote
        if (notice !== undefined) me.notices.push(notice)
        later(() => {
          if (!remote || remote.closed) return
          if (notice !== undefined) remote.events.text(notice)
          else remote.events.closed('connection closed')
        })
      },
    }
    return peer
  }
  return { createPeer, peers }
}

interface ManualClock {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  advance(ms: number): void
}

function manualClock(): ManualClock {
  let now = 0
  const timers = new Map<number, { at: number; fn: () => void }>()
  let next = 0
  return {
    setTimeout(fn, ms) {
      timers.set(++next, { at: now + ms, fn })
      return next
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
    advance(ms) {
      now += ms
      for (const [id, timer] of [...timers].sort((x, y) => x[1].at - y[1].at)) {
        if (timer.at > now) break
        timers.delete(id)
        timer.fn()
      }
    },
  }
}

let counter = 0
const random = { bytes: (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (++counter * 31 + i * 7) & 0xff) }
const systemTimers = { setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) }

function pair(wire = fakeWire(), clock: Pick<ManualClock, 'setTimeout' | 'clearTimeout'> = systemTimers, dialTimeoutMs = 200) {
  const signalling = createMemorySignalling()
  const make = (id: string, signaller: RtcSignaller = signalling.signaller(id)): RtcTransport =>
    createSignalledRtcTransport({ signaller, selfId: id, createPeer: wire.createPeer, clock, random, dialTimeoutMs })
  return { signalling, wire, make }
}

async function dialError(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (err: Error) => err,
  )
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

transportContract('rtc session logic over fake peer connections', async () => {
  const { make } = pair(fakeWire(), systemTimers, OPENING_DIAL_TIMEOUT_MS)
  const dialer = make(A)
  const listening = make(B)
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

describe('createSignalledRtcTransport', () => {
  it('rejects a dial with DialError when the deadline passes, and releases the peer', async () => {
    const clock = manualClock()
    const { make, wire } = pair(fakeWire(), clock, 10_000)
    const a = make(A)
    const dial = dialError(a.dial(`rtc:${NOBODY}`))
    await tick()
    clock.advance(9_999)
    expect(wire.peers[0]!.closed).toBe(false)
    clock.advance(1)
    const err = await dial
    expect(err?.name).toBe('DialError')
    expect(err?.message).toBe('rtc peer did not connect within 10000 ms')
    expect(wire.peers[0]!.closed).toBe(true)
  })

  it('drops an inbound connection that does not open in time', async () => {
    const clock = manualClock()
    const { make, wire, signalling } = pair(fakeWire(), clock, 1_000)
    const b = make(B)
    await b.listen('rtc:', () => {})
    // An offer whose sender never answers back (it has no transport).
    wire.createPeer({ initiator: true, label: 'x' }, { description() {}, open() {}, message() {}, text() {}, closed() {} })
    signalling.signaller(A).send(B, { type: 'offer', session: SESSION, sdp: 'fake-offer-1' })
    await tick()
    const answering = wire.peers[1]!
    expect(answering.init.initiator).toBe(false)
    expect(answering.closed).toBe(false)
    clock.advance(1_000)
    expect(answering.closed).toBe(true)
  })

  it('makes a fresh offer when the answer is refused, within the same dial', async () => {
    for (const throwOnAnswer of [false, true]) {
      const { make, wire } = pair(fakeWire({ refuseAnswers: 2, throwOnAnswer }), systemTimers, OPENING_DIAL_TIMEOUT_MS)
      const a = make(A)
      const b = make(B)
      const accepted = acceptQueue()
      await b.listen('rtc:', accepted.onLink)
      const link = await a.dial(`rtc:${B}`)
      const atB = probe(await accepted.next())
      link.send(Uint8Array.of(9))
      expect(await atB.received(1)).toEqual([Uint8Array.of(9)])
      expect(wire.peers.filter((p) => p.init.initiator)).toHaveLength(3)
    }
  })

  it('gives up after four refused offers', async () => {
    const { make, wire } = pair(fakeWire({ refuseAnswers: 4 }), systemTimers, OPENING_DIAL_TIMEOUT_MS)
    const a = make(A)
    await make(B).listen('rtc:', () => {})
    const err = await dialError(a.dial(`rtc:${B}`))
    expect(err?.name).toBe('DialError')
    expect(err?.message).toMatch(/bad remote description/)
    expect(wire.peers.filter((p) => p.init.initiator)).toHaveLength(4)
  })

  // Regression (issue 9): under load libdatachannel refused answers often enough that a glare
  // whose winning offer failed left the higher peer's dial on a dead session until its deadline.
  it('settles glare with one link when the winning offer is refused and made afresh', async () => {
    const { make, wire } = pair(fakeWire({ refuseAnswers: 1 }), systemTimers, OPENING_DIAL_TIMEOUT_MS)
    const a = make(A)
    const b = make(B)
    const listened: Link[] = []
    await a.listen('rtc:', (link) => listened.push(link))
    await b.listen('rtc:', (link) => listened.push(link))
    const [x, y] = await Promise.all([a.dial(`rtc:${B}`), b.dial(`rtc:${A}`)])
    expect(x.label).toBe(y.label)
    expect(listened).toEqual([])
    // The lower id offered twice (the first answer refused); the higher id's own offer was dropped.
    expect(wire.peers.filter((p) => p.init.initiator && !p.closed)).toHaveLength(1)
    const atY = probe(y)
    x.send(Uint8Array.of(5))
    expect(await atY.received(1)).toEqual([Uint8Array.of(5)])
  })

  it('pauses 25, 50, 100 ms before each fresh offer, within the dial deadline', async () => {
    const clock = manualClock()
    const { make, wire } = pair(fakeWire({ refuseAnswers: 4 }), clock, 10_000)
    const a = make(A)
    await make(B).listen('rtc:', () => {})
    const dial = dialError(a.dial(`rtc:${B}`))
    const offers = (): number => wire.peers.filter((p) => p.init.initiator).length
    for (const pause of [25, 50, 100]) {
      const before = offers()
      for (let i = 0; i < 10; i++) await tick()
      clock.advance(pause - 1)
      for (let i = 0; i < 10; i++) await tick()
      expect(offers()).toBe(before)
      clock.advance(1)
      await tick()
      expect(offers()).toBe(before + 1)
    }
    for (let i = 0; i < 10; i++) await tick()
    expect((await dial)?.message).toMatch(/bad remote description/)
    expect(offers()).toBe(4)
  })

  it('lets the peer offer carry a dial that is pausing before its next offer', async () => {
    const clock = manualClock()
    const { make, wire } = pair(fakeWire({ refuseAnswers: 1 }), clock, 10_000)
    const a = make(A)
    const b = make(B)
    await b.listen('rtc:', () => {})
    const listened: Link[] = []
    await a.listen('rtc:', (link) => listened.push(link))
    let settled = false
    const dial = a.dial(`rtc:${B}`).finally(() => (settled = true))
    for (let i = 0; i < 10; i++) await tick()
    expect(settled).toBe(false)
    // A's first offer was refused; A pauses. B (a fresh transport: the first one still answers the refused
    // offer, and a dial would join that) dials A meanwhile: its offer carries A's dial.
    b.close()
    const fromB = make(B).dial(`rtc:${A}`)
    for (let i = 0; i < 10; i++) await tick()
    const [x, y] = await Promise.all([dial, fromB])
    expect(x.label).toBe(y.label)
    expect(listened).toEqual([])
    // A's pause ends with nothing left to do: no second offer of its own.
    clock.advance(1_000)
    expect(wire.peers.filter((p) => p.init.initiator)).toHaveLength(2)
  })

  it('rejects a pausing dial at once when the transport closes', async () => {
    const clock = manualClock()
    const { make } = pair(fakeWire({ refuseAnswers: 1 }), clock, 10_000)
    const a = make(A)
    await make(B).listen('rtc:', () => {})
    const dial = dialError(a.dial(`rtc:${B}`))
    for (let i = 0; i < 10; i++) await tick()
    a.close()
    expect((await dial)?.message).toMatch(/transport is closed/)
  })

  for (const first of ['lower', 'higher'] as const) {
    it(`settles glare with one link when both dial at once (${first} id's dial first)`, async () => {
      const { make, wire } = pair()
      const a = make(A)
      const b = make(B)
      const listened: Link[] = []
      await a.listen('rtc:', (link) => listened.push(link))
      await b.listen('rtc:', (link) => listened.push(link))
      const dials = first === 'lower' ? [a.dial(`rtc:${B}`), b.dial(`rtc:${A}`)] : [b.dial(`rtc:${A}`), a.dial(`rtc:${B}`)]
      const [x, y] = await Promise.all(dials)
      expect(x!.label).toBe(y!.label)
      expect(listened).toEqual([])
      // Only the lower id's offer was answered: one connection, two peers.
      expect(wire.peers.filter((p) => p.remote)).toHaveLength(2)
      const atY = probe(y!)
      x!.send(Uint8Array.of(1))
      expect(await atY.received(1)).toEqual([Uint8Array.of(1)])
    })
  }

  it('ends a link whose peer sends text that is not a close notice, and tells the peer why', async () => {
    const { make, wire } = pair()
    const a = make(A)
    const b = make(B)
    const accepted = acceptQueue()
    await b.listen('rtc:', accepted.onLink)
    const atA = probe(await a.dial(`rtc:${B}`))
    const atB = probe(await accepted.next())
    const answerer = wire.peers.find((p) => !p.init.initiator)!
    answerer.events.text('hello')
    expect(await atB.closed()).toBe('protocol: text message')
    expect(await atA.closed()).toBe('protocol: text message')
    expect(answerer.notices).toEqual(['close:protocol: text message'])
  })

  it(`ends a link whose peer sends more than ${MAX_MESSAGE_BYTES} bytes`, async () => {
    const { make, wire } = pair()
    const a = make(A)
    const b = make(B)
    const accepted = acceptQueue()
    await b.listen('rtc:', accepted.onLink)
    await a.dial(`rtc:${B}`)
    const atB = probe(await accepted.next())
    wire.peers.find((p) => !p.init.initiator)!.events.message(new Uint8Array(MAX_MESSAGE_BYTES + 1))
    expect(await atB.closed()).toBe('protocol: message too large')
    expect(atB.messages).toEqual([])
  })

  it('caps the offers it answers per peer and ignores malformed signals', async () => {
    const { make, wire, signalling } = pair()
    const b = make(B)
    await b.listen('rtc:', () => {})
    // A stray offerer makes 'fake-offer-1' a known offer, so the answers stay open.
    wire.createPeer({ initiator: true, label: 'x' }, { description() {}, open() {}, message() {}, text() {}, closed() {} })
    const from = signalling.signaller(A)
    for (let i = 0; i < 6; i++) from.send(B, { type: 'offer', session: `00000000000000${i}0`, sdp: 'fake-offer-1' })
    await tick()
    expect(wire.peers).toHaveLength(1 + 4)
    // Straight to the handler, as a buggy engine might call it.
    const handlers: ((peerId: string, signal: RtcSignal) => void)[] = []
    const raw: RtcSignaller = { send() {}, onSignal: (handler) => void handlers.push(handler) }
    make(NOBODY, raw)
    for (const junk of [null, 7, {}, { type: 'offer' }, { type: 'offer', session: 'zz', sdp: 'x' }, { type: 'what', session: SESSION }]) {
      expect(() => handlers[0]!(A, junk as unknown as RtcSignal)).not.toThrow()
    }
    expect(() => handlers[0]!('not hex', { type: 'offer', session: SESSION, sdp: 'x' })).not.toThrow()
    expect(wire.peers).toHaveLength(1 + 4)
  })

  it('refuses bad addresses and a second listener', async () => {
    const { make } = pair()
    const a = make(A)
    expect((await dialError(a.dial('rtc:xyz')))?.name).toBe('DialError')
    expect((await dialError(a.dial(`rtc:${A}`)))?.name).toBe('DialError')
    expect((await dialError(a.dial(`mem://${B}`)))?.name).toBe('DialError')
    const listener = await a.listen('rtc:', () => {})
    expect(listener.address).toBe(`rtc:${A}`)
    expect((await dialError(a.listen(`rtc:${A}`, () => {})))?.name).toBe('AddressInUseError')
    expect((await dialError(a.listen('rtc:elsewhere', () => {})))?.name).toBe('InvalidAddressError')
    await listener.close()
    expect(() => make('not hex')).toThrow(TypeError)
  })
})

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Link } from '../transport.ts'
import { MAX_MESSAGE_BYTES } from '../../transport/linkCore.ts'

/**
 * The shared Transport/Link contract (DESIGN.md §2: every transport passes
 * one suite, the in-memory one too). `setup` starts a fresh listener per test.
 */
export interface TransportHarness {
  /** Dials the listener; both ends come back with no handlers set yet. */
  connect(): Promise<{ dialer: Link; acceptor: Link }>
  /**
   * Dials `address` with the transport under test, where the dial must fail (a
   * dead address, a stopped listener). A transport that learns of that only by
   * its deadline (WebRTC: nobody answers the offer) may give this dial a short
   * one, so that `connect` can keep a deadline sized for a busy machine.
   */
  dial(address: string): Promise<Link>
  /** An address of the same scheme where nothing listens. */
  readonly deadAddress: string
  /** The address `connect` dials. */
  readonly listenAddress: string
  /** Stops the listener; later dials fail and accepted links close. */
  stopListening(): Promise<void>
  cleanup(): Promise<void>
}

interface Probe {
  readonly messages: Uint8Array[]
  readonly closes: string[]
  /** Resolves once `count` messages arrived. */
  received(count: number): Promise<Uint8Array[]>
  closed(): Promise<string>
}

/**
 * Deadlines for harnesses whose transport fails a dial only by a timer (WebRTC):
 * a dial that should open gets one sized for a hung test on a busy 2-core
 * machine, never a race with how fast the machine is this minute; a dial that
 * must fail (nobody answers) gets a short one, as it can only ever fail.
 */
export const OPENING_DIAL_TIMEOUT_MS = 30_000
export const FAILING_DIAL_TIMEOUT_MS = 300

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

/** Attaches handlers to `link` and records what they see. */
export function probe(link: Link): Probe {
  const messages: Uint8Array[] = []
  const closes: string[] = []
  link.onMessage((bytes) => messages.push(bytes))
  link.onClose((reason) => closes.push(reason))
  return {
    messages,
    closes,
    async received(count: number): Promise<Uint8Array[]> {
      await until(() => messages.length >= count, `${count} messages (have ${messages.length})`)
      return messages
    },
    async closed(): Promise<string> {
      await until(() => closes.length > 0, 'onClose')
      return closes[0]!
    },
  }
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed) & 0xff
  return out
}

function numbered(i: number): Uint8Array {
  // Varying lengths catch a transport that merges or splits messages.
  const out = pattern(4 + (i % 37), i)
  new DataView(out.buffer).setUint32(0, i)
  return out
}

async function errorName(fn: () => unknown): Promise<string> {
  try {
    await fn()
  } catch (err) {
    return (err as Error).name
  }
  return 'no error'
}

export function transportContract(name: string, setup: () => Promise<TransportHarness>): void {
  describe(`Transport contract: ${name}`, () => {
    let harness: TransportHarness

    beforeEach(async () => {
      harness = await setup()
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    it('labels both ends and reports a buffered amount', async () => {
      const { dialer, acceptor } = await harness.connect()
      for (const link of [dialer, acceptor]) {
        expect(link.label).toMatch(/^[a-z]+:\S+$/)
        expect(link.bufferedAmount).toBeGreaterThanOrEqual(0)
      }
      dialer.close()
      expect(dialer.bufferedAmount).toBe(0)
    })

    it('carries messages both ways with order and boundaries kept', async () => {
      const { dialer, acceptor } = await harness.connect()
      const sent = [Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3), pattern(64 * 1024, 5), pattern(MAX_MESSAGE_BYTES, 9), Uint8Array.of(4)]
      const atAcceptor = probe(acceptor)
      const atDialer = probe(dialer)
      for (const bytes of sent) dialer.send(bytes)
      for (const bytes of [...sent].reverse()) acceptor.send(bytes)
      expect(await atAcceptor.received(sent.length)).toEqual(sent)
      expect(await atDialer.received(sent.length)).toEqual([...sent].reverse())
      expect(Object.getPrototypeOf(atAcceptor.messages[0])).toBe(Uint8Array.prototype)
    })

    it('delivers a burst of 1,000 messages each way in order', async () => {
      const { dialer, acceptor } = await harness.connect()
      const atAcceptor = probe(acceptor)
      const atDialer = probe(dialer)
      const burst = Array.from({ length: 1000 }, (_, i) => numbered(i))
      for (const bytes of burst) {
        dialer.send(bytes)
        acceptor.send(bytes)
      }
      expect(await atAcceptor.received(1000)).toEqual(burst)
      expect(await atDialer.received(1000)).toEqual(burst)
      await sleep(20)
      expect(atAcceptor.messages.length).toBe(1000)
    })

    it('keeps bytes that arrive before the handler is set', async () => {
      const { dialer, acceptor } = await harness.connect()
      dialer.send(Uint8Array.of(1))
      dialer.send(Uint8Array.of(2))
      acceptor.send(Uint8Array.of(3))
      await sleep(50)
      const atAcceptor = probe(acceptor)
      const atDialer = probe(dialer)
      expect(await atAcceptor.received(2)).toEqual([Uint8Array.of(1), Uint8Array.of(2)])
      expect(await atDialer.received(1)).toEqual([Uint8Array.of(3)])
    })

    for (const side of ['dialer', 'acceptor'] as const) {
      it(`closes both ends once with the reason when the ${side} closes`, async () => {
        const pair = await harness.connect()
        const closer = pair[side]
        const other = side === 'dialer' ? pair.acceptor : pair.dialer
        const atCloser = probe(closer)
        const atOther = probe(other)
        closer.send(Uint8Array.of(7))
        closer.close('bye')
        closer.close('again')
        expect(await atCloser.closed()).toBe('bye')
        expect(await atOther.closed()).toBe('bye')
        // What was sent before the close arrived before it.
        expect(atOther.messages).toEqual([Uint8Array.of(7)])
        other.close('late')
        await sleep(50)
        expect(atCloser.closes).toEqual(['bye'])
        expect(atOther.closes).toEqual(['bye'])
        expect(await errorName(() => closer.send(Uint8Array.of(1)))).toBe('LinkClosedError')
        expect(await errorName(() => other.send(Uint8Array.of(1)))).toBe('LinkClosedError')
        expect(atCloser.messages).toEqual([])
      })
    }

    it('reports a close that happened before onClose was set', async () => {
      const { dialer, acceptor } = await harness.connect()
      dialer.close('early')
      await sleep(50)
      const atDialer = probe(dialer)
      const atAcceptor = probe(acceptor)
      expect(await atDialer.closed()).toBe('early')
      expect(await atAcceptor.closed()).toBe('early')
    })

    it('refuses an oversized message and stays open', async () => {
      const { dialer, acceptor } = await harness.connect()
      const atAcceptor = probe(acceptor)
      expect(await errorName(() => dialer.send(new Uint8Array(MAX_MESSAGE_BYTES + 1)))).toBe('MessageTooLargeError')
      dialer.send(Uint8Array.of(42))
      expect(await atAcceptor.received(1)).toEqual([Uint8Array.of(42)])
      expect(atAcceptor.closes).toEqual([])
    })

    it('rejects a dial to a dead address with DialError', async () => {
      expect(await errorName(() => harness.dial(harness.deadAddress))).toBe('DialError')
    })

    it('closes accepted links and refuses dials once the listener stops', async () => {
      const { dialer, acceptor } = await harness.connect()
      const atDialer = probe(dialer)
      const atAcceptor = probe(acceptor)
      await harness.stopListening()
      expect(await atDialer.closed()).not.toBe('')
      expect(await atAcceptor.closed()).not.toBe('')
      expect(await errorName(() => harness.dial(harness.listenAddress))).toBe('DialError')
    })
  })
}

/** Hands accepted links to `connect()` in the order the listener got them. */
export interface AcceptQueue {
  readonly onLink: (link: Link) => void
  next(): Promise<Link>
}

export function acceptQueue(): AcceptQueue {
  const ready: Link[] = []
  const waiting: ((link: Link) => void)[] = []
  return {
    onLink(link: Link): void {
      const waiter = waiting.shift()
      if (waiter) waiter(link)
      else ready.push(link)
    },
    next(): Promise<Link> {
      const link = ready.shift()
      if (link) return Promise.resolve(link)
      return new Promise((resolve) => waiting.push(resolve))
    },
  }
}

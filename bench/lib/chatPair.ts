/**
 * The wiring both chat scenarios share, as in test/integration/relayChat.test.ts:
 * Alice and Bob are in-process engines (memory stores, noble crypto) linked to one
 * relay; Bob accepts Alice's offer and Alice learns Bob from his intro. Then the
 * two measurements: throughput (Bob → Alice, sends in windows) and latency (one
 * message at a time, from Bob's send() call to Alice's `message` event).
 */
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { createMemoryStore } from '../../engine/store/index.ts'
import type { Transport } from '../../engine/ports/index.ts'
import type { EngineEvent } from '../../workers/api.ts'
import { createEngine } from '../../workers/createEngine.ts'
import type { Engine } from '../../workers/createEngine.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'

export interface ChatPair {
  readonly alice: Engine
  readonly bob: Engine
  readonly aliceId: string
  readonly bobId: string
  /** Incoming text messages Alice's subscription has seen. */
  received(): number
  /** Resolves with performance.now() when Alice's `message` event for `id` arrives (or already arrived). */
  arrival(id: string): Promise<number>
  shutdown(): Promise<void>
}

export interface ThroughputResult {
  readonly messages: number
  readonly received: number
  readonly window: number
  readonly textBytes: number
  readonly wallMs: number
  readonly messagesPerSecond: number
}

export interface LatencyResult {
  readonly rounds: number
  readonly received: number
  readonly samplesMs: readonly number[]
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function waitUntil<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as NonNullable<T>
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(5)
  }
}

/** A 256-byte (by default) ASCII text, distinct per index. */
export function benchText(index: number, bytes = 256): string {
  return `bench message ${index} `.padEnd(bytes, '.').slice(0, bytes)
}

export interface ChatPairOptions {
  /** Bob's relay when it is not Alice's (the hops scenario: a chain of relays between them). */
  readonly bobRelay?: string
  /** Awaited once both links are open, before the offer (e.g. routes converging along a chain). */
  readonly ready?: (ids: { readonly aliceId: string; readonly bobId: string }) => Promise<void>
}

/** Two engines on `transport()` connected to `relayAddress`, contacts of each other; untimed setup. */
export async function createChatPair(transport: () => Transport, relayAddress: string, options: ChatPairOptions = {}): Promise<ChatPair> {
  const make = (): Promise<Engine> =>
    createEngine({
      crypto: nobleCrypto(),
      random: systemRandom(),
      clock: systemClock(),
      store: createMemoryStore(),
      transport: transport(),
    })
  const alice = await make()
  const bob = await make()
  try {
    const aliceProfile = await alice.createProfile('Alice')
    const bobProfile = await bob.createProfile('Bob')
    const arrived = new Map<string, number>()
    const waiting = new Map<string, (t: number) => void>()
    let received = 0
    await alice.subscribe((events: EngineEvent[]) => {
      const t = performance.now()
      for (const e of events) {
        if (e.type !== 'message' || e.message.direction !== 'in') continue
        received++
        const waiter = waiting.get(e.message.id)
        if (waiter) {
          waiting.delete(e.message.id)
          waiter(t)
        } else arrived.set(e.message.id, t)
      }
    })
    await alice.connect(relayAddress)
    await bob.connect(options.bobRelay ?? relayAddress)
    const open = async (e: Engine): Promise<boolean> => (await e.links()).some((l) => l.state === 'open')
    await waitUntil('both links open', async () => (await open(alice)) && (await open(bob)))
    await options.ready?.({ aliceId: aliceProfile.id, bobId: bobProfile.id })
    await bob.acceptOffer(await alice.createOffer())
    await waitUntil('Alice learns Bob', async () => (await alice.contacts()).some((c) => c.id === bobProfile.id))
    return {
      alice,
      bob,
      aliceId: aliceProfile.id,
      bobId: bobProfile.id,
      received: () => received,
      arrival(id) {
        const t = arrived.get(id)
        if (t !== undefined) {
          arrived.delete(id)
          return Promise.resolve(t)
        }
        return new Promise((resolve) => waiting.set(id, resolve))
      },
      async shutdown() {
        await Promise.all([alice.shutdown(), bob.shutdown()])
      },
    }
  } catch (error) {
    await Promise.all([alice.shutdown(), bob.shutdown()])
    throw error
  }
}

/**
 * Bob sends `messages` texts to Alice, `window` send() calls in flight at a time.
 * Timed: from the first send() call until Alice's subscription has seen them all.
 */
export async function measureThroughput(
  pair: ChatPair,
  init: { messages: number; window: number; textBytes?: number; timeoutMs: number },
): Promise<ThroughputResult> {
  const textBytes = init.textBytes ?? 256
  const texts = Array.from({ length: init.messages }, (_, i) => benchText(i, textBytes))
  const base = pair.received()
  const target = base + init.messages
  const start = performance.now()
  const deadline = start + init.timeoutMs
  for (let i = 0; i < texts.length; i += init.window) {
    await Promise.all(texts.slice(i, i + init.window).map((text) => pair.bob.send(pair.aliceId, text)))
    if (performance.now() > deadline) break
  }
  // Poll with setImmediate, not a timer: a 1 ms sleep would inflate a short run.
  while (pair.received() < target && performance.now() < deadline) await new Promise((r) => setImmediate(r))
  const wallMs = performance.now() - start
  const received = pair.received() - base
  if (received < init.messages) {
    throw new Error(`throughput: Alice received ${received} of ${init.messages} messages within ${init.timeoutMs} ms`)
  }
  return {
    messages: init.messages,
    received,
    window: init.window,
    textBytes,
    wallMs,
    messagesPerSecond: (init.messages / wallMs) * 1000,
  }
}

/**
 * `rounds` sequential one-message trips: each sample runs from Bob's send() call
 * to Alice's `message` event for that message id (the next send waits for it).
 */
export async function measureLatency(
  pair: ChatPair,
  init: { rounds: number; textBytes?: number; timeoutMs: number },
): Promise<LatencyResult> {
  const samplesMs: number[] = []
  const deadline = performance.now() + init.timeoutMs
  for (let i = 0; i < init.rounds; i++) {
    const text = benchText(i, init.textBytes ?? 256)
    const start = performance.now()
    const message = await pair.bob.send(pair.aliceId, text)
    const left = deadline - performance.now()
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`latency: message ${i} not received in time`)), Math.max(left, 0))
    })
    try {
      samplesMs.push((await Promise.race([pair.arrival(message.id), timeout])) - start)
    } finally {
      clearTimeout(timer)
    }
    if (performance.now() > deadline && i + 1 < init.rounds) {
      throw new Error(`latency: only ${i + 1} of ${init.rounds} rounds within ${init.timeoutMs} ms`)
    }
  }
  return { rounds: init.rounds, received: samplesMs.length, samplesMs }
}

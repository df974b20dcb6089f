/**
 * The kill test's recipient: an engine in a worker thread on its own data dir that
 * goes off line and comes back at random intervals. Going off line terminates the
 * worker wherever it is (mid-write included); coming back opens the same store,
 * so the recipient keeps identity, sessions, history and seen-envelope records.
 */
import type { OutboxPolicy } from '../../machines/outbox.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { waitFor } from '../support/waitFor.ts'
import type { Prng } from './prng.ts'

export interface FlappingRecipientInit {
  readonly dataDir: string
  readonly relayUrl: string
  readonly outboxPolicy: OutboxPolicy
  readonly random: Prng
  /** Range of an on-line period, ms. */
  readonly onMs: readonly [number, number]
  /** Range of an off-line period, ms. */
  readonly offMs: readonly [number, number]
}

export interface FlappingRecipient {
  /** Starts the on/off cycle (on line first). */
  start(): void
  /** Ends the cycle on line and returns the running engine. */
  settle(): Promise<EngineWorker>
  /** Times it came back after being off line. */
  restarts(): number
  /** Total time spent off line, ms. */
  offlineMs(): number
  stop(): Promise<void>
}

export function createFlappingRecipient(init: FlappingRecipientInit): FlappingRecipient {
  let worker: EngineWorker | null = null
  let cycling = false
  let loop: Promise<void> = Promise.resolve()
  let wake: (() => void) | null = null
  let restarts = 0
  let offline = 0

  /** Sleeps `ms`, or less if `settle` wakes it. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = null
        resolve()
      }, ms)
      wake = () => {
        clearTimeout(timer)
        wake = null
        resolve()
      }
    })
  const online = async (): Promise<EngineWorker> => {
    const w = spawnEngine({ dataDir: init.dataDir, outboxPolicy: init.outboxPolicy })
    worker = w
    // Its contact's offer named the relay, so it reconnects on its own; this says it again for clarity.
    await w.api.connect(init.relayUrl)
    // An on-line period counts from the open link, not from the spawn: on a loaded machine start-up alone
    // can take seconds, and the recipient must really be reachable for the period it was given.
    await waitFor('the recipient on line', async () => (await w.api.links()).some((l) => l.state === 'open'))
    return w
  }
  const between = (range: readonly [number, number]): number => init.random.int(range[0], range[1])

  return {
    start() {
      cycling = true
      loop = (async () => {
        await online()
        while (cycling) {
          await pause(between(init.onMs))
          if (!cycling) break
          await worker?.terminate()
          worker = null
          const off = between(init.offMs)
          const since = Date.now()
          await pause(off)
          offline += Date.now() - since
          await online()
          restarts++
        }
      })()
    },
    async settle() {
      cycling = false
      wake?.()
      await loop
      return worker ?? (await online())
    },
    restarts: () => restarts,
    offlineMs: () => offline,
    async stop() {
      cycling = false
      wake?.()
      await loop.catch(() => undefined)
      await worker?.terminate()
      worker = null
    },
  }
}

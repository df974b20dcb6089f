/**
 * Starts an engine in a worker_threads worker and wraps it with Comlink: what the
 * CLI and the integration tests use to run a full node off the main thread.
 */
import { Worker } from 'node:worker_threads'
import * as Comlink from 'comlink'
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs'
import type { EngineApi } from '../../workers/api.ts'
import type { OutboxPolicy } from '../../machines/outbox.ts'

export interface EngineWorker {
  readonly api: Comlink.Remote<EngineApi>
  terminate(): Promise<void>
}

/**
 * The worker's code: engineWorker.ts, or the same code bundled into one file when
 * SOVEREIGN_ENGINE_WORKER names it (the test suite does, test/support/nodeBundles.ts:
 * one file loads in a third of the time of the ~100 sources).
 */
const WORKER_FILE = process.env['SOVEREIGN_ENGINE_WORKER'] || new URL('./engineWorker.ts', import.meta.url)

export function spawnEngine(init: { dataDir: string; outboxPolicy?: OutboxPolicy }): EngineWorker {
  const worker = new Worker(WORKER_FILE, { workerData: { ...init } })
  const api = Comlink.wrap<EngineApi>(nodeEndpoint(worker))
  let terminated = false
  return {
    api,
    async terminate() {
      // Idempotent: a test may stop an engine early and again in its clean-up.
      if (terminated) return
      terminated = true
      api[Comlink.releaseProxy]()
      await worker.terminate()
    },
  }
}

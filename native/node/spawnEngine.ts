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

export function spawnEngine(init: { dataDir: string; outboxPolicy?: OutboxPolicy }): EngineWorker {
  const worker = new Worker(new URL('./engineWorker.ts', import.meta.url), { workerData: { ...init } })
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

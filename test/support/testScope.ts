/**
 * What a multi-relay test makes and must clean up: temporary data dirs, relays, engine
 * workers. Registers one afterAll that ends them in order (workers, relays, dirs).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'

export interface TestScope {
  /** A fresh temporary directory, removed after the file's tests. */
  tempDir(): string
  /** Workers and relays to end after the file's tests. */
  readonly workers: EngineWorker[]
  readonly relays: RelayHandle[]
  /** For helpers that take a `track` callback. */
  track(worker: EngineWorker): void
}

export function testScope(prefix: string): TestScope {
  const dirs: string[] = []
  const workers: EngineWorker[] = []
  const relays: RelayHandle[] = []
  afterAll(async () => {
    for (const w of workers) await w.terminate()
    for (const r of relays) await r.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  return {
    tempDir: () => {
      const dir = mkdtempSync(join(tmpdir(), `sovereign-${prefix}-`))
      dirs.push(dir)
      return dir
    },
    workers,
    relays,
    track: (w) => void workers.push(w),
  }
}

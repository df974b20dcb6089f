/**
 * Vitest global setup: bundles the two entry points the suite starts over and over
 * (the Node engine worker and the kill -9 test's sender process) into one file each,
 * once per run, from the source under test. A start then loads one file instead of
 * type-stripping ~100 modules: 0.19 s and 0.14 s of CPU instead of 0.6 s and 0.7 s
 * here, and the kill -9 test alone starts ~28 senders and ~20 recipient workers
 * while Chromium pages compete for the same two cores (issue 9).
 *
 * The paths reach spawnEngine and senderRun through the environment, which the
 * test workers inherit; without it (a test file run some other way) they load the
 * sources as before.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'rolldown'

const ENTRIES = {
  SOVEREIGN_ENGINE_WORKER: '../../native/node/engineWorker.ts',
  SOVEREIGN_KILL_SENDER: '../durability/senderProcess.ts',
} as const

export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-bundles-'))
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const file = join(dir, `${name.toLowerCase()}.mjs`)
    await build({
      input: fileURLToPath(new URL(entry, import.meta.url)),
      platform: 'node',
      logLevel: 'warn',
      output: { file, format: 'esm' },
    })
    process.env[name] = file
  }
  return () => rmSync(dir, { recursive: true, force: true })
}

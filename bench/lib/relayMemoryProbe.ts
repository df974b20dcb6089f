/**
 * The relay daemon as a child process (`node native/node/relay.ts`, as bench/lib/relayProcess.ts
 * starts it for ws-relay: 127.0.0.1, a free port, a temporary DATA_DIR) with its bench-only
 * memory probe switched on: `--expose-gc`, an IPC channel and RELAY_BENCH_MEMORY_PROBE=1. Its
 * `memory()` has the relay run a full, last-resort collection and report its memory afterwards,
 * so that a benchmark compares what the relay still holds rather than how far V8 grew its heap
 * (relay-churn: V8 keeps the young generation and freed pages committed after a burst of work).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchMemory } from '../../native/node/benchMemoryProbe.ts'
import { freePort, waitHealthy } from './relayProcess.ts'
import type { RelayExit } from './relayProcess.ts'
import { spawnChild } from './scale/childProcess.ts'

export type { BenchMemory }

export interface ProbedRelay {
  readonly pid: number
  readonly linkUrl: string
  readonly httpUrl: string
  /** A last-resort GC in the relay, then its memory (bytes). */
  memory(): Promise<BenchMemory>
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); removes the data dir. */
  stop(graceMs?: number): Promise<RelayExit>
}

const RELAY_ENTRY = fileURLToPath(new URL('../../native/node/relay.ts', import.meta.url))
const HOST = '127.0.0.1'

/** Open file descriptors of a process (/proc/<pid>/fd, Linux). */
export const fdsOf = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length

/** Resident set size of a process in bytes, as the kernel reports it now (/proc/<pid>/status VmRSS). */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) * 1024
}

export async function startProbedRelay(readyTimeoutMs = 10_000): Promise<ProbedRelay> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'sovereign-bench-relay-'))
  // PEERS is the daemon's list of relays to dial: never pass the bench's on.
  const { PEERS: _peers, ...env } = process.env
  const child = spawnChild(RELAY_ENTRY, {
    env: { ...env, HOST, PORT: String(port), DATA_DIR: dataDir, STATIC_DIR: join(dataDir, 'no-app'), RELAY_BENCH_MEMORY_PROBE: '1' },
    execArgv: ['--expose-gc'],
    fdsNeeded: 256,
  })
  const httpUrl = `http://${HOST}:${port}`
  const proc = child.process
  const gone = (): boolean => proc.exitCode !== null || proc.signalCode !== null

  const stop = async (graceMs = 5_000): Promise<RelayExit> => {
    let clean = true
    if (!gone()) {
      proc.kill('SIGTERM')
      const timer = setTimeout(() => {
        clean = false
        proc.kill('SIGKILL')
      }, graceMs)
      await child.exited()
      clearTimeout(timer)
    }
    rmSync(dataDir, { recursive: true, force: true })
    return { code: proc.exitCode, signal: proc.signalCode, clean }
  }

  await waitHealthy({ httpUrl, readyTimeoutMs, exitCode: () => (gone() ? (proc.exitCode ?? -1) : null), output: () => child.output(), stop })
  return {
    pid: proc.pid!,
    linkUrl: `ws://${HOST}:${port}/link`,
    httpUrl,
    memory: () => child.call<BenchMemory>('memory', {}, 30_000),
    stop,
  }
}

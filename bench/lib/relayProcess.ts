/**
 * The relay daemon as a child process on 127.0.0.1 (`node native/node/relay.ts`),
 * on a free port and a temporary DATA_DIR, for the ws-relay scenario.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface RelayProcess {
  readonly pid: number
  readonly linkUrl: string
  readonly httpUrl: string
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); removes the data dir. */
  stop(graceMs?: number): Promise<RelayExit>
}

export interface RelayExit {
  readonly code: number | null
  readonly signal: string | null
  /** True when it exited by itself after SIGTERM (no SIGKILL needed). */
  readonly clean: boolean
}

const RELAY_ENTRY = fileURLToPath(new URL('../../native/node/relay.ts', import.meta.url))
const HOST = '127.0.0.1'

/** A port the OS just handed out on 127.0.0.1 (closed again before the relay takes it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, resolve)
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()))

/** `extraEnv` reaches the daemon (e.g. LINK_BUDGET_SCALE, DEFENCE=off: native/node/relay.ts). */
export async function startRelayProcess(readyTimeoutMs = 10_000, extraEnv: Record<string, string> = {}): Promise<RelayProcess> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'sovereign-bench-relay-'))
  // PEERS is the daemon's list of relays to dial, and relay-scale's peer count: never pass it on.
  const { PEERS: _peers, ...env } = process.env
  const child = spawn(process.execPath, [RELAY_ENTRY], {
    env: { ...env, HOST, PORT: String(port), DATA_DIR: dataDir, STATIC_DIR: join(dataDir, 'no-app'), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const httpUrl = `http://${HOST}:${port}`

  const stop = async (graceMs = 5_000): Promise<RelayExit> => {
    let clean = true
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        clean = false
        child.kill('SIGKILL')
      }, graceMs)
      await exited(child)
      clearTimeout(timer)
    }
    rmSync(dataDir, { recursive: true, force: true })
    return { code: child.exitCode, signal: child.signalCode, clean }
  }

  await waitHealthy({ httpUrl, readyTimeoutMs, exitCode: () => child.exitCode, output: () => output, stop })
  return { pid: child.pid!, linkUrl: `ws://${HOST}:${port}/link`, httpUrl, stop }
}

export interface HealthWait {
  readonly httpUrl: string
  readonly readyTimeoutMs: number
  /** The child's exit code, null while it runs. */
  exitCode(): number | null
  /** What the child printed so far, for the error. */
  output(): string
  stop(): Promise<unknown>
}

/** Polls `/healthz` until it answers 200; stops the relay and throws if it exits first or the time runs out. */
export async function waitHealthy(w: HealthWait): Promise<void> {
  const deadline = performance.now() + w.readyTimeoutMs
  for (;;) {
    if (w.exitCode() !== null) {
      await w.stop()
      throw new Error(`relay exited with code ${w.exitCode()} before it was ready:\n${w.output()}`)
    }
    const ok = await fetch(`${w.httpUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    if (performance.now() > deadline) {
      await w.stop()
      throw new Error(`relay not healthy after ${w.readyTimeoutMs} ms:\n${w.output()}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Child processes of the relay-scale benchmark (the relay, the light-peer clients):
 * spawned with an IPC channel (structured clone, so typed arrays pass as they are),
 * a file-descriptor limit raised when the current one is too low for their sockets,
 * and request/answer calls over the channel.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface FdLimit {
  readonly soft: number
  readonly hard: number
}

/** This process's RLIMIT_NOFILE, from /proc (Linux); Infinity when unreadable or unlimited. */
export function fdLimit(): FdLimit {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const [soft, hard] = (line ?? '').replace('Max open files', '').trim().split(/\s+/)
    const parse = (v: string | undefined): number => (v === undefined || v === 'unlimited' ? Infinity : Number(v))
    return { soft: parse(soft), hard: parse(hard) }
  } catch {
    return { soft: Infinity, hard: Infinity }
  }
}

export interface Child {
  readonly process: ChildProcess
  /** The child's stdout and stderr so far (last 8 KB), for error messages. */
  output(): string
  /** Sends `{ type, ...args }` and resolves with the child's answer; rejects on its error, its exit or the timeout. */
  call<T>(type: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>
  /** Resolves when the child says it is ready (`announceReady`); rejects if it exits first or the time runs out. */
  ready(timeoutMs: number): Promise<void>
  /** Resolves when the child has exited. */
  exited(): Promise<void>
}

export interface SpawnInit {
  readonly env?: NodeJS.ProcessEnv
  readonly execArgv?: readonly string[]
  /** Descriptors the child will hold at most; the soft limit is raised to this in the child when lower. */
  readonly fdsNeeded: number
}

/** Whether the child was started through `ulimit -n` (the inherited soft limit was too low). */
export function needsRaise(fdsNeeded: number): boolean {
  return fdLimit().soft < fdsNeeded
}

export function spawnChild(entry: string, init: SpawnInit): Child {
  const args = [...(init.execArgv ?? []), entry]
  const options = {
    env: init.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'] as ('ignore' | 'pipe' | 'ipc')[],
    serialization: 'advanced' as const,
  }
  // Only a shell can raise a limit before exec; the IPC descriptor survives the exec.
  const child = needsRaise(init.fdsNeeded)
    ? spawn('/bin/sh', ['-c', `ulimit -n ${init.fdsNeeded} && exec "$0" "$@"`, process.execPath, ...args], options)
    : spawn(process.execPath, args, options)
  let output = ''
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-8_192)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)

  let nextId = 0
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let markReady = (): void => {}
  const readyAnnounced = new Promise<void>((resolve) => (markReady = resolve))
  child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    if (m.id === READY_ID) {
      markReady()
      return
    }
    const p = pending.get(m.id)
    if (!p) return
    pending.delete(m.id)
    if (m.ok) p.resolve(m.value)
    else p.reject(new Error(m.error ?? 'child failed'))
  })
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const p of pending.values()) p.reject(new Error(`child exited (code ${code}, signal ${signal}):\n${output}`))
      pending.clear()
      resolve()
    })
  })
  child.on('error', () => {})

  return {
    process: child,
    output: () => output,
    exited: () => gone,
    async ready(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const failed = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`child not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs)
        void gone.then(() => reject(new Error(`child exited before it was ready:\n${output}`)))
      })
      try {
        await Promise.race([readyAnnounced, failed])
      } finally {
        clearTimeout(timer)
      }
    },
    call<T>(type: string, callArgs: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
      if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
        return Promise.reject(new Error(`child is gone:\n${output}`))
      }
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`${type}: no answer within ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer)
            resolve(v as T)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          },
        })
        child.send({ id, type, ...callArgs })
      })
    },
  }
}

const READY_ID = -1

/** The child's side: tells the parent it is ready for calls (after `serveCalls`). */
export function announceReady(): void {
  process.send!({ id: READY_ID, ok: true, value: null })
}

export type Handler = (message: { readonly type: string } & Record<string, unknown>) => Promise<unknown>

/** The child's side: answers each call with the handler's value or error, and exits when the parent goes. */
export function serveCalls(handler: Handler): void {
  if (!process.send) throw new Error('started without an IPC channel')
  process.on('message', (m: { id: number; type: string } & Record<string, unknown>) => {
    handler(m).then(
      (value) => process.send!({ id: m.id, ok: true, value }),
      (error: unknown) => process.send!({ id: m.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    )
  })
  // A parent that died or was killed must not leave thousands of sockets behind.
  process.on('disconnect', () => process.exit(1))
}

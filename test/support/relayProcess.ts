/**
 * The relay daemon as a user runs it (`node native/node/relay.ts`), in its own
 * process: for tests that kill it, flood it or read its memory from outside.
 * Ready when it prints its link URL (relay.ts prints that line last).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')

export interface RelayProcess {
  readonly child: ChildProcess
  readonly linkUrl: string
  readonly httpUrl: string
  readonly port: string
  readonly exited: Promise<NodeJS.Signals | number | null>
  /** Resident set size of the relay process now, in bytes (Linux /proc). */
  rss(): number
  /** Fetches the relay's Prometheus page and reads one sample (name with labels, as printed), 0 when absent. */
  metric(sample: string): Promise<number>
}

export function startRelayProcess(dataDir: string, port = '0', env: Record<string, string> = {}): Promise<RelayProcess> {
  const child = spawn(process.execPath, [join(root, 'native/node/relay.ts')], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: port, DATA_DIR: dataDir, STATIC_DIR: join(dataDir, 'no-app'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)))
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const match = /Links: (ws:\/\/127\.0\.0\.1:(\d+)\/link)/.exec(out)
      if (!match) return
      const httpUrl = `http://127.0.0.1:${match[2]}`
      resolve({
        child,
        linkUrl: match[1]!,
        httpUrl,
        port: match[2]!,
        exited,
        rss: () => {
          const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
          return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
        },
        metric: async (sample) => {
          const page = await (await fetch(`${httpUrl}/metrics`)).text()
          const line = page.split('\n').find((l) => l.startsWith(`${sample} `))
          return line ? Number(line.slice(sample.length + 1)) : 0
        },
      })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then((code) => reject(new Error(`relay exited (${code}) before it was ready:\n${out}`)))
  })
}

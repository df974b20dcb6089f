/**
 * One run of senderProcess.ts as a child process, seen from the test: its JSON
 * progress lines, its exit, and the two ways it ends early (SIGKILL from here, or
 * the `stop` line for a clean shutdown).
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { OutboxPolicy } from '../../machines/outbox.ts'

/** Short enough that retries during the recipient's off periods are many and a restart resumes soon. */
export const KILL_TEST_POLICY: OutboxPolicy = { baseMs: 200, capMs: 2_000, maxAttempts: 10_000 }

/** The i-th text of the run: `m-0000` … `m-0999`. */
export const textOf = (i: number): string => `m-${String(i).padStart(4, '0')}`

export interface SenderInit {
  readonly dataDir: string
  readonly relayUrl: string
  readonly contactId: string
  readonly count: number
  /** `<step>:<n>` (crashPoints.ts), or none for a run that only a kill or `stop` ends. */
  readonly crashAt?: string
  readonly seed: number
  readonly paceMs: number
  /** At most this many new texts in this run (all that are missing when omitted). */
  readonly budget?: number
  /** How many of them go out at once, first (a backlog); the rest a few at a time. */
  readonly burst?: number
  /** Most texts per tick after the burst (default 5). */
  readonly chunk?: number
}

/** One stdout line of the sender: `ev` says which (start, ready, progress, sent, receipt, crash, composed, error, stopped). */
export interface SenderLine {
  readonly ev: string
  readonly t: number
  readonly [field: string]: unknown
}

export interface SenderExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly at: number
}

export interface SenderRun {
  readonly startedAt: number
  readonly lines: readonly SenderLine[]
  readonly exited: Promise<SenderExit>
  /** Resolves with the first line (already seen or to come) that `match` accepts; null on exit or timeout. */
  line(match: (line: SenderLine) => boolean, timeoutMs: number): Promise<SenderLine | null>
  /** The latest line of kind `ev`, if any. */
  last(ev: string): SenderLine | undefined
  /** kill -9 from outside. */
  kill(): void
  /** Asks for a clean shutdown (engine and store closed). */
  stop(): void
  stderr(): string
}

/** The latest line `match` accepts (Array.prototype.findLast is ES2023, past this project's lib). */
export function lastLine(lines: readonly SenderLine[], match: (line: SenderLine) => boolean): SenderLine | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (match(lines[i]!)) return lines[i]
  return undefined
}

/** senderProcess.ts, or its one-file bundle when the suite made one (test/support/nodeBundles.ts). */
const SCRIPT = process.env['SOVEREIGN_KILL_SENDER'] || fileURLToPath(new URL('./senderProcess.ts', import.meta.url))

export function startSender(init: SenderInit): SenderRun {
  const child = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env,
      DATA_DIR: init.dataDir,
      RELAY_URL: init.relayUrl,
      CONTACT_ID: init.contactId,
      COUNT: String(init.count),
      CRASH_AT: init.crashAt ?? '',
      SEED: String(init.seed),
      PACE_MS: String(init.paceMs),
      BUDGET: init.budget === undefined ? '' : String(init.budget),
      BURST: String(init.burst ?? 0),
      CHUNK: String(init.chunk ?? 5),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const lines: SenderLine[] = []
  const waiters = new Set<{ match: (line: SenderLine) => boolean; resolve: (line: SenderLine | null) => void }>()
  let errors = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (errors += chunk))
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: SenderLine
    try {
      line = JSON.parse(text) as SenderLine
    } catch {
      return
    }
    lines.push(line)
    for (const w of waiters) {
      if (!w.match(line)) continue
      waiters.delete(w)
      w.resolve(line)
    }
  })
  const exited = new Promise<SenderExit>((resolve) => {
    // 'close', not 'exit': it comes after stdout is drained, so lines written just before a kill are in.
    child.once('close', (code, signal) => {
      for (const w of waiters) w.resolve(null)
      waiters.clear()
      resolve({ code, signal, at: Date.now() })
    })
  })
  child.stdin.on('error', () => undefined)
  let done = false
  void exited.then(() => void (done = true))

  return {
    startedAt: Date.now(),
    lines,
    exited,
    line(match, timeoutMs) {
      const found = lines.find(match)
      if (found || done) return Promise.resolve(found ?? null)
      return new Promise((resolve) => {
        const waiter = { match, resolve }
        waiters.add(waiter)
        setTimeout(() => {
          if (waiters.delete(waiter)) resolve(null)
        }, timeoutMs)
      })
    },
    last: (ev) => lastLine(lines, (l) => l.ev === ev),
    kill: () => void child.kill('SIGKILL'),
    stop: () => void child.stdin.write('stop\n'),
    stderr: () => errors,
  }
}

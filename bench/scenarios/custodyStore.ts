/**
 * The relay's custody store (issue 10): holds per second through a mailbox
 * that writes through a custody journal, and the restart time (open the store,
 * restore a mailbox from it) at N held envelopes, for each store candidate.
 *
 * Workload: envelopes of 1,000 bytes (views into a random pool, so the mailbox
 * keeps no copy the store would not), ids of 16 bytes in hex, N / 100
 * destinations (100 envelopes each, under the per-destination cap) and 64
 * sending neighbours; budgets set out of reach, so every hold is kept. The
 * journal is flushed every FLUSH_EVERY holds, as a relay's tick would under a
 * steady load, and once at the end (inside the timed region). The store lives in
 * the system temp directory (a real disk). The restart is timed right after
 * the close, so the file is in the OS page cache (a relay restarting after a
 * crash finds it there too; a cold disk cache is not measured).
 *
 * N = CUSTODY_N (default 100,000; --quick 2,000). The hold phase stops at
 * HOLD_LIMIT_MS; the figures then say how many were held. Stores: node:sqlite
 * (native/node/sqliteCustody.ts) and, when the `lmdb` package is installed,
 * LMDB (bench/lib/lmdbJournal.ts), plus the mailbox alone as the floor;
 * CUSTODY_STORES=sqlite,lmdb,memory picks some. The restart is also split: the
 * store's read alone (iterating `load()`, nothing kept) is timed first.
 */
import { randomFillSync } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMailbox } from '../../engine/routing/index.ts'
import type { CustodyJournal, Mailbox } from '../../engine/routing/index.ts'
import { openSqliteCustody } from '../../native/node/sqliteCustody.ts'
import { loadLmdb } from '../lib/lmdbJournal.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { median } from '../lib/stats.ts'
import type { Metric } from '../lib/table.ts'

const ENVELOPE_BYTES = 1_000
const PER_DESTINATION = 100
const SENDERS = 64
const FLUSH_EVERY = 4_096
const HOLD_LIMIT_MS = 120_000
/** 1,000,000 (the figure) takes minutes per store here: CUSTODY_N=1000000 asks for it. */
const COUNTS = { full: 100_000, quick: 2_000 } as const
const T = 1_700_000_000_000
const OUT_OF_REACH = {
  totalBytes: Number.MAX_SAFE_INTEGER,
  perDestinationCount: Number.MAX_SAFE_INTEGER,
  perDestinationBytes: Number.MAX_SAFE_INTEGER,
  perSenderBytes: Number.MAX_SAFE_INTEGER,
}

interface StoreKind {
  readonly name: string
  /** Null for the mailbox alone. */
  readonly open: ((dir: string) => CustodyJournal) | null
}

/** LMDB closes its environment asynchronously: wait for it before reopening. */
const closed = async (journal: CustodyJournal): Promise<void> => {
  journal.close()
  await (journal as { closed?: Promise<void> }).closed
}

export interface CustodyStoreCell {
  readonly store: string
  readonly n: number
  readonly held: number
  readonly holdMs: number
  readonly holdsPerSecond: number
  readonly flushes: number
  readonly flushMsMedian: number
  readonly flushMsMax: number
  /** Open the store and restore a mailbox from it; null for the mailbox alone. */
  readonly restartMs: number | null
  /** Open the store and iterate every record, keeping none. */
  readonly readMs: number | null
  readonly restored: number | null
  readonly fileMiB: number | null
}

export interface CustodyStoreRaw {
  readonly envelopeBytes: number
  readonly flushEvery: number
  readonly holdLimitMs: number
  readonly cells: CustodyStoreCell[]
  /** Stores not measured, and why (lmdb not installed). */
  readonly skipped: Record<string, string>
}

const hex = (n: number, chars: number): string => n.toString(16).padStart(chars, '0')

function holdAll(mailbox: Mailbox, journal: CustodyJournal | null, n: number, pool: Uint8Array): { held: number; ms: number; flushMs: number[] } {
  const destinations = Math.max(1, Math.ceil(n / PER_DESTINATION))
  const senders = Array.from({ length: SENDERS }, (_, i) => hex(i + 1, 64))
  const flushMs: number[] = []
  const flush = (): void => {
    if (!journal) return
    const t0 = performance.now()
    journal.flush()
    flushMs.push(performance.now() - t0)
  }
  const start = performance.now()
  const deadline = start + HOLD_LIMIT_MS
  let held = 0
  for (; held < n; held++) {
    const offset = (held * 7919) % (pool.length - ENVELOPE_BYTES)
    const envelope = { id: hex(held, 32), bytes: pool.subarray(offset, offset + ENVELOPE_BYTES), expiresAt: T + 86_400_000, localId: null, from: senders[held % SENDERS]! }
    const result = mailbox.hold(hex(held % destinations, 64), envelope, T)
    if (result.type !== 'held') throw new Error(`custody-store: envelope ${held} was ${result.type}`)
    if ((held + 1) % FLUSH_EVERY === 0) {
      flush()
      if (performance.now() > deadline) {
        held++
        break
      }
    }
  }
  flush()
  return { held, ms: performance.now() - start, flushMs }
}

const dirBytes = (dir: string): number => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)

async function measure(kind: StoreKind, n: number, pool: Uint8Array): Promise<CustodyStoreCell> {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-bench-custody-'))
  try {
    const journal = kind.open?.(dir) ?? null
    const mailbox = createMailbox({ ...OUT_OF_REACH, ...(journal ? { journal } : {}) })
    const { held, ms, flushMs } = holdAll(mailbox, journal, n, pool)
    let restartMs: number | null = null
    let readMs: number | null = null
    let restored: number | null = null
    let fileMiB: number | null = null
    if (journal && kind.open) {
      await closed(journal)
      fileMiB = dirBytes(dir) / 2 ** 20
      const readStart = performance.now()
      const reader = kind.open(dir)
      let records = 0
      for (const _ of reader.load()) records++
      readMs = performance.now() - readStart
      await closed(reader)
      if (records !== held) throw new Error(`custody-store: ${kind.name} read ${records} of ${held}`)
      const start = performance.now()
      const reopened = kind.open(dir)
      const again = createMailbox({ ...OUT_OF_REACH, journal: reopened })
      restored = again.restore(T).restored
      restartMs = performance.now() - start
      await closed(reopened)
      if (restored !== held) throw new Error(`custody-store: ${kind.name} restored ${restored} of ${held}`)
    }
    return {
      store: kind.name,
      n,
      held,
      holdMs: ms,
      holdsPerSecond: (held / ms) * 1000,
      flushes: flushMs.length,
      flushMsMedian: median(flushMs),
      flushMsMax: flushMs.length > 0 ? Math.max(...flushMs) : Number.NaN,
      restartMs,
      readMs,
      restored,
      fileMiB,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function storeKinds(skipped: Record<string, string>): Promise<StoreKind[]> {
  const wanted = (process.env['CUSTODY_STORES'] ?? 'memory,sqlite,lmdb').split(',')
  const kinds: StoreKind[] = []
  if (wanted.includes('memory')) kinds.push({ name: 'mailbox alone', open: null })
  if (wanted.includes('sqlite')) kinds.push({ name: 'node:sqlite', open: (dir) => openSqliteCustody(dir) })
  try {
    if (wanted.includes('lmdb')) kinds.push({ name: 'lmdb', open: await loadLmdb() })
  } catch (error) {
    skipped['lmdb'] = `not measured: ${(error as Error).message.split('\n')[0]}`
  }
  return kinds
}

function rows(c: CustodyStoreCell): Metric[] {
  const label = `${c.store}, ${c.held.toLocaleString('en-US')} held`
  const out: Metric[] = [{ metric: `${label}: holds`, value: c.holdsPerSecond, unit: 'holds/s' }]
  if (c.flushes > 0) out.push({ metric: `${label}: flush of ${FLUSH_EVERY.toLocaleString('en-US')} holds, max`, value: c.flushMsMax, unit: 'ms' })
  if (c.restartMs !== null) out.push({ metric: `${label}: restart (open + restore)`, value: c.restartMs, unit: 'ms' })
  if (c.readMs !== null) out.push({ metric: `${label}: store read alone (open + iterate)`, value: c.readMs, unit: 'ms' })
  if (c.fileMiB !== null) out.push({ metric: `${label}: size on disk`, value: c.fileMiB, unit: 'MiB' })
  return out
}

export async function runCustodyStore(options: ScenarioOptions = {}): Promise<ScenarioResult<CustodyStoreRaw>> {
  const fromEnv = Number(process.env['CUSTODY_N'])
  const n = options.quick ? COUNTS.quick : Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : COUNTS.full
  const pool = randomFillSync(new Uint8Array(1 << 20))
  const skipped: Record<string, string> = {}
  const cells: CustodyStoreCell[] = []
  for (const kind of await storeKinds(skipped)) cells.push(await measure(kind, n, pool))
  return {
    name: 'custody-store',
    metrics: cells.flatMap(rows),
    raw: { envelopeBytes: ENVELOPE_BYTES, flushEvery: FLUSH_EVERY, holdLimitMs: HOLD_LIMIT_MS, cells, skipped },
  }
}

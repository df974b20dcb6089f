/**
 * History page loads against conversation length (the durability issue: a page
 * must cost the same at 1,000 and 100,000 stored messages). Per size, one
 * conversation is written straight into a store in the messenger's schema-2
 * layout (engine/messenger/records.ts: `msg/<contact>/<bucket>/<seq>`, the
 * `hist/` head and `meta/schema`; see conversationOps),
 * next to a profile made by createProfile; then a real messenger (createMessenger)
 * reads pages with history(). Sealing 100,000 messages for real would take
 * minutes and measure the crypto, not the read path.
 *
 * Timed, in rounds over all sizes of one store kind (so the shared machine's
 * drift and the JIT's warm-up fall on every size alike; untimed rounds first):
 * history(contact, { limit: 50 }) (the latest page) and history(contact,
 * { before: N / 2, limit: 50 }) (a page deep in the past) on one messenger per
 * size; a cold read (a new messenger on the same open store, load(), then its
 * first latest page); and for the Node file store, the time openFileStore
 * takes to open the filled directory (it reads every record to build its key
 * index, so that one grows with the store) and the first page after it.
 *
 * The file store fsyncs every file of a batch (~1 ms per record on this
 * machine's disk), so a 100,000-record fill through store.batch would take
 * minutes: the records are written as the store's own files (engine/store
 * recordCodec framing, named by sha256 of the key, as native/node/fileStore.ts
 * lays them out) without fsync, and openFileStore then checks every one
 * (checksum and name) — a layout mismatch would leave the pages empty, which
 * the scenario refuses. Even unsynced, creating a file costs ~1 ms on this
 * VM's ext4, so the stores go to tmpfs (/dev/shm) unless HISTORY_DIR names
 * another directory: reads then come from memory, as they do on a disk whose
 * page cache holds a recently used store; a cold disk cache is not measured.
 * One conversation's worth is also written through store.batch in the system
 * temp directory, fsynced, to show what filling it that way costs.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toHex } from '../../engine/bytes.ts'
import { createMessenger } from '../../engine/messenger/index.ts'
import type { Messenger } from '../../engine/messenger/index.ts'
import { encodeRecord, keys } from '../../engine/messenger/records.ts'
import type { HistoryHead, MessageRecord } from '../../engine/messenger/records.ts'
import type { Store, StoreOp } from '../../engine/ports/index.ts'
import { createMemoryStore, encodeRecord as encodeStoreRecord } from '../../engine/store/index.ts'
import { openFileStore } from '../../native/node/fileStore.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { benchText } from '../lib/chatPair.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { median, round } from '../lib/stats.ts'
import type { Metric } from '../lib/table.ts'

const PAGE = 50
/** Per size and store: samples of each warm page kind and of cold reads; the fsynced fill's size. */
const COUNTS = {
  full: { sizes: [1_000, 10_000, 100_000], warm: 50, cold: 10, durableFill: 1_000 },
  quick: { sizes: [1_000, 10_000], warm: 10, cold: 3, durableFill: 100 },
} as const
/** Untimed rounds first: the JIT has not compiled the read path yet. */
const WARM_UP = 30
/** Bound on the measuring rounds of one store kind (all sizes together). */
const WARM_LIMIT_MS = 15_000

export interface HistoryCell {
  readonly messages: number
  /** Keys in the store (history, head, schema, profile). */
  readonly storeKeys: number
  readonly latestMs: number[]
  readonly deepMs: number[]
  /** `before` of the deep page. */
  readonly deepBefore: number
  readonly coldMs: number[]
  /** File store only, setup: writing the record files (unsynced; not a store operation). */
  readonly fillMs?: number
  /** File store only: openFileStore on the filled directory. */
  readonly openMs?: number
  /** File store only: the very first page after opening (cold store and messenger). */
  readonly firstAfterOpenMs?: number
}

export interface HistoryRaw {
  readonly page: number
  /** Where the file stores were (tmpfs by default). */
  readonly fileStoreDir: string
  readonly memory: HistoryCell[]
  readonly file: HistoryCell[]
  /** One conversation written to a file store through store.batch (fsynced), in one batch. */
  readonly durableFill: { readonly dir: string; readonly messages: number; readonly ops: number; readonly ms: number }
}

const components = (store: Store) => ({ crypto: nodeCrypto(), random: systemRandom(), clock: systemClock(), store })

/**
 * The history the messenger would have written for `count` messages of one
 * conversation (alternately out, delivered, and in, read): every record, the
 * head and the schema version. The `msgid/` index entry each message also has
 * is left out: history() never reads it, and it would double the file store's
 * fill and open time (opening grows with the records held: see the figures).
 */
function conversationOps(contactId: string, count: number): StoreOp[] {
  const random = systemRandom()
  const now = Date.now() - count * 1_000
  const ops: StoreOp[] = []
  for (let seq = 0; seq < count; seq++) {
    const out = seq % 2 === 0
    const record: MessageRecord = {
      id: toHex(random.bytes(16)),
      contactId,
      direction: out ? 'out' : 'in',
      text: benchText(seq),
      timestamp: now + seq * 1_000,
      seq,
      status: out ? 'delivered' : 'read',
    }
    ops.push({ type: 'set', key: keys.message(contactId, seq), value: encodeRecord(record) })
  }
  const head: HistoryHead = { next: count, readUpTo: count }
  ops.push({ type: 'set', key: keys.historyHead(contactId), value: encodeRecord(head) })
  ops.push({ type: 'set', key: keys.schema, value: encodeRecord({ version: 2 }) })
  return ops
}

/** What openFileStore reads: one file per key, `<sha256(key)>.rec`, framed by engine/store's record codec. */
function writeRecordFiles(dir: string, ops: readonly StoreOp[]): void {
  // Synchronous on purpose: untimed setup, and ~3x faster here than 100,000 promise round trips through libuv.
  for (const op of ops) {
    if (op.type !== 'set') continue
    const name = createHash('sha256').update(op.key, 'utf8').digest('hex') + '.rec'
    writeFileSync(join(dir, name), encodeStoreRecord(op.key, op.value))
  }
}

function checkPage(page: readonly { seq: number }[], end: number): void {
  const ok = page.length === PAGE && page.every((m, i) => m.seq === end - PAGE + i)
  if (!ok) throw new Error(`history: page before ${end} came back with ${page.length} messages, not seqs ${end - PAGE}..${end - 1}`)
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  const value = await fn()
  return { ms: performance.now() - start, value }
}

/** One filled store, open, with the conversation to read. */
interface Subject {
  readonly messages: number
  readonly contactId: string
  readonly store: Store
  readonly fillMs?: number
  readonly openMs?: number
  readonly firstAfterOpenMs?: number
  close(): Promise<void>
}

async function latestPage(m: Messenger, s: Subject): Promise<number> {
  const { ms, value } = await timed(() => m.history(s.contactId, { limit: PAGE }))
  checkPage(value, s.messages)
  return ms
}

async function deepPage(m: Messenger, s: Subject): Promise<number> {
  const before = Math.floor(s.messages / 2)
  const { ms, value } = await timed(() => m.history(s.contactId, { before, limit: PAGE }))
  checkPage(value, before)
  return ms
}

async function loaded(store: Store): Promise<Messenger> {
  const m = createMessenger(components(store))
  if (!(await m.load())) throw new Error('history: no profile in the store')
  return m
}

/**
 * Round robin over the sizes, so drift in the shared machine's load and the
 * JIT's warm-up fall on every size alike: per round, each size gets a cold read
 * (a new messenger, its first latest page), a warm latest page and a warm deep
 * page (one messenger per size, kept). The first WARM_UP rounds are not kept.
 */
async function measure(subjects: readonly Subject[], counts: { warm: number; cold: number }): Promise<HistoryCell[]> {
  const warm = await Promise.all(subjects.map((s) => loaded(s.store)))
  const cells = await Promise.all(
    subjects.map(async (s) => ({
      messages: s.messages,
      storeKeys: (await s.store.keys('')).length,
      latestMs: [] as number[],
      deepMs: [] as number[],
      deepBefore: Math.floor(s.messages / 2),
      coldMs: [] as number[],
      ...(s.fillMs === undefined ? {} : { fillMs: s.fillMs }),
      ...(s.openMs === undefined ? {} : { openMs: s.openMs }),
      ...(s.firstAfterOpenMs === undefined ? {} : { firstAfterOpenMs: s.firstAfterOpenMs }),
    })),
  )
  const deadline = performance.now() + WARM_LIMIT_MS
  for (let round = -WARM_UP; round < counts.warm && performance.now() < deadline; round++) {
    for (const [i, s] of subjects.entries()) {
      const cold = round >= 0 && round < counts.cold ? await latestPage(await loaded(s.store), s) : undefined
      const latest = await latestPage(warm[i]!, s)
      const deep = await deepPage(warm[i]!, s)
      if (round < 0) continue
      if (cold !== undefined) cells[i]!.coldMs.push(cold)
      cells[i]!.latestMs.push(latest)
      cells[i]!.deepMs.push(deep)
    }
  }
  return cells
}

async function memorySubject(messages: number): Promise<Subject> {
  const store = createMemoryStore()
  await createMessenger(components(store)).createProfile('Bench')
  const contactId = toHex(systemRandom().bytes(32))
  const ops = conversationOps(contactId, messages)
  for (let i = 0; i < ops.length; i += 10_000) await store.batch(ops.slice(i, i + 10_000))
  return { messages, contactId, store, close: async () => undefined }
}

async function fileSubject(base: string, messages: number): Promise<Subject> {
  const dir = mkdtempSync(join(base, 'sovereign-bench-history-'))
  const remove = (): void => rmSync(dir, { recursive: true, force: true })
  try {
    const empty = await openFileStore(dir)
    await createMessenger(components(empty)).createProfile('Bench')
    await empty.close()
    const contactId = toHex(systemRandom().bytes(32))
    const { ms: fillMs } = await timed(async () => writeRecordFiles(dir, conversationOps(contactId, messages)))
    const { ms: openMs, value: store } = await timed(() => openFileStore(dir))
    const close = async (): Promise<void> => {
      await store.close()
      remove()
    }
    try {
      const stored = (await store.keys(keys.messagePrefix(contactId))).length
      if (stored !== messages) throw new Error(`history: the file store opened with ${stored} of ${messages} messages`)
      const subject = { messages, contactId, store, close }
      const firstAfterOpenMs = await latestPage(await loaded(store), subject)
      return { ...subject, fillMs, openMs, firstAfterOpenMs }
    } catch (error) {
      await close()
      throw error
    }
  } catch (error) {
    remove()
    throw error
  }
}

/** The same records through the store's own durable path: one batch, every file fsynced. */
async function durableFill(base: string, messages: number): Promise<HistoryRaw['durableFill']> {
  const dir = mkdtempSync(join(base, 'sovereign-bench-history-'))
  try {
    const store = await openFileStore(dir)
    const ops = conversationOps(toHex(systemRandom().bytes(32)), messages)
    const { ms } = await timed(() => store.batch(ops))
    await store.close()
    return { dir: base, messages, ops: ops.length, ms }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const rounded = (cell: HistoryCell): HistoryCell => ({
  ...cell,
  latestMs: cell.latestMs.map((v) => round(v)),
  deepMs: cell.deepMs.map((v) => round(v)),
  coldMs: cell.coldMs.map((v) => round(v)),
  ...(cell.fillMs === undefined ? {} : { fillMs: round(cell.fillMs) }),
  ...(cell.openMs === undefined ? {} : { openMs: round(cell.openMs) }),
  ...(cell.firstAfterOpenMs === undefined ? {} : { firstAfterOpenMs: round(cell.firstAfterOpenMs) }),
})

function rows(label: string, cells: readonly HistoryCell[]): Metric[] {
  const metrics: Metric[] = []
  for (const c of cells) {
    const n = c.messages.toLocaleString('en-US')
    metrics.push(
      { metric: `${label} ${n}: latest page (${PAGE}), median of ${c.latestMs.length}`, value: median(c.latestMs), unit: 'ms' },
      { metric: `${label} ${n}: page before ${c.deepBefore.toLocaleString('en-US')}, median`, value: median(c.deepMs), unit: 'ms' },
      { metric: `${label} ${n}: cold (new messenger), median of ${c.coldMs.length}`, value: median(c.coldMs), unit: 'ms' },
    )
    if (c.openMs !== undefined) {
      metrics.push({ metric: `${label} ${n}: openFileStore (${c.storeKeys.toLocaleString('en-US')} keys)`, value: c.openMs, unit: 'ms' })
    }
    if (c.firstAfterOpenMs !== undefined) {
      metrics.push({ metric: `${label} ${n}: first page after open`, value: c.firstAfterOpenMs, unit: 'ms' })
    }
  }
  const small = cells[0]!
  const large = cells[cells.length - 1]!
  const ratio = `${large.messages / 1_000}k/${small.messages / 1_000}k`
  metrics.push(
    { metric: `${label}: latest page ${ratio}`, value: median(large.latestMs) / median(small.latestMs), unit: 'ratio' },
    { metric: `${label}: deep page ${ratio}`, value: median(large.deepMs) / median(small.deepMs), unit: 'ratio' },
  )
  return metrics
}

/** Where the file stores go: tmpfs unless HISTORY_DIR says otherwise (see the header). */
function fileStoreBase(): string {
  return process.env.HISTORY_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
}

async function withSubjects(make: (size: number) => Promise<Subject>, sizes: readonly number[], counts: { warm: number; cold: number }): Promise<HistoryCell[]> {
  const subjects: Subject[] = []
  try {
    for (const size of sizes) subjects.push(await make(size))
    return await measure(subjects, counts)
  } finally {
    for (const s of subjects) await s.close()
  }
}

export async function runHistory(options: ScenarioOptions = {}): Promise<ScenarioResult<HistoryRaw>> {
  const counts = options.quick ? COUNTS.quick : COUNTS.full
  const fileBase = fileStoreBase()
  const memory = await withSubjects(memorySubject, counts.sizes, counts)
  const file = await withSubjects((size) => fileSubject(fileBase, size), counts.sizes, counts)
  const fill = await durableFill(tmpdir(), counts.durableFill)
  const metrics: Metric[] = [
    ...rows('memory', memory),
    ...rows('file', file),
    {
      metric: `file: fill through store.batch on ${fill.dir} (${fill.messages.toLocaleString('en-US')} messages, ${fill.ops.toLocaleString('en-US')} records, 1 batch)`,
      value: fill.ms / fill.messages,
      unit: 'ms/message',
    },
  ]
  return {
    name: 'history',
    metrics,
    raw: { page: PAGE, fileStoreDir: fileBase, memory: memory.map(rounded), file: file.map(rounded), durableFill: { ...fill, ms: round(fill.ms) } },
  }
}

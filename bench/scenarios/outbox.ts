/**
 * Outbox enqueue throughput: messages made durable and queued per second by the
 * messenger's send path. Each compose / composeBatch call validates, numbers and
 * seals the texts (one Double Ratchet message per envelope), then writes session
 * state, history entries, the history head, the message index and the outbox
 * entry in one store batch per envelope, and returns only once that batch is
 * durable. Nothing is sent: the bytes stay in the outbox, as they would with no
 * link open.
 *
 * Cells: (a) one message per call (compose), (b) 64 messages per call
 * (composeBatch: one envelope of 64), each on the memory store and on the Node
 * file store (native/node/fileStore.ts in the system temp directory, a real
 * disk: every file of a batch is fsynced, then the directory). Each cell is a
 * fresh pair: Alice (the store under test) accepted Bob's offer, Bob's receipt
 * for her intro came back, so her session is an established ratchet. Crypto is
 * node:crypto, as on a Node host. The outbox refuses more than 1,000 waiting
 * messages per destination (OutboxFullError); no receipts flow here, so Alice
 * is created with `outboxLimit` set out of reach and the queue just grows.
 *
 * A store wrapper times store.batch, so the table shows how much of each call
 * is the store's write (on the file store, the fsyncs).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMessenger } from '../../engine/messenger/index.ts'
import type { Messenger } from '../../engine/messenger/index.ts'
import type { Store, StoreOp } from '../../engine/ports/index.ts'
import { createMemoryStore } from '../../engine/store/index.ts'
import { decodeEnvelope } from '../../engine/wire/index.ts'
import { openFileStore } from '../../native/node/fileStore.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { benchText } from '../lib/chatPair.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { median, percentile, round } from '../lib/stats.ts'
import type { Metric } from '../lib/table.ts'

const BATCH = 64
/**
 * Timed calls stop at this many messages or at CELL_LIMIT_MS, whichever comes
 * first. Both modes get the same count: the store grows as they run (nothing is
 * delivered), and a call's cost grows with it, so equal counts compare equals.
 */
const COUNTS = {
  full: { messages: BATCH * 64, warmUpCalls: 50 },
  quick: { messages: BATCH * 4, warmUpCalls: 5 },
} as const
const CELL_LIMIT_MS = 5_000
const WARM_UP_LIMIT_MS = 1_000

export interface OutboxCell {
  readonly store: 'memory' | 'file'
  readonly perCall: number
  readonly calls: number
  readonly messages: number
  readonly envelopes: number
  readonly wallMs: number
  readonly messagesPerSecond: number
  /** Every timed call, ms. */
  readonly callMs: number[]
  /** Time inside store.batch during the timed calls, and how many batches and ops. */
  readonly storeBatchMs: number
  readonly batches: number
  readonly ops: number
  /** Outbox entries Alice holds afterwards (read back from the store): one per envelope. */
  readonly queuedEnvelopes: number
}

export interface OutboxRaw {
  readonly textBytes: number
  readonly cellLimitMs: number
  readonly cells: OutboxCell[]
}

interface BatchMeter {
  ms: number
  batches: number
  ops: number
}

/** The store with store.batch timed and counted. */
function metered(store: Store, meter: BatchMeter): Store {
  return {
    get: (key) => store.get(key),
    set: (key, value) => store.set(key, value),
    delete: (key) => store.delete(key),
    keys: (prefix) => store.keys(prefix),
    async batch(ops: readonly StoreOp[]) {
      const start = performance.now()
      try {
        await store.batch(ops)
      } finally {
        meter.ms += performance.now() - start
        meter.batches++
        meter.ops += ops.length
      }
    },
  }
}

/** Alice accepts Bob's offer; her intro reaches Bob and his receipt comes back (as engine/messenger/test/harness.ts `pair`). */
async function pair(aliceStore: Store): Promise<{ alice: Messenger; bobId: string }> {
  const ports = { crypto: nodeCrypto(), random: systemRandom(), clock: systemClock() }
  const alice = createMessenger({ ...ports, store: aliceStore, outboxLimit: Number.MAX_SAFE_INTEGER })
  const bob = createMessenger({ ...ports, store: createMemoryStore() })
  await alice.createProfile('Alice')
  const bobProfile = await bob.createProfile('Bob')
  const { outgoing } = await alice.acceptOffer(bob.createOffer([]))
  const atBob = await bob.receive(decodeEnvelope(outgoing.bytes))
  if (atBob.receipts.length === 0) throw new Error('outbox: Bob did not acknowledge the intro')
  for (const r of atBob.receipts) await alice.receive(decodeEnvelope((await bob.acknowledge(r.contactId, r.ids)).bytes))
  if ((await alice.outbox()).length !== 0) throw new Error('outbox: the intro is still waiting after its receipt')
  return { alice, bobId: bobProfile.id }
}

async function measureCell(kind: OutboxCell['store'], store: Store, perCall: number, total: number, warmUpCalls: number): Promise<OutboxCell> {
  const meter: BatchMeter = { ms: 0, batches: 0, ops: 0 }
  const { alice, bobId } = await pair(metered(store, meter))
  let sent = 0
  const call = async (): Promise<number> => {
    const texts = Array.from({ length: perCall }, () => benchText(sent++))
    if (perCall === 1) {
      await alice.compose(bobId, texts[0]!)
      return 1
    }
    return (await alice.composeBatch(bobId, texts)).outgoing.length
  }
  const warmUpEnd = performance.now() + WARM_UP_LIMIT_MS
  let warmEnvelopes = 0
  for (let i = 0; i < warmUpCalls && performance.now() < warmUpEnd; i++) warmEnvelopes += await call()

  meter.ms = 0
  meter.batches = 0
  meter.ops = 0
  const callMs: number[] = []
  let messages = 0
  let envelopes = 0
  const start = performance.now()
  const deadline = start + CELL_LIMIT_MS
  while (messages < total && performance.now() < deadline) {
    const t0 = performance.now()
    envelopes += await call()
    callMs.push(performance.now() - t0)
    messages += perCall
  }
  const wallMs = performance.now() - start
  const queuedEnvelopes = (await alice.outbox()).length
  if (queuedEnvelopes !== warmEnvelopes + envelopes) {
    throw new Error(`outbox: ${queuedEnvelopes} envelopes queued, expected ${warmEnvelopes + envelopes}`)
  }
  return {
    store: kind,
    perCall,
    calls: callMs.length,
    messages,
    envelopes,
    wallMs,
    messagesPerSecond: (messages / wallMs) * 1000,
    callMs,
    storeBatchMs: meter.ms,
    batches: meter.batches,
    ops: meter.ops,
    queuedEnvelopes,
  }
}

async function fileCell(perCall: number, total: number, warmUpCalls: number): Promise<OutboxCell> {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-bench-outbox-'))
  try {
    const store = await openFileStore(dir)
    try {
      return await measureCell('file', store, perCall, total, warmUpCalls)
    } finally {
      await store.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function rows(c: OutboxCell): Metric[] {
  // The store grows during a cell (nothing is delivered): does a call get dearer as it does?
  const fifth = Math.max(1, Math.floor(c.callMs.length / 5))
  const label = `${c.store}, ${c.perCall === 1 ? 'compose (1 per call)' : `composeBatch (${c.perCall} per call)`}`
  return [
    { metric: `${label}: ${c.messages.toLocaleString('en-US')} messages`, value: c.messagesPerSecond, unit: 'msg/s' },
    { metric: `${label}: per call p50`, value: median(c.callMs), unit: 'ms' },
    { metric: `${label}: per call p99`, value: percentile(c.callMs, 99), unit: 'ms' },
    { metric: `${label}: per call p50, last fifth of calls / first fifth`, value: median(c.callMs.slice(-fifth)) / median(c.callMs.slice(0, fifth)), unit: 'ratio' },
    { metric: `${label}: share in store.batch (${round(c.ops / c.batches, 1)} ops per batch)`, value: (c.storeBatchMs / c.wallMs) * 100, unit: '%' },
  ]
}

export async function runOutbox(options: ScenarioOptions = {}): Promise<ScenarioResult<OutboxRaw>> {
  const counts = options.quick ? COUNTS.quick : COUNTS.full
  const batchWarmUp = Math.max(2, Math.ceil(counts.warmUpCalls / 10))
  const cells = [
    await measureCell('memory', createMemoryStore(), 1, counts.messages, counts.warmUpCalls),
    await measureCell('memory', createMemoryStore(), BATCH, counts.messages, batchWarmUp),
    await fileCell(1, counts.messages, counts.warmUpCalls),
    await fileCell(BATCH, counts.messages, batchWarmUp),
  ]
  return {
    name: 'outbox',
    metrics: cells.flatMap(rows),
    raw: {
      textBytes: benchText(0).length,
      cellLimitMs: CELL_LIMIT_MS,
      cells: cells.map((c) => ({
        ...c,
        wallMs: round(c.wallMs),
        messagesPerSecond: round(c.messagesPerSecond, 1),
        callMs: c.callMs.map((v) => round(v)),
        storeBatchMs: round(c.storeBatchMs),
      })),
    },
  }
}

/**
 * The sender of the kill -9 test, as a real process the test can SIGKILL:
 *
 *   node test/durability/senderProcess.ts
 *
 * It opens its file store, builds the engine in-process on ports wrapped with
 * crash points (crashPoints.ts), connects to the relay and makes sure every text
 * `m-0000 … m-<COUNT-1>` is in its history with the contact, sending only those
 * that are not: a text is in history exactly when its envelope and outbox record
 * were written (one atomic batch), so this is idempotent across kills. It then
 * keeps running (the outbox retries until each receipt) until killed, or until a
 * `stop` line on stdin, which shuts it down cleanly.
 *
 * Environment: DATA_DIR, RELAY_URL, CONTACT_ID, COUNT (1000), CRASH_AT
 * (`<step>:<n>`, optional), SEED (chunk sizes), PACE_MS (pause between chunks),
 * BUDGET (at most this many new texts in this run; the test spreads them over its runs),
 * BURST (how many of them to send at once, first; the crash point counts only
 * once they are written), CHUNK (most texts per tick after that, 5).
 * Progress goes to stdout as one JSON object per line (senderRun.ts reads them).
 */
import { createInterface } from 'node:readline'
import type { MessageStatus, MessageView } from '../../engine/messenger/index.ts'
import { openFileStore } from '../../native/node/fileStore.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { createWsTransport } from '../../native/node/wsTransport.ts'
import { createEngine } from '../../workers/createEngine.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { createCrashPoints, parseCrashAt } from './crashPoints.ts'
import { prng } from './prng.ts'
import { KILL_TEST_POLICY, textOf } from './senderRun.ts'

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

/** Synchronous on a pipe (Linux), so a line written just before a SIGKILL still reaches the parent. */
const report = (line: Record<string, unknown>): void => void process.stdout.write(JSON.stringify({ t: Date.now(), ...line }) + '\n')

process.on('unhandledRejection', (error) => {
  report({ ev: 'error', name: (error as Error)?.name, message: String((error as Error)?.message ?? error) })
  process.exit(3)
})

const dataDir = env('DATA_DIR')
const relayUrl = env('RELAY_URL')
const contactId = env('CONTACT_ID')
const count = Number(process.env['COUNT'] ?? 1000)
const plan = parseCrashAt(process.env['CRASH_AT'])
const random = prng(Number(process.env['SEED'] ?? 1))
const paceMs = Number(process.env['PACE_MS'] ?? 20)
const budget = process.env['BUDGET'] ? Number(process.env['BUDGET']) : Number.POSITIVE_INFINITY
const burst = Number(process.env['BURST'] ?? 0)

report({ ev: 'start', pid: process.pid, plan, uptimeMs: Math.round(process.uptime() * 1000) })
const phases: Record<string, number> = {}
let phaseStart = Date.now()
const phase = (name: string): void => {
  phases[name] = Date.now() - phaseStart
  phaseStart = Date.now()
}
const store = await openFileStore(dataDir)
phase('openMs')
/** The state a crash line carries (set once the engine exists), so the test knows what the dead run left. */
let snapshot = (): Record<string, unknown> => ({})
const points = createCrashPoints({
  plan,
  armed: burst === 0,
  outboxKeys: await store.keys('outbox/'),
  report: (line) => report(line['ev'] === 'crash' ? { ...snapshot(), ...line } : line),
})
const engine = await createEngine({
  crypto: points.crypto(nodeCrypto()),
  random: systemRandom(),
  clock: systemClock(),
  store: points.store(store),
  transport: points.transport(createWsTransport()),
  outboxPolicy: KILL_TEST_POLICY,
})
phase('engineMs')

/**
 * Text and status of every outgoing message by id, merged from history and events.
 * A status event may come before the history read reaches its message (a receipt
 * during start-up): the text then comes from history, and the furthest status
 * wins, since statuses only move forward.
 */
const RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, relayed: 2, failed: 3, delivered: 4, read: 5, received: -1 }
const messages = new Map<string, { text: string; status: MessageStatus }>()
let dirty = true
const note = (m: Pick<MessageView, 'id' | 'status'> & { text?: string }): void => {
  const known = messages.get(m.id)
  const text = m.text || known?.text || ''
  const status = known && RANK[known.status] >= RANK[m.status] ? known.status : m.status
  if (known?.text === text && known.status === status) return
  messages.set(m.id, { text, status })
  dirty = true
}
await engine.subscribe((events) => {
  for (const e of events) {
    if (e.type === 'message' && e.message.direction === 'out') note(e.message)
    if (e.type === 'messageStatus') note(e)
  }
})

// The whole conversation, newest page first (history pages are oldest first within a page).
let before: number | undefined
for (;;) {
  const page = await engine.history(contactId, { ...(before !== undefined ? { before } : {}), limit: 500 })
  for (const m of page) if (m.direction === 'out') note(m)
  if (page.length < 500) break
  before = page[0]!.seq
}
phase('historyMs')
const stored = new Set([...messages.values()].map((m) => m.text))
const missing = Array.from({ length: count }, (_, i) => textOf(i)).filter((text) => !stored.has(text))

const progress = (): Record<string, unknown> => {
  const all = [...messages.values()]
  const texts = new Set(all.map((m) => m.text))
  return {
    composed: all.length,
    distinct: texts.size,
    delivered: all.filter((m) => m.status === 'delivered' || m.status === 'read').length,
    failed: all.filter((m) => m.status === 'failed').length,
    outbox: points.outboxSize(),
    ...points.transmitted(),
    // Envelopes addressed to this node that the engine opened, and those it dropped (undecryptable, forged…).
    ...engine.stats(),
  }
}
snapshot = progress
let lastOutbox = points.outboxSize()
const progressTimer = setInterval(() => {
  if (!dirty && points.outboxSize() === lastOutbox) return
  dirty = false
  lastOutbox = points.outboxSize()
  report({ ev: 'progress', ...progress() })
}, 100)

await engine.connect(relayUrl)
report({ ev: 'ready', missing: missing.length, ...phases, ...progress() })

let stopping = false
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop' || stopping) return
  stopping = true
  void (async () => {
    clearInterval(progressTimer)
    await engine.shutdown()
    await store.close()
    report({ ev: 'stopped', ...progress() })
    process.exit(0)
  })()
})

// First BURST texts in one tick (a backlog: one composeBatch, packed into few envelopes),
// then like a user typing: one to CHUNK messages per tick (one composeBatch, one envelope each).
const quota = Math.min(missing.length, budget)
const maxChunk = Math.max(1, Number(process.env['CHUNK'] ?? 5))
for (let i = 0; i < quota && !stopping; ) {
  const size = i === 0 && burst > 0 ? Math.min(quota, burst) : Math.min(quota - i, random.int(1, maxChunk))
  const chunk = missing.slice(i, i + size)
  i += chunk.length
  try {
    for (const m of await Promise.all(chunk.map((text) => engine.send(contactId, text)))) note(m)
  } catch (error) {
    report({ ev: 'error', name: (error as Error).name, message: (error as Error).message })
    process.exit(2)
  }
  // The backlog is durable: from here the crash point counts.
  points.arm()
  await new Promise((resolve) => setTimeout(resolve, Math.round(paceMs * (0.5 + random.next()))))
}
points.arm()
report({ ev: 'composed', ...progress() })

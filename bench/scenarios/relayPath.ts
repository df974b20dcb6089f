/**
 * relay-path: end-to-end chat across real relay processes (issue 11, home relays).
 *
 * Every relay is the daemon (`node native/node/relay.ts`, bench/lib/relayProcess.ts) on
 * 127.0.0.1 with a fresh DATA_DIR and link budgets ×100 (as ws-relay: the figure is
 * forwarding, not the defence). Alice and Bob are the chat scenarios' in-process engines
 * (bench/lib/chatPair.ts: noble crypto, memory stores, the Node ws transport), and the
 * timed phases are theirs too (bench/lib/chatScenario.ts): Bob sends, Alice receives.
 * So below, S is the sender's (Bob's) home relay and R the recipient's (Alice's).
 *
 * Cases (CASES=1,2,… picks some; default: all):
 * - `1`: one relay, both users' home.
 * - `2`: Bob on S, Alice on R, no peering configured: S dials R on demand, by the address
 *   in Alice's reach record (engine/routing/forwarder.ts, workers/relayPool.ts).
 * - `2-peered`: as `2`, but S is told to peer with R (PEERS=R): the only way two relays
 *   carried mail before issue 11 (global distance-vector routes over peered relays).
 * - `3-chain`: three relays peered in a chain S → M → R (PEERS), the old way to put a third
 *   relay on the path. It is measured as configured and shows what the routing makes of it.
 * - `2-homes`: Alice with two home relays R1 and R2 (her reach record names R1 first), both
 *   up and linked; Bob on S.
 * - `2-homes-first-down`: as `2-homes`, then R1 is stopped before the timed phases (Alice's
 *   record still names it first): S goes to R2.
 *
 * Why no three-relay path now: mail leaves the sender's engine through its own relay (or,
 * if none is up, straight to a recipient's home relay); that relay hands it to one of the
 * recipient's home relays over a link it has or dials; a home relay delivers to the
 * recipient's own link or keeps the mail (custody) until the recipient links to it. It does
 * not pass it on to another relay: a relay's homesOf() is null for its own registered users,
 * and relays pass no route but their own (docs/protocol.md, Announcement, Scope). (The one
 * relay-to-relay step after a home relay is a handover: what a user's old home held when the
 * user moved away goes once to the new home, engine/routing/dataPlane.ts. That moves held
 * mail a single time; it is not a path live chat takes, so it has no msg/s to measure.) A relay
 * between the two (M in `3-chain`) is never used: S has Alice's record and dials R. So
 * "3 relays" is not a path the routing makes any more; `2-homes` (the recipient with two
 * home relays) and `2-homes-first-down` stand in its place, and `3-chain` shows that the
 * configured chain is crossed as two relays. The before-figures for `1`, `2-peered` and
 * `3-chain` come from the same file run on commit fa48092 (bench/README.md, relay-path).
 *
 * Untimed setup per case: the relays (healthy on /healthz); both engines linked; Bob
 * accepted Alice's offer and Alice learned Bob (createChatPair); for two homes, Alice
 * links to R2 as well; then, waiting on state (no sleeps), Bob holds Alice's reach record
 * naming all her homes and Alice holds Bob's naming S; then WARMUP one-message trips, each
 * awaited (the on-demand dial and the sessions are done before timing). For
 * `2-homes-first-down`, R1 is stopped after that, Alice's link to it is seen closed, and
 * WARMUP more trips pass (now through R2) before timing.
 *
 * Timed, in this order: the chat scenarios' throughput phase (MESSAGES send() calls of one
 * 256-byte message each, 64 in flight: the engine's send coalescer, workers/sendCoalescer.ts,
 * makes each burst a few envelopes, so the relays see few); the same with one send() in
 * flight (window 1: the next send() once the last resolved, so one envelope per message and
 * the relays' per-envelope cost shows); their latency phase (TRIPS sequential trips, send()
 * to Alice's `message` event). Over each throughput phase: the CPU of the bench process
 * (both engines) and of each relay process (/proc/<pid>/stat, 10 ms ticks), per message, and
 * the envelopes each relay forwarded (/healthz `forwarded`: messages and Alice's receipts).
 * "Relays on the path" counts the relays that forwarded, in the window-1 phase, at least half
 * as many envelopes as the busiest one (a relay off the path forwards none).
 *
 * ROUNDS (default 1) repeats every case, starting each round one case later; figures are
 * medians over the rounds, every round's numbers are in the raw JSON.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createWsTransport } from '../../native/node/wsTransport.ts'
import { createChatPair, measureLatency, measureThroughput, waitUntil } from '../lib/chatPair.ts'
import type { ChatPair, ThroughputResult } from '../lib/chatPair.ts'
import { COUNTS, WINDOW } from '../lib/chatScenario.ts'
import { startRelayProcess } from '../lib/relayProcess.ts'
import type { RelayExit, RelayProcess } from '../lib/relayProcess.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { median, percentile, round } from '../lib/stats.ts'
import type { Metric } from '../lib/table.ts'

export const RELAY_PATH_CASES = ['1', '2', '2-peered', '3-chain', '2-homes', '2-homes-first-down'] as const
export type RelayPathCase = (typeof RELAY_PATH_CASES)[number]

const LABELS: Record<RelayPathCase, string> = {
  '1': '1 relay',
  '2': '2 relays (S dials R on demand)',
  '2-peered': '2 relays (S peered with R)',
  '3-chain': '3 relays peered S→M→R',
  '2-homes': '2 relays, Alice with 2 homes',
  '2-homes-first-down': "2 relays, Alice's 1st home down",
}

const THROUGHPUT_LIMIT_MS = 15_000
const LATENCY_LIMIT_MS = 10_000
/** Untimed waits: reach records, links, the stopped relay (peered routes take an announcement round or two). */
const READY_LIMIT_MS = 20_000
const WARMUP = 10

interface Relay {
  /** S, M, R, R1 or R2 (see the header). */
  readonly role: string
  readonly process: RelayProcess
}

interface Layout {
  readonly relays: readonly Relay[]
  /** Bob's relay. */
  readonly sender: RelayProcess
  /** Alice's relays, in the order she connects (her reach record's order). */
  readonly recipient: readonly RelayProcess[]
}

/** What a timed phase cost beside its wall time. */
export interface PhaseCost {
  /** CPU of this process (both engines) and of each relay process (by role) over the phase, ms. */
  readonly cpuMs: { readonly engines: number; readonly relays: Readonly<Record<string, number>> }
  /** Envelopes each relay forwarded over the phase (/healthz `forwarded`: messages and Alice's receipts). */
  readonly forwarded: Readonly<Record<string, number>>
}

export interface RelayPathRun {
  readonly case: RelayPathCase
  readonly round: number
  /** Relay processes started (M included, though unused now). */
  readonly relaysStarted: number
  /** Throughput, WINDOW send() calls in flight: the engine coalesces them into a few envelopes. */
  readonly batched: ThroughputResult & PhaseCost
  /** Throughput, one send() at a time (the next once the last resolved): one envelope per message. */
  readonly single: ThroughputResult & PhaseCost
  readonly latencySamplesMs: readonly number[]
  /** Relays that forwarded at least half as many envelopes as the busiest one in the `single` phase. */
  readonly relaysOnPath: number
  /** Untimed setup, ms: from the first relay started to the first timed send. */
  readonly setupMs: number
  readonly relayExits: Readonly<Record<string, RelayExit>>
}

export interface RelayPathRaw {
  readonly rounds: number
  readonly messages: number
  readonly trips: number
  readonly warmupTrips: number
  readonly runs: readonly RelayPathRun[]
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/** User + system CPU of a process so far, ms (Linux /proc; resolution one clock tick, 10 ms here). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000
}

async function forwardedCount(relay: RelayProcess): Promise<number> {
  const health = (await fetch(`${relay.httpUrl}/healthz`).then((r) => r.json())) as { forwarded?: number }
  return health.forwarded ?? 0
}

const compact = (t: ThroughputResult): ThroughputResult => ({ ...t, wallMs: round(t.wallMs), messagesPerSecond: round(t.messagesPerSecond, 1) })

/** Runs a timed phase and measures its CPU (this process, each relay process) and each relay's forwarding. */
async function withCost<T>(relays: readonly Relay[], phase: () => Promise<T>): Promise<{ result: T; cost: PhaseCost }> {
  const forwardedBefore = await Promise.all(relays.map((r) => forwardedCount(r.process)))
  const relayCpuBefore = relays.map((r) => processCpuMs(r.process.pid))
  const cpuBefore = process.cpuUsage()
  const result = await phase()
  const cpu = process.cpuUsage(cpuBefore)
  const relayCpuAfter = relays.map((r) => processCpuMs(r.process.pid))
  const forwardedAfter = await Promise.all(relays.map((r) => forwardedCount(r.process)))
  const forwarded: Record<string, number> = {}
  const relayCpu: Record<string, number> = {}
  relays.forEach((r, i) => {
    forwarded[r.role] = forwardedAfter[i]! - forwardedBefore[i]!
    relayCpu[r.role] = round(relayCpuAfter[i]! - relayCpuBefore[i]!, 1)
  })
  return { result, cost: { cpuMs: { engines: round((cpu.user + cpu.system) / 1000, 1), relays: relayCpu }, forwarded } }
}

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`)
  return value
}

function selectedCases(): RelayPathCase[] {
  const raw = process.env.CASES
  if (raw === undefined || raw.trim() === '') return [...RELAY_PATH_CASES]
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  const unknown = names.filter((n) => !(RELAY_PATH_CASES as readonly string[]).includes(n))
  if (unknown.length > 0) throw new Error(`CASES: unknown ${unknown.join(', ')} (cases: ${RELAY_PATH_CASES.join(', ')})`)
  return RELAY_PATH_CASES.filter((c) => names.includes(c))
}

/** The case's relays; one that peers starts after the relay it dials (PEERS needs its address). */
async function startLayout(name: RelayPathCase, relays: Relay[]): Promise<Layout> {
  const start = async (role: string, peer?: RelayProcess): Promise<RelayProcess> => {
    const relay = await startRelayProcess(10_000, { LINK_BUDGET_SCALE: '100', ...(peer ? { PEERS: peer.linkUrl } : {}) })
    relays.push({ role, process: relay })
    return relay
  }
  /** Started side by side; every start settles before a failure is thrown, so the caller stops them all. */
  const startAll = async (...roles: string[]): Promise<RelayProcess[]> => {
    const settled = await Promise.allSettled(roles.map((role) => start(role)))
    const failed = settled.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
    return settled.map((r) => (r as PromiseFulfilledResult<RelayProcess>).value)
  }
  switch (name) {
    case '1': {
      const r = await start('R')
      return { relays, sender: r, recipient: [r] }
    }
    case '2': {
      const [r, s] = await startAll('R', 'S')
      return { relays, sender: s!, recipient: [r!] }
    }
    case '2-peered': {
      const r = await start('R')
      return { relays, sender: await start('S', r), recipient: [r] }
    }
    case '3-chain': {
      const r = await start('R')
      const m = await start('M', r)
      return { relays, sender: await start('S', m), recipient: [r] }
    }
    case '2-homes':
    case '2-homes-first-down': {
      const [r1, r2, s] = await startAll('R1', 'R2', 'S')
      return { relays, sender: s!, recipient: [r1!, r2!] }
    }
  }
}

const linkOpen = async (pair: ChatPair, who: 'alice' | 'bob', address: string): Promise<boolean> =>
  (await pair[who].links()).some((l) => l.address === address && l.state === 'open')

async function runCase(name: RelayPathCase, roundIndex: number, counts: { messages: number; trips: number }): Promise<RelayPathRun> {
  const setupStart = performance.now()
  const relays: Relay[] = []
  const exits: Record<string, RelayExit> = {}
  const stopRelay = async (relay: Relay): Promise<void> => {
    if (exits[relay.role] === undefined) exits[relay.role] = await relay.process.stop()
  }
  try {
    const layout = await startLayout(name, relays)
    const [firstHome, ...moreHomes] = layout.recipient
    const pair = await createChatPair(() => createWsTransport(), firstHome!.linkUrl, { bobRelay: layout.sender.linkUrl })
    try {
      for (const home of moreHomes) {
        await pair.alice.connect(home.linkUrl)
        await waitUntil(`Alice linked to ${home.linkUrl}`, () => linkOpen(pair, 'alice', home.linkUrl), READY_LIMIT_MS)
      }
      const homes = layout.recipient.map((r) => r.linkUrl)
      await waitUntil(
        "Bob holds Alice's reach record naming her homes",
        async () => (await pair.bob.contactReach(pair.aliceId))?.relays.map((r) => r.address).join(' ') === homes.join(' '),
        READY_LIMIT_MS,
      )
      await waitUntil(
        "Alice holds Bob's reach record naming S",
        async () => (await pair.alice.contactReach(pair.bobId))?.relays.some((r) => r.address === layout.sender.linkUrl) === true,
        READY_LIMIT_MS,
      )
      await measureLatency(pair, { rounds: WARMUP, timeoutMs: READY_LIMIT_MS })
      if (name === '2-homes-first-down') {
        const first = relays.find((r) => r.role === 'R1')!
        await stopRelay(first)
        if (!exits.R1!.clean) throw new Error('R1 ignored SIGTERM and was killed')
        await waitUntil("Alice's link to R1 closed", async () => !(await linkOpen(pair, 'alice', first.process.linkUrl)), READY_LIMIT_MS)
        await measureLatency(pair, { rounds: WARMUP, timeoutMs: READY_LIMIT_MS })
      }
      const live = relays.filter((r) => exits[r.role] === undefined)
      const setupMs = performance.now() - setupStart

      const batched = await withCost(live, () =>
        measureThroughput(pair, { messages: counts.messages, window: WINDOW, timeoutMs: THROUGHPUT_LIMIT_MS }),
      )
      const single = await withCost(live, () => measureThroughput(pair, { messages: counts.messages, window: 1, timeoutMs: THROUGHPUT_LIMIT_MS }))
      const latency = await measureLatency(pair, { rounds: counts.trips, timeoutMs: LATENCY_LIMIT_MS })
      const most = Math.max(...Object.values(single.cost.forwarded))
      return {
        case: name,
        round: roundIndex,
        relaysStarted: relays.length,
        batched: { ...compact(batched.result), ...batched.cost },
        single: { ...compact(single.result), ...single.cost },
        latencySamplesMs: latency.samplesMs.map((s) => round(s)),
        relaysOnPath: Object.values(single.cost.forwarded).filter((n) => n > 0 && n >= most / 2).length,
        setupMs: round(setupMs, 0),
        relayExits: exits,
      }
    } finally {
      await pair.shutdown()
    }
  } finally {
    for (const relay of [...relays].reverse()) await stopRelay(relay)
    const unclean = Object.entries(exits).filter(([, e]) => !e.clean)
    if (unclean.length > 0) throw new Error(`relay ${unclean.map(([role]) => role).join(', ')} ignored SIGTERM and was killed`)
  }
}

export async function runRelayPath(options: ScenarioOptions = {}): Promise<ScenarioResult<RelayPathRaw>> {
  const quick = options.quick ?? false
  const cases = selectedCases()
  const rounds = envNumber('ROUNDS', 1)
  const base = quick ? COUNTS.quick : COUNTS.full
  const counts = { messages: envNumber('MESSAGES', base.messages), trips: envNumber('TRIPS', base.rounds) }
  const runs: RelayPathRun[] = []
  for (let r = 0; r < rounds; r++) {
    // Each round starts one case later, so no case always runs first (or last) on a busy machine.
    for (let i = 0; i < cases.length; i++) runs.push(await runCase(cases[(r + i) % cases.length]!, r, counts))
  }
  const metrics: Metric[] = []
  const med = (values: readonly number[]): number => median(values)
  const of = rounds > 1 ? `, median of ${rounds} rounds` : ''
  for (const name of cases) {
    const mine = runs.filter((run) => run.case === name)
    const label = LABELS[name]
    const sum = (o: Readonly<Record<string, number>>): number => Object.values(o).reduce((a, b) => a + b, 0)
    const perMessage = (ms: number): number => ms / counts.messages
    metrics.push(
      { metric: `${label}: throughput (${counts.messages} × 256 B, window ${WINDOW}${of})`, value: med(mine.map((m) => m.batched.messagesPerSecond)), unit: 'messages/s' },
      { metric: `${label}: throughput (window 1: one envelope per message)`, value: med(mine.map((m) => m.single.messagesPerSecond)), unit: 'messages/s' },
      { metric: `${label}: latency p50 (${counts.trips} sequential)`, value: med(mine.map((m) => median(m.latencySamplesMs))), unit: 'ms' },
      { metric: `${label}: latency p99`, value: med(mine.map((m) => percentile(m.latencySamplesMs, 99))), unit: 'ms' },
      { metric: `${label}: CPU per message, engines (window ${WINDOW})`, value: med(mine.map((m) => perMessage(m.batched.cpuMs.engines))), unit: 'ms' },
      { metric: `${label}: CPU per message, relays (window ${WINDOW})`, value: med(mine.map((m) => perMessage(sum(m.batched.cpuMs.relays)))), unit: 'ms' },
      { metric: `${label}: CPU per message, engines (window 1)`, value: med(mine.map((m) => perMessage(m.single.cpuMs.engines))), unit: 'ms' },
      { metric: `${label}: CPU per message, relays (window 1)`, value: med(mine.map((m) => perMessage(sum(m.single.cpuMs.relays)))), unit: 'ms' },
      { metric: `${label}: relays on the path (window 1 forwarding)`, value: med(mine.map((m) => m.relaysOnPath)), unit: 'relays' },
    )
  }
  return { name: 'relay-path', metrics, raw: { rounds, messages: counts.messages, trips: counts.trips, warmupTrips: WARMUP, runs } }
}

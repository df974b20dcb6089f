/**
 * A relay process holding many authenticated peers (issue 10, Benchmarks): the
 * relay server (`startRelay`) in a child process (lib/scale/relayChild.ts), and
 * light peers — a `ws` socket, the Noise XX link handshake and link frames, no
 * engine — spread over a few client processes (lib/scale/peerClient.ts) so the
 * clients are not the limit; their CPU is counted apart from the relay's.
 *
 * Per run, in the relay process: RSS and heap with no peers and with all peers
 * connected (both after gc), CPU and wall time of connecting them all
 * (handshakes/s), CPU during a quiet spell (keepalives only), then `pairs` pairs
 * sending paced envelopes through it for `durationMs` (msg/s, relay CPU per
 * message, event-loop utilisation, sender-to-receiver p50/p99). Each round
 * runs the relay with its link defence (RelayInit.defence: budgets, peer scores)
 * on and off, in alternating order (the connection gate runs in both, its caps
 * raised); figures are medians per variant over the rounds,
 * and their ratio. The pacing stays under a stranger link's envelope budget
 * (20/s), so with defence on nothing is shed and the ratio is the limiter's cost.
 *
 * Knobs (env, or options; options win): PEERS (10,000; --quick 200), PAIRS (1,000;
 * 50), DURATION s of forwarding (10; 2), ROUNDS (1), CLIENTS (processes, up to 4),
 * RATE msg/s per pair (10), WINDOW in flight per pair (8), VARIANTS (on,off). RELAY_CPU_PROF=<dir>
 * writes a CPU profile of each relay process there (node --cpu-prof).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { fdLimit, needsRaise, spawnChild } from '../lib/scale/childProcess.ts'
import type { Child, FdLimit } from '../lib/scale/childProcess.ts'
import type { ConnectResult, DisconnectResult, ForwardResult } from '../lib/scale/peerClient.ts'
import type { RelayStats } from '../lib/scale/relayChild.ts'
import { scaleMetrics, summarizeRun } from '../lib/scale/scaleSummary.ts'
import type { ScaleRun, Variant } from '../lib/scale/scaleSummary.ts'
import type { RelayInit } from '../../native/node/relayServer.ts'

/** What the relay child passes to startRelay besides host, port and dataDir (JSON: no functions). */
type RelayOptions = Pick<RelayInit, 'limits' | 'defence'>

export interface RelayScaleOptions extends ScenarioOptions {
  readonly peers?: number
  readonly pairs?: number
  readonly durationMs?: number
  readonly rounds?: number
  /** Which variants to run (default both): one alone saves a big run's time, and has no ratio. */
  readonly variants?: readonly Variant[]
  readonly clients?: number
  readonly rate?: number
  readonly window?: number
}

export interface RelayScaleConfig {
  readonly peers: number
  readonly pairs: number
  readonly durationMs: number
  readonly rounds: number
  readonly variants: readonly Variant[]
  readonly clients: number
  readonly rate: number
  readonly window: number
  readonly bodyBytes: number
}

export interface RelayScaleRaw {
  readonly config: RelayScaleConfig
  /** The RelayInit options each variant was started with. */
  readonly relayInit: Record<Variant, RelayOptions>
  readonly fd: { readonly limit: FdLimit; readonly relayNeeds: number; readonly raisedInChildren: boolean }
  readonly runs: readonly ScaleRun[]
  readonly medians: Record<Variant, Record<string, number>>
}

export const RELAY_SCALE_DEFAULTS = {
  full: { peers: 10_000, pairs: 1_000, durationMs: 10_000, rounds: 1 },
  quick: { peers: 200, pairs: 50, durationMs: 2_000, rounds: 1 },
} as const

const RELAY_ENTRY = fileURLToPath(new URL('../lib/scale/relayChild.ts', import.meta.url))
const CLIENT_ENTRY = fileURLToPath(new URL('../lib/scale/peerClient.ts', import.meta.url))
/** Handshakes in flight per client process: enough to keep the relay busy, not so many that they time out queueing. */
const CONNECT_CONCURRENCY = 32
const HANDSHAKE_TIMEOUT_MS = 30_000
const DRAIN_MS = 5_000
const quietMs = (config: RelayScaleConfig): number => Math.min(5_000, config.durationMs / 2)
const BODY_BYTES = 256
/** Sockets beside the links: the data dir, the IPC channel, /healthz, stdio. */
const SPARE_FDS = 256

const envNumber = (name: string): number | undefined => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`)
  return value
}

const envVariants = (): Variant[] => {
  const raw = (process.env.VARIANTS ?? 'on,off').split(',').map((v) => v.trim())
  const bad = raw.find((v) => v !== 'on' && v !== 'off')
  if (bad !== undefined || raw.length === 0) throw new Error(`VARIANTS must be on, off or on,off; got "${process.env.VARIANTS}"`)
  return [...new Set(raw as Variant[])]
}

export function relayScaleConfig(options: RelayScaleOptions = {}): RelayScaleConfig {
  const d = options.quick ? RELAY_SCALE_DEFAULTS.quick : RELAY_SCALE_DEFAULTS.full
  const duration = envNumber('DURATION')
  const peers = Math.floor(options.peers ?? envNumber('PEERS') ?? d.peers)
  const pairs = Math.floor(options.pairs ?? envNumber('PAIRS') ?? d.pairs)
  if (peers < 2) throw new Error('relay-scale needs at least 2 peers')
  if (pairs * 2 > peers) throw new Error(`PAIRS (${pairs}) needs ${pairs * 2} peers; PEERS is ${peers}`)
  const clients = Math.floor(options.clients ?? envNumber('CLIENTS') ?? Math.min(4, Math.ceil(peers / 1_000)))
  return {
    peers,
    pairs,
    durationMs: options.durationMs ?? (duration !== undefined ? duration * 1000 : d.durationMs),
    rounds: Math.max(1, Math.floor(options.rounds ?? envNumber('ROUNDS') ?? d.rounds)),
    variants: options.variants ?? envVariants(),
    clients: Math.max(1, Math.min(clients, Math.floor(peers / 2))),
    rate: options.rate ?? envNumber('RATE') ?? 10,
    window: Math.max(1, Math.floor(options.window ?? envNumber('WINDOW') ?? 8)),
    bodyBytes: BODY_BYTES,
  }
}

/** Splits `total` into `parts` near-equal shares, larger first. */
const split = (total: number, parts: number): number[] =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0))

/**
 * RelayInit options per variant (JSON: they cross into the relay process). The connection
 * gate (`limits`) caps open sockets in total (10,000 by default) and per address:
 * both raised above the peers plus spare, since every peer here is 127.0.0.1
 * (loopback also skips the per-address caps and budgets by default).
 */
function relayInit(variant: Variant, config: RelayScaleConfig): RelayOptions {
  const cap = config.peers + SPARE_FDS
  return {
    limits: { maxConnections: cap, maxConnectionsPerAddress: cap, exemptLoopback: true },
    // On is the relay's default (DEFAULT_LINK_BUDGETS, peer scores); off is `defence: false`.
    ...(variant === 'off' ? { defence: false as const } : {}),
  }
}

/** The relay's defence and admission counters from /metrics (non-zero samples only): was anything shed or refused? */
async function relayCounters(httpUrl: string): Promise<Record<string, number>> {
  const page = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => (r.ok ? r.text() : ''), () => '')
  const counters: Record<string, number> = {}
  for (const line of page.split('\n')) {
    const m = /^(\w*(?:shed|closes|graylisted|refused|backpressure|envelopes_total)\w*(?:\{[^}]*\})?) (\S+)$/.exec(line)
    if (m && Number(m[2]) !== 0) counters[m[1]!] = Number(m[2])
  }
  return counters
}

const healthLinks = async (httpUrl: string): Promise<number> => {
  const body = (await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.json())) as { links?: number }
  return body.links ?? -1
}

/** Waits (bounded) until the relay counts `expected` open links: the clients finish a handshake before the relay reads its last message. */
async function settleLinks(httpUrl: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const links = await healthLinks(httpUrl).catch(() => -1)
    if (links >= expected || performance.now() > deadline) return links
    await new Promise((r) => setTimeout(r, 100))
  }
}

interface Clients {
  readonly children: readonly Child[]
  readonly peerShares: readonly number[]
  readonly pairShares: readonly number[]
}

async function startClients(config: RelayScaleConfig): Promise<Clients> {
  const peerShares = split(config.peers, config.clients)
  let pairsLeft = config.pairs
  const pairShares = peerShares.map((share, i) => {
    const take = Math.min(Math.floor(share / 2), Math.ceil(pairsLeft / (config.clients - i)))
    pairsLeft -= take
    return take
  })
  const { PEERS: _peers, ...env } = process.env
  const children = peerShares.map((share) => spawnChild(CLIENT_ENTRY, { env, fdsNeeded: share + SPARE_FDS }))
  try {
    await Promise.all(children.map((c) => c.ready(15_000)))
    await Promise.all(children.map((c, i) => c.call('prepare', { count: peerShares[i] }, 120_000)))
  } catch (error) {
    for (const c of children) c.process.kill('SIGKILL')
    throw error
  }
  return { children, peerShares, pairShares }
}

interface RelayChild {
  readonly relay: Child
  readonly dataDir: string
}

function spawnRelay(config: RelayScaleConfig, init: RelayOptions): RelayChild {
  const dataDir = mkdtempSync(join(tmpdir(), 'sovereign-bench-scale-'))
  // PEERS means other relays to the daemon (native/node/relay.ts): never hand ours on.
  const { PEERS: _peers, ...env } = process.env
  const relay = spawnChild(RELAY_ENTRY, {
    env: { ...env, DATA_DIR: dataDir, BENCH_RELAY_INIT: JSON.stringify(init) },
    execArgv: ['--expose-gc', ...(process.env.RELAY_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.RELAY_CPU_PROF}`] : [])],
    fdsNeeded: config.peers + SPARE_FDS,
  })
  return { relay, dataDir }
}

/** Stops the relay if it still runs (asked, then SIGKILL) and removes its data dir. */
async function disposeRelay({ relay, dataDir }: RelayChild): Promise<void> {
  if (relay.process.exitCode === null && relay.process.signalCode === null) {
    const timer = setTimeout(() => relay.process.kill('SIGKILL'), 10_000)
    await relay.call('stop', {}, 10_000).catch(() => relay.process.kill('SIGKILL'))
    await relay.exited()
    clearTimeout(timer)
  }
  rmSync(dataDir, { recursive: true, force: true })
}

async function runOnce(variant: Variant, round: number, config: RelayScaleConfig, clients: Clients, started: RelayChild): Promise<ScaleRun> {
  const { relay } = started
  const { children } = clients
  try {
    await relay.ready(15_000)
    const { linkUrl, httpUrl } = await relay.call<{ linkUrl: string; httpUrl: string }>('urls')
    const stats = (gc: boolean): Promise<RelayStats> => relay.call<RelayStats>('stats', { gc }, 60_000)
    const empty = await stats(true)

    // Bounded, yet patient with a shared 2-core machine: ~5 ms of relay CPU per handshake, several-fold when others run.
    const connectLimit = 60_000 + config.peers * 50
    // In two steps, half the peers each, with the relay measured after gc in between: the
    // memory a peer costs is the slope between the two, not (all − none), which would also
    // count what the relay's heap grows by once, whatever the count (V8's young
    // generation grows to its maximum while the first thousand handshakes run: ~40 MiB).
    const connectStep = async (from: number, to: number): Promise<{ results: ConnectResult[]; wallMs: number }> => {
      const t0 = performance.now()
      const results = await Promise.all(
        children.map((c) =>
          c.call<ConnectResult>('connect', { url: linkUrl, concurrency: CONNECT_CONCURRENCY, timeoutMs: HANDSHAKE_TIMEOUT_MS, from, to }, connectLimit),
        ),
      )
      return { results, wallMs: performance.now() - t0 }
    }
    const first = await connectStep(0, 0.5)
    const halfConnected = await stats(false)
    const halfOpened = first.results.reduce((n, c) => n + c.opened, 0)
    await settleLinks(httpUrl, halfOpened, 30_000)
    const half = await stats(true)
    const second = await connectStep(0.5, 1)
    const connected = await stats(false)
    const connects = [...first.results, ...second.results]
    const connectWallMs = first.wallMs + second.wallMs
    const opened = connects.reduce((n, c) => n + c.opened, 0)
    await settleLinks(httpUrl, opened, 30_000)
    const settled = await stats(true)
    // A quiet spell with every peer connected: what keepalives and the periodic tick cost, to net out of forwarding.
    await new Promise((r) => setTimeout(r, quietMs(config)))
    const quiet = await stats(false)

    const forwardLimit = config.durationMs + DRAIN_MS + 60_000
    const forwards = await Promise.all(
      children.map((c, i) =>
        c.call<ForwardResult>(
          'forward',
          { pairs: clients.pairShares[i], durationMs: config.durationMs, rate: config.rate, window: config.window, bodyBytes: config.bodyBytes, drainMs: DRAIN_MS },
          forwardLimit,
        ),
      ),
    )
    const forwarded = await stats(false)
    const counters = await relayCounters(httpUrl)
    const disconnects = await Promise.all(children.map((c) => c.call<DisconnectResult>('disconnect', {}, 60_000)))
    // The relay first works through every link's close (10,000 at the full size): its stop waits behind them.
    const stoppedCleanly = await relay.call('stop', {}, 30_000 + config.peers * 10).then(
      () => true,
      () => false,
    )
    if (stoppedCleanly) await relay.exited()
    const summary = {
      variant,
      round,
      requested: config.peers,
      connectWallMs,
      connects,
      forwards,
      disconnects,
      empty,
      halfConnected,
      half,
      halfOpened,
      connected,
      settled,
      quiet,
      forwarded,
    }
    return summarizeRun({ ...summary, rateOffered: config.rate, relayStoppedCleanly: stoppedCleanly, relayCounters: counters })
  } catch (error) {
    // Leave no peer behind for the next run.
    await Promise.all(children.map((c) => c.call('disconnect', {}, 30_000).catch(() => null)))
    throw error
  } finally {
    await disposeRelay(started)
  }
}

export async function runRelayScale(options: RelayScaleOptions = {}): Promise<ScenarioResult<RelayScaleRaw>> {
  const config = relayScaleConfig(options)
  const inits: Record<Variant, RelayOptions> = { on: relayInit('on', config), off: relayInit('off', config) }
  const relayNeeds = config.peers + SPARE_FDS
  const limit = fdLimit()
  if (limit.hard < relayNeeds) throw new Error(`the relay needs ${relayNeeds} file descriptors; the hard limit is ${limit.hard} (raise it: ulimit -Hn)`)

  // Alternate the order (on, off | off, on …) so drift on a shared machine falls on both alike.
  const plan = Array.from({ length: config.rounds }, (_, round) =>
    (round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const))
      .filter((variant) => config.variants.includes(variant))
      .map((variant) => ({ round, variant })),
  ).flat()
  // The first relay starts while the clients do (each takes seconds to load): nothing is measured yet.
  let next: RelayChild | null = spawnRelay(config, inits[plan[0]!.variant])
  let clients: Clients
  try {
    clients = await startClients(config)
  } catch (error) {
    await disposeRelay(next)
    throw error
  }
  const runs: ScaleRun[] = []
  try {
    for (const { round, variant } of plan) {
      const started: RelayChild = next ?? spawnRelay(config, inits[variant])
      next = null
      runs.push(await runOnce(variant, round, config, clients, started))
    }
  } finally {
    if (next) await disposeRelay(next)
    await Promise.all(clients.children.map((c) => c.call('exit', {}, 10_000).catch(() => c.process.kill('SIGKILL'))))
  }
  const { metrics, medians } = scaleMetrics(runs, config.peers, config.pairs, config.rate)
  return {
    name: 'relay-scale',
    metrics,
    raw: {
      config,
      relayInit: inits,
      fd: { limit, relayNeeds, raisedInChildren: needsRaise(relayNeeds) },
      runs,
      medians,
    },
  }
}

/**
 * Link churn against the relay daemon in its own process (issue 10: 5,000
 * connect/handshake/close cycles left relay RSS +93 MB, not released). Each cycle
 * opens a ws socket from this process, completes the Noise link handshake, closes,
 * and waits for the close (native/node/test/churnClient.ts).
 *
 * The relay is read at three points, each once it reports no link and no connection
 * but the scrape's own: after a warm-up (the baseline), after CYCLES cycles, and after
 * CYCLES more. At each: its open file descriptors (/proc/<pid>/fd), its RSS as it
 * stands (/proc/<pid>/status: what the issue measured), and then its RSS and JS heap
 * after a full, last-resort collection (bench/lib/relayMemoryProbe.ts). The raw RSS
 * includes what V8 keeps committed after a burst of work (a grown young generation,
 * freed pages pooled for reuse); after the collection, RSS and heap are what the relay
 * still holds. Retention is what grows with the number of past connections: the heap
 * kept per cycle, and whether the second CYCLES add to the RSS the first left.
 */
import { generateIdentity } from '../../engine/identity/index.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { runChurn } from '../../native/node/test/churnClient.ts'
import { systemRandom } from '../../workers/systemPorts.ts'
import { fdsOf, rssOf, startProbedRelay } from '../lib/relayMemoryProbe.ts'
import type { BenchMemory, ProbedRelay } from '../lib/relayMemoryProbe.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { round } from '../lib/stats.ts'

/** The relay at one point of the run. */
export interface ChurnPoint {
  /** Cycles completed before this point, warm-up excluded. */
  readonly cycles: number
  readonly fds: number
  /** RSS as it stands, before the collection (/proc). */
  readonly rssNoGcBytes: number
  /** The relay's JS heap in use and reserved as it stands (its /metrics, no forced GC). */
  readonly heapUsedNoGcBytes: number
  readonly heapTotalNoGcBytes: number
  /** After a last-resort GC in the relay. */
  readonly afterGc: BenchMemory
  /** How long after the last cycle the relay showed no link and no extra connection. */
  readonly settleMs: number
}

export interface RelayChurnRaw {
  /** Cycles per phase; the run has two phases, so the last point is after twice as many. */
  readonly cycles: number
  readonly warmupCycles: number
  readonly concurrency: number
  readonly failed: Record<string, number>
  /** Wall time of each phase's cycles. */
  readonly wallMs: readonly number[]
  /** Baseline (after the warm-up), after one phase, after two. */
  readonly points: readonly ChurnPoint[]
}

const CYCLES = 5_000
const QUICK_CYCLES = 500
const WARMUP = 500
const CONCURRENCY = 20
const CYCLE_TIMEOUT_MS = 10_000
const SETTLE_LIMIT_MS = 30_000

interface Settled {
  readonly ms: number
  readonly heapUsedBytes: number
  readonly heapTotalBytes: number
}

/** Waits until the relay's /metrics shows no link in any state and one open connection (the scrape). */
async function settled(relay: ProbedRelay): Promise<Settled> {
  const start = performance.now()
  for (;;) {
    const page = await fetch(`${relay.httpUrl}/metrics`, { headers: { connection: 'close' } }).then((r) => r.text())
    const lines = page.split('\n')
    const value = (name: string): number => Number(lines.find((l) => l.startsWith(`${name} `))?.split(' ')[1])
    const links = lines.filter((l) => l.startsWith('sovereign_relay_links{')).reduce((n, l) => n + Number(l.split(' ')[1]), 0)
    const open = value('sovereign_relay_connections_open')
    if (links === 0 && open <= 1) {
      return { ms: performance.now() - start, heapUsedBytes: value('nodejs_heap_size_used_bytes'), heapTotalBytes: value('nodejs_heap_size_total_bytes') }
    }
    if (performance.now() - start > SETTLE_LIMIT_MS) throw new Error(`relay still holds ${links} links, ${open} connections`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * The heap in use outside the spaces of compiled code and its metadata (code_space, trusted_space
 * and their large-object spaces, read_only_space): the objects the relay holds. JIT compilation
 * goes on adding code for a while after a warm-up; objects kept per cycle are retention.
 */
const objectsOf = (memory: BenchMemory): number =>
  Object.entries(memory.spaceUsed).reduce((sum, [space, used]) => (/code|trusted|read_only/.test(space) ? sum : sum + used), 0)

async function pointAt(relay: ProbedRelay, cycles: number): Promise<ChurnPoint> {
  const settle = await settled(relay)
  const fds = fdsOf(relay.pid)
  const rssNoGcBytes = rssOf(relay.pid)
  const afterGc = await relay.memory()
  return {
    cycles,
    fds,
    rssNoGcBytes,
    heapUsedNoGcBytes: settle.heapUsedBytes,
    heapTotalNoGcBytes: settle.heapTotalBytes,
    afterGc,
    settleMs: settle.ms,
  }
}

export async function runRelayChurn(options: ScenarioOptions = {}): Promise<ScenarioResult<RelayChurnRaw>> {
  const cycles = options.quick ? QUICK_CYCLES : CYCLES
  const crypto = nodeCrypto()
  const random = systemRandom()
  const identity = generateIdentity(crypto, random)
  const relay = await startProbedRelay()
  try {
    const churn = (n: number): ReturnType<typeof runChurn> =>
      runChurn({ url: relay.linkUrl, identity, crypto, random, cycles: n, concurrency: CONCURRENCY, timeoutMs: CYCLE_TIMEOUT_MS })
    await churn(WARMUP)
    const points = [await pointAt(relay, 0)]
    const failed: Record<string, number> = {}
    const wallMs: number[] = []
    let completed = 0
    for (const phase of [1, 2]) {
      const start = performance.now()
      const result = await churn(cycles)
      wallMs.push(performance.now() - start)
      if (result.completed === 0) throw new Error(`no cycle completed: ${JSON.stringify(result.failed)}`)
      completed += result.completed
      for (const [reason, n] of Object.entries(result.failed)) failed[reason] = (failed[reason] ?? 0) + n
      points.push(await pointAt(relay, phase * cycles))
    }
    const [before, once, twice] = points as [ChurnPoint, ChurnPoint, ChurnPoint]
    const MiB = 2 ** 20
    const mib = (bytes: number): number => round(bytes / MiB, 1)
    const change = (from: number, to: number): number => round(((to - from) / from) * 100, 1)
    const n1 = `${cycles}`
    const n2 = `${2 * cycles}`
    return {
      name: 'relay-churn',
      metrics: [
        { metric: `cycles/s (2 × ${cycles} connect/handshake/close, ${CONCURRENCY} at a time)`, value: (completed / (wallMs[0]! + wallMs[1]!)) * 1000, unit: 'cycles/s' },
        { metric: 'failed cycles', value: 2 * cycles - completed, unit: 'cycles' },
        { metric: 'relay open fds before', value: before.fds, unit: 'fds' },
        { metric: `relay open fds after ${n1}`, value: once.fds, unit: 'fds' },
        { metric: `relay open fds after ${n2}`, value: twice.fds, unit: 'fds' },
        { metric: 'relay RSS before (as it stands)', value: mib(before.rssNoGcBytes), unit: 'MiB' },
        { metric: `relay RSS after ${n1} (as it stands)`, value: mib(once.rssNoGcBytes), unit: 'MiB' },
        { metric: `relay RSS change after ${n1} (as it stands)`, value: change(before.rssNoGcBytes, once.rssNoGcBytes), unit: '%' },
        { metric: 'relay RSS before (after full GC)', value: mib(before.afterGc.rss), unit: 'MiB' },
        { metric: `relay RSS after ${n1} (after full GC)`, value: mib(once.afterGc.rss), unit: 'MiB' },
        { metric: `relay RSS after ${n2} (after full GC)`, value: mib(twice.afterGc.rss), unit: 'MiB' },
        { metric: `relay RSS change after ${n1} (after full GC)`, value: change(before.afterGc.rss, once.afterGc.rss), unit: '%' },
        { metric: `relay RSS change ${n1} → ${n2} (after full GC)`, value: change(once.afterGc.rss, twice.afterGc.rss), unit: '%' },
        { metric: 'relay JS heap used before (after full GC)', value: mib(before.afterGc.heapUsed), unit: 'MiB' },
        { metric: `relay JS heap used after ${n1} (after full GC)`, value: mib(once.afterGc.heapUsed), unit: 'MiB' },
        { metric: `relay JS heap used after ${n2} (after full GC)`, value: mib(twice.afterGc.heapUsed), unit: 'MiB' },
        { metric: `JS heap kept per cycle, first ${n1}`, value: round((once.afterGc.heapUsed - before.afterGc.heapUsed) / cycles, 0), unit: 'B/cycle' },
        { metric: `JS heap kept per cycle, second ${n1}`, value: round((twice.afterGc.heapUsed - once.afterGc.heapUsed) / cycles, 0), unit: 'B/cycle' },
        { metric: `JS objects kept per cycle, second ${n1} (heap less code spaces)`, value: round((objectsOf(twice.afterGc) - objectsOf(once.afterGc)) / cycles, 0), unit: 'B/cycle' },
      ],
      raw: { cycles, warmupCycles: WARMUP, concurrency: CONCURRENCY, failed, wallMs, points },
    }
  } finally {
    await relay.stop()
  }
}

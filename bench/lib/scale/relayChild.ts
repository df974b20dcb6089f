/**
 * Child process of the relay-scale benchmark: the relay server of the daemon
 * (`startRelay`, as native/node/relay.ts runs it) on 127.0.0.1, with the
 * RelayInit options the parent passes in BENCH_RELAY_INIT (JSON: the defence
 * switch, raised per-address budgets), and a `stats` call that reads this
 * process's memory and CPU from inside it. Started with --expose-gc so `stats`
 * can collect first: the per-peer figure should be what the links hold, not
 * garbage not yet collected.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import { startRelay } from '../../../native/node/relayServer.ts'
import type { RelayInit } from '../../../native/node/relayServer.ts'
import { announceReady, serveCalls } from './childProcess.ts'

export interface RelayStats {
  readonly rss: number
  readonly heapUsed: number
  /** V8 heap committed: used plus free space in its pages (what RSS sees of the heap). */
  readonly heapTotal: number
  readonly external: number
  readonly arrayBuffers: number
  /** process.cpuUsage(): user and system µs since start. */
  readonly cpuUserUs: number
  readonly cpuSystemUs: number
  /** Event-loop active time and total time since start (ms), for utilisation over a phase. */
  readonly eluActiveMs: number
  readonly eluIdleMs: number
  /** Event-loop delay since the previous stats call (ms). */
  readonly loopDelayP99Ms: number
  readonly loopDelayMaxMs: number
}

const dataDir = process.env.DATA_DIR
if (!dataDir) throw new Error('DATA_DIR is required')
const extra = JSON.parse(process.env.BENCH_RELAY_INIT ?? '{}') as Record<string, unknown>
// Options this RelayInit may not have yet (defence, budgets) pass through as they are.
const init = { host: '127.0.0.1', port: 0, dataDir, ...extra } as RelayInit
const relay = await startRelay(init)
const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()

let snapshots = 0
const gc = (globalThis as { gc?: (options?: { type: string; execution: string; flavor: string }) => void }).gc
serveCalls(async (m) => {
  switch (m.type) {
    case 'urls':
      return { linkUrl: relay.linkUrl, httpUrl: relay.httpUrl }
    case 'stats': {
      if (m.gc === true && gc) {
        // Twice: the first pass can leave weakly held and finalised objects for the next.
        // 'last-resort' is the collection V8's memory reducer runs in an idle process: it
        // compacts and hands free pages back. A plain gc() frees objects but leaves the pages
        // the handshakes' garbage fragmented committed (measured at 10,000 peers: heap
        // committed 25 KB per peer for 15.5 KB used), which RSS would count against the links.
        gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
        // RELAY_HEAP_SNAPSHOT=<dir>: a snapshot after each collected stats call (empty, half the peers, all of them), to see what a link holds.
        const dir = process.env.RELAY_HEAP_SNAPSHOT
        if (dir) writeHeapSnapshot(join(dir, `relay-${process.pid}-${snapshots++}.heapsnapshot`))
      }
      const mem = process.memoryUsage()
      const cpu = process.cpuUsage()
      const elu = performance.eventLoopUtilization()
      const stats: RelayStats = {
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        heapTotal: mem.heapTotal,
        external: mem.external,
        arrayBuffers: mem.arrayBuffers,
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        eluActiveMs: elu.active,
        eluIdleMs: elu.idle,
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        loopDelayMaxMs: delay.max / 1e6,
      }
      delay.reset()
      return stats
    }
    case 'stop':
      await relay.close()
      setImmediate(() => process.exit(0))
      return null
    default:
      throw new Error(`unknown call ${m.type}`)
  }
})
process.on('SIGTERM', () => {
  relay.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
announceReady()

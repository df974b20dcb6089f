/**
 * The relay daemon's memory probe, for benchmarks only (RELAY_BENCH_MEMORY_PROBE=1 in
 * native/node/relay.ts; bench/lib/relayMemoryProbe.ts starts the daemon so): answers a
 * `memory` call over the IPC channel with the process's memory after a full collection.
 */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'

/** What a `memory` call answers (bench/lib/relayMemoryProbe.ts): bytes, read after the collection. */
export interface BenchMemory {
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly arrayBuffers: number
  /** V8's malloc'd memory outside the JS heap (v8.getHeapStatistics). */
  readonly mallocedMemory: number
  /** Bytes in use per V8 heap space (v8.getHeapSpaceStatistics: old_space, code_space, …). */
  readonly spaceUsed: Readonly<Record<string, number>>
}

type GcOptions = { type: 'major'; execution: 'sync'; flavor: 'last-resort' }

/**
 * RELAY_BENCH_MEMORY_PROBE only. A `{ id, type: 'memory' }` message is answered with
 * `{ id, ok, value: BenchMemory }` (bench/lib/scale/childProcess.ts's call protocol). The collection
 * is V8's last-resort one (what it runs before giving up on an allocation): several full GCs that
 * also shrink the young generation and release the pages V8 keeps committed for reuse, so RSS
 * shows what the relay still holds, not how far its heap once grew.
 */
export function serveBenchMemoryProbe(): void {
  const gc = (globalThis as unknown as { gc: (options: GcOptions) => void }).gc
  process.on('message', (m: { id?: unknown; type?: unknown }) => {
    if (typeof m?.id !== 'number') return
    if (m.type !== 'memory') {
      process.send!({ id: m.id, ok: false, error: `unknown call ${String(m.type)}` })
      return
    }
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
    const spaceUsed = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size]))
    const value: BenchMemory = { rss, heapUsed, heapTotal, external, arrayBuffers, mallocedMemory: getHeapStatistics().malloced_memory, spaceUsed }
    process.send!({ id: m.id, ok: true, value })
  })
}

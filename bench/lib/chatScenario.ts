/** Counts, time limits and the table rows shared by the memory and ws-relay chat scenarios. */
import type { LatencyResult, ThroughputResult } from './chatPair.ts'
import { measureLatency, measureThroughput } from './chatPair.ts'
import type { ChatPair } from './chatPair.ts'
import { median, percentile, round } from './stats.ts'
import type { Metric } from './table.ts'

export interface ChatRaw {
  readonly throughput: ThroughputResult
  readonly latency: Omit<LatencyResult, 'samplesMs'> & { readonly samplesMs: readonly number[] }
}

export const WINDOW = 64
/**
 * Counts fit the 2-core machine: every message costs five noble X25519 scalar
 * multiplications (~1-2 ms each there), so ~100 messages/s. A phase that overruns
 * its limit fails the scenario rather than running on.
 */
export const COUNTS = {
  full: { messages: 500, rounds: 300 },
  quick: { messages: 100, rounds: 20 },
} as const
const THROUGHPUT_LIMIT_MS = 15_000
const LATENCY_LIMIT_MS = 10_000

export async function runChat(pair: ChatPair, quick: boolean): Promise<{ metrics: Metric[]; raw: ChatRaw }> {
  const counts = quick ? COUNTS.quick : COUNTS.full
  const throughput = await measureThroughput(pair, { messages: counts.messages, window: WINDOW, timeoutMs: THROUGHPUT_LIMIT_MS })
  const latency = await measureLatency(pair, { rounds: counts.rounds, timeoutMs: LATENCY_LIMIT_MS })
  const ms = latency.samplesMs
  return {
    metrics: [
      { metric: `throughput (${throughput.messages} × ${throughput.textBytes} B, window ${WINDOW})`, value: throughput.messagesPerSecond, unit: 'messages/s' },
      { metric: `latency p50 (${latency.rounds} sequential)`, value: median(ms), unit: 'ms' },
      { metric: 'latency p99', value: percentile(ms, 99), unit: 'ms' },
    ],
    raw: {
      throughput: { ...throughput, wallMs: round(throughput.wallMs), messagesPerSecond: round(throughput.messagesPerSecond, 1) },
      latency: { ...latency, samplesMs: ms.map((s) => round(s)) },
    },
  }
}

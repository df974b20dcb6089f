/**
 * Smoke test of the benchmarks in --quick mode, through their exported functions:
 * the results are well-formed and every message arrived. Nothing about speed.
 */
import { describe, expect, it } from 'vitest'
import type { ScenarioResult } from '../lib/result.ts'
import { COUNTS } from '../lib/chatScenario.ts'
import { median, percentile } from '../lib/stats.ts'
import { formatTable } from '../lib/table.ts'
import { runHandshake } from '../scenarios/handshake.ts'
import { HOP_RELAYS, runHops } from '../scenarios/hops.ts'
import { runMemoryChat } from '../scenarios/memoryChat.ts'
import { MESH_SIM_CONFIG, runMeshSimScenario } from '../scenarios/meshSim.ts'
import { runSession } from '../scenarios/session.ts'

const positiveFinite = (value: number): void => {
  expect(Number.isFinite(value)).toBe(true)
  expect(value).toBeGreaterThan(0)
}

function expectWellFormed(result: ScenarioResult<object>, name: string): void {
  expect(result.name).toBe(name)
  expect(result.metrics.length).toBeGreaterThan(0)
  for (const m of result.metrics) {
    expect(m.metric).not.toBe('')
    expect(m.unit).not.toBe('')
    positiveFinite(m.value)
  }
  expect(formatTable(result.metrics.map((m) => ({ scenario: name, ...m })))).toContain(name)
}

describe('bench stats', () => {
  it('takes medians and interpolated percentiles', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(percentile([1, 2, 3, 4, 5], 100)).toBe(5)
    expect(percentile([1, 2, 3, 4, 5], 0)).toBe(1)
    expect(percentile([10, 20], 99)).toBeCloseTo(19.9)
    expect(median([])).toBeNaN()
  })
})

describe('bench scenarios (--quick)', () => {
  it('session: both providers seal and open every message (the scenario throws on a wrong plaintext)', async () => {
    const result = await runSession({ quick: true })
    expectWellFormed(result, 'session')
    expect(Object.keys(result.raw.providers).sort()).toEqual(['noble', 'node'])
    for (const r of Object.values(result.raw.providers)) expect(r.messages).toBe(256)
  })

  it('handshake: one sample per pair, all positive', async () => {
    const result = await runHandshake({ quick: true })
    expectWellFormed(result, 'handshake')
    expect(result.raw.samplesUs.length).toBe(result.raw.pairs)
    for (const s of result.raw.samplesUs) positiveFinite(s)
    positiveFinite(result.raw.totalMs)
  })

  it('memory: Alice receives every message of both phases', async () => {
    const result = await runMemoryChat({ quick: true })
    expectWellFormed(result, 'memory')
    const { throughput, latency } = result.raw
    expect(throughput.messages).toBe(COUNTS.quick.messages)
    expect(throughput.received).toBe(throughput.messages)
    positiveFinite(throughput.wallMs)
    positiveFinite(throughput.messagesPerSecond)
    expect(latency.rounds).toBe(COUNTS.quick.rounds)
    expect(latency.received).toBe(latency.rounds)
    expect(latency.samplesMs.length).toBe(latency.rounds)
    for (const s of latency.samplesMs) positiveFinite(s)
  })

  it('hops: over 1, 2 and 4 relays, Alice receives every message of both phases', async () => {
    const result = await runHops({ quick: true })
    expectWellFormed(result, 'hops')
    expect(result.raw.runs.map((r) => r.relays)).toEqual([...HOP_RELAYS])
    for (const run of result.raw.runs) {
      expect(run.links).toBe(run.relays + 1)
      expect(run.throughput.messages).toBe(COUNTS.quick.messages)
      expect(run.throughput.received).toBe(run.throughput.messages)
      positiveFinite(run.throughput.messagesPerSecond)
      expect(run.latency.received).toBe(COUNTS.quick.rounds)
      for (const s of run.latency.samplesMs) positiveFinite(s)
      // Every relay on the chain forwarded: the traffic really went through all of them.
      expect(run.forwarded.length).toBe(run.relays)
      for (const f of run.forwarded) expect(f).toBeGreaterThan(0)
    }
  })

  it('mesh-sim: every message delivered once, no TTL exhausted, finite figures', async () => {
    const result = await runMeshSimScenario({ quick: true })
    expect(result.name).toBe('mesh-sim')
    for (const m of result.metrics) {
      expect(Number.isFinite(m.value)).toBe(true)
      expect(m.value).toBeGreaterThanOrEqual(0)
    }
    const r = result.raw.result
    expect(r.nodes).toBe(MESH_SIM_CONFIG.quick.nodes)
    expect(r.sent).toBe(MESH_SIM_CONFIG.quick.messages)
    expect(r.delivered).toBe(r.sent)
    expect(r.deliveredPercent).toBe(100)
    expect(r.duplicates).toBe(0)
    expect(r.ttlExhausted).toBe(0)
    positiveFinite(r.transmissionsPerDelivered)
    positiveFinite(r.latencyMs.p50)
    positiveFinite(r.latencyMs.p99)
  })
})

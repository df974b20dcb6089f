/**
 * Smoke test of the relay-scale benchmark at a tiny size (50 peers, 10 pairs, a
 * short forwarding window): it finishes, every peer connects in both variants,
 * envelopes go through the relay between pairs, and the result has its shape.
 * Nothing about speed.
 */
import { describe, expect, it } from 'vitest'
import { formatTable } from '../lib/table.ts'
import { runRelayScale } from '../scenarios/relayScale.ts'

describe('relay-scale (50 peers, 10 pairs)', () => {
  it('connects every peer and forwards between the pairs, with defence on and off', async () => {
    const result = await runRelayScale({ peers: 50, pairs: 10, durationMs: 500, rounds: 1, clients: 2 })
    expect(result.name).toBe('relay-scale')
    expect(result.raw.runs.map((r) => r.variant).sort()).toEqual(['off', 'on'])
    for (const run of result.raw.runs) {
      expect(run.peers.opened).toBe(50)
      expect(run.peers.failed).toEqual({})
      expect(run.forward.pairs).toBe(10)
      expect(run.forward.sent).toBeGreaterThan(0)
      // Paced under the window, nothing is lost on loopback: every envelope reached its pair.
      expect(run.forward.received).toBe(run.forward.sent)
      expect(run.forward.closedLinks).toBe(0)
      expect(run.disconnect.protocolErrors).toBe(0)
      expect(run.relayStoppedCleanly).toBe(true)
      for (const v of [run.connect.handshakesPerSecond, run.forward.messagesPerSecond, run.forward.p50Ms, run.forward.p99Ms]) {
        expect(Number.isFinite(v)).toBe(true)
        expect(v).toBeGreaterThan(0)
      }
      // Memory deltas of 50 peers are within gc noise and may be negative: only finite.
      expect(Number.isFinite(run.memory.rssPerPeerKB)).toBe(true)
    }
    const labels = result.metrics.map((m) => m.metric)
    expect(labels.some((l) => l.endsWith('defence on'))).toBe(true)
    expect(labels.some((l) => l.endsWith('defence off'))).toBe(true)
    expect(labels.some((l) => l.endsWith('on ÷ off'))).toBe(true)
    for (const m of result.metrics) expect(m.unit).not.toBe('')
    expect(formatTable(result.metrics.map((m) => ({ scenario: result.name, ...m })))).toContain('relay-scale')
  })
})

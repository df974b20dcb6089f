/**
 * The mesh simulator on the engine's own router and forwarder: delivery, no
 * duplicates and no loops on a random 50-node mesh whose links drop and
 * return, and shortest paths when nothing changes.
 */
import { describe, expect, it } from 'vitest'
import { nodeCrypto } from '../../../native/node/nodeCrypto.ts'
import { runMeshSim } from '../meshSim.ts'
import type { MeshSimOptions, MeshSimResult } from '../meshSim.ts'

const crypto = nodeCrypto()

function report(label: string, r: MeshSimResult): void {
  const pct = r.deliveredPercent.toFixed(2)
  console.log(
    `${label}: ${r.nodes} nodes, ${r.links} links, ${r.churnEvents} link drops; ${r.delivered}/${r.sent} delivered (${pct} %), ` +
      `${r.deliveredConnected}/${r.connectedAtSend} connected at send; ${r.transmissionsPerDelivered.toFixed(2)} transmissions ` +
      `per delivered (stretch ${r.stretch.toFixed(3)}); latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms; ` +
      `${r.announceFrames} announce frames, ${r.verifications} verifications, ${r.signatures} signatures in ${r.virtualMs / 1000} s`,
  )
}

describe('mesh simulator', () => {
  it('delivers ≥ 99 % over a random 50-node mesh with link churn, never twice, never looping', () => {
    const options: MeshSimOptions = {
      crypto,
      nodes: 50,
      averageDegree: 4,
      messages: 400,
      seed: 7,
      sendWindowMs: 50_000,
      drainMs: 45_000,
      churn: { events: 30, downMs: [5_000, 40_000] },
    }
    const r = runMeshSim(options)
    report('churn', r)
    expect(r.sent).toBe(400)
    expect(r.delivered / r.sent).toBeGreaterThanOrEqual(0.99)
    expect(r.duplicates).toBe(0)
    // A loop would spend an envelope's hops (ttl 32) on a path that exists.
    expect(r.ttlExhaustedConnected).toBe(0)
    expect(r.ttlExhausted).toBe(0)
    expect(r.announceRejected).toBe(0)
    expect(r.churnEvents).toBe(30)
    expect(r.transmissionsPerDelivered).toBeLessThan(2 * (r.shortestHops / r.delivered))
  })

  it('takes a shortest path for every message when no link changes, and repeats itself for a seed', () => {
    const options: MeshSimOptions = { crypto, nodes: 30, messages: 200, seed: 3, sendWindowMs: 20_000, drainMs: 5_000 }
    const r = runMeshSim(options)
    report('static', r)
    expect(r.delivered).toBe(200)
    expect(r.transmissions).toBe(r.shortestHops)
    expect(r.heldAtEnd + r.dropped + r.lostInFlight).toBe(0)
    const again = runMeshSim(options)
    expect(again).toEqual(r)
  })
})

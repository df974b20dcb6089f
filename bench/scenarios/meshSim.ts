/**
 * The routing simulator (bench/sim/meshSim.ts) in the configuration its churn
 * test uses: 50 nodes, average degree 4, 400 messages over 50 s, 30 link drops
 * of 5–40 s, 45 s drain, seed 7, node:crypto for the announcements. Figures are
 * counts and virtual time (the simulator's clock), not wall time; the run is
 * deterministic for a seed. --quick: 20 nodes, 100 messages over 20 s, 8 drops.
 */
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import type { MeshSimOptions, MeshSimResult } from '../sim/meshSim.ts'
import { runMeshSim } from '../sim/meshSim.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { round } from '../lib/stats.ts'

export const MESH_SIM_CONFIG = {
  full: { nodes: 50, averageDegree: 4, messages: 400, seed: 7, sendWindowMs: 50_000, drainMs: 45_000, churn: { events: 30, downMs: [5_000, 40_000] } },
  quick: { nodes: 20, averageDegree: 4, messages: 100, seed: 7, sendWindowMs: 20_000, drainMs: 20_000, churn: { events: 8, downMs: [5_000, 40_000] } },
} as const satisfies Record<string, Omit<MeshSimOptions, 'crypto'>>

export interface MeshSimRaw {
  readonly config: Omit<MeshSimOptions, 'crypto'>
  readonly result: MeshSimResult
  readonly wallMs: number
}

export async function runMeshSimScenario(options: ScenarioOptions = {}): Promise<ScenarioResult<MeshSimRaw>> {
  const config = options.quick ? MESH_SIM_CONFIG.quick : MESH_SIM_CONFIG.full
  const start = performance.now()
  const r = runMeshSim({ crypto: nodeCrypto(), ...config })
  const wallMs = performance.now() - start
  const shape = `${r.nodes} nodes, ${r.links} links, ${r.churnEvents} drops`
  return {
    name: 'mesh-sim',
    metrics: [
      { metric: `delivered (${r.delivered} of ${r.sent}; ${shape})`, value: r.deliveredPercent, unit: '%' },
      { metric: 'duplicates', value: r.duplicates, unit: 'deliveries' },
      { metric: 'TTL exhausted', value: r.ttlExhausted, unit: 'envelopes' },
      { metric: `transmissions per delivered (stretch ${r.stretch.toFixed(3)})`, value: r.transmissionsPerDelivered, unit: 'envelopes' },
      { metric: 'latency p50 (virtual)', value: r.latencyMs.p50, unit: 'ms' },
      { metric: 'latency p99 (virtual)', value: r.latencyMs.p99, unit: 'ms' },
      { metric: `wall time (${r.virtualMs / 1000} s virtual)`, value: wallMs, unit: 'ms' },
    ],
    raw: { config, result: r, wallMs: round(wallMs) },
  }
}

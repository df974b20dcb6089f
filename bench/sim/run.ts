/**
 * CLI for the mesh simulator (node:crypto for the announcements):
 *
 *   node bench/sim/run.ts [--nodes 50] [--messages 500] [--churn 40] [--seed 1] [--degree 4] [--scope hops]
 *
 * Prints the result as JSON and the wall time.
 */
import { parseArgs } from 'node:util'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { runMeshSim } from './meshSim.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '50' },
    messages: { type: 'string', default: '500' },
    churn: { type: 'string', default: '40' },
    seed: { type: 'string', default: '1' },
    degree: { type: 'string', default: '4' },
    // The routers' announcement scope; the default spans the whole mesh (see MeshSimOptions).
    scope: { type: 'string' },
  },
})
const started = performance.now()
const result = runMeshSim({
  crypto: nodeCrypto(),
  nodes: Number(values.nodes),
  messages: Number(values.messages),
  seed: Number(values.seed),
  averageDegree: Number(values.degree),
  ...(values.scope !== undefined ? { scopeHops: Number(values.scope) } : {}),
  churn: { events: Number(values.churn), downMs: [5_000, 40_000] },
})
console.log(JSON.stringify(result, null, 2))
console.log(`wall ${Math.round(performance.now() - started)} ms`)

/**
 * `npm run bench [-- --quick] [-- <scenario>…]`: runs the scenarios one after the
 * other, prints one table and writes bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { arch, cpus, loadavg, platform, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { ScenarioOptions, ScenarioResult } from './lib/result.ts'
import { round } from './lib/stats.ts'
import { formatTable } from './lib/table.ts'
import type { TableRow } from './lib/table.ts'
import { runAttackFlood, runAttackOrigins } from './scenarios/attackFlood.ts'
import { runCustodyStore } from './scenarios/custodyStore.ts'
import { runHandshake } from './scenarios/handshake.ts'
import { runHistory } from './scenarios/history.ts'
import { runHops } from './scenarios/hops.ts'
import { runMemoryChat } from './scenarios/memoryChat.ts'
import { runMeshSimScenario } from './scenarios/meshSim.ts'
import { runOutbox } from './scenarios/outbox.ts'
import { runRelayPath } from './scenarios/relayPath.ts'
import { runRelayChurn } from './scenarios/relayChurn.ts'
import { runRelayScale } from './scenarios/relayScale.ts'
import { runSession } from './scenarios/session.ts'
import { runWsRelayChat } from './scenarios/wsRelayChat.ts'

type Scenario = (options: ScenarioOptions) => Promise<ScenarioResult<object>>

const SCENARIOS: Record<string, Scenario> = {
  handshake: runHandshake,
  session: runSession,
  memory: runMemoryChat,
  'ws-relay': runWsRelayChat,
  hops: runHops,
  'mesh-sim': runMeshSimScenario,
  history: runHistory,
  outbox: runOutbox,
  'relay-scale': runRelayScale,
  'relay-churn': runRelayChurn,
  'custody-store': runCustodyStore,
  'attack-flood': runAttackFlood,
  'attack-origins': runAttackOrigins,
  'relay-path': runRelayPath,
}

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--quick')
const names = args.filter((a) => !a.startsWith('-'))
const unknown = names.filter((n) => !(n in SCENARIOS))
if (unknownFlags.length > 0 || unknown.length > 0) {
  console.error(`Unknown ${[...unknownFlags, ...unknown].join(', ')}.`)
  console.error(`Usage: npm run bench -- [--quick] [${Object.keys(SCENARIOS).join('|')} …]`)
  process.exit(2)
}
const selected = names.length > 0 ? Object.keys(SCENARIOS).filter((n) => names.includes(n)) : Object.keys(SCENARIOS)

const machine = {
  node: process.version,
  platform: `${platform()} ${arch()}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: round(totalmem() / 2 ** 30, 1),
  loadAverageAtStart: loadavg().map((l) => round(l, 2)),
}

console.log(`Sovereign benchmarks${quick ? ' (--quick)' : ''}: ${selected.join(', ')}`)
console.log(`${machine.node}, ${machine.cpu}, ${machine.cores} cores\n`)

const rows: TableRow[] = []
const results: Array<{ name: string; durationMs: number; metrics?: unknown; raw?: unknown; error?: string }> = []
for (const name of selected) {
  process.stdout.write(`${name}… `)
  const start = performance.now()
  try {
    const result = await SCENARIOS[name]!({ quick })
    const durationMs = round(performance.now() - start, 0)
    console.log(`${(durationMs / 1000).toFixed(1)} s`)
    for (const m of result.metrics) rows.push({ scenario: name, ...m })
    results.push({ name, durationMs, metrics: result.metrics.map((m) => ({ ...m, value: round(m.value) })), raw: result.raw })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.log(`FAILED: ${message}`)
    results.push({ name, durationMs: round(performance.now() - start, 0), error: message })
    process.exitCode = 1
  }
}

console.log(`\n${formatTable(rows)}`)
const dir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(dir, { recursive: true })
const file = `${dir}latest.json`
writeFileSync(file, `${JSON.stringify({ timestamp: new Date().toISOString(), quick, machine, scenarios: results }, null, 2)}\n`)
console.log(`\nWrote ${file}`)

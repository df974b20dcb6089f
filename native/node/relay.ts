/**
 * `npm start` / `npm run relay`: runs the relay daemon on HOST:PORT (default
 * 127.0.0.1:8080) with its identity in DATA_DIR, serving the web app from
 * STATIC_DIR (default dist/). Stops cleanly on SIGINT/SIGTERM.
 *
 * RELAY_BENCH_MEMORY_PROBE=1 is for benchmarks only (off by default; bench/lib/relayMemoryProbe.ts):
 * started with an IPC channel and --expose-gc, the daemon answers a `memory` call with its memory
 * after a full, last-resort collection, and stops when the channel closes.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { DEFAULT_LINK_BUDGETS, scaleBudgets } from '../../engine/routing/tokenBucket.ts'
import { serveBenchMemoryProbe } from './benchMemoryProbe.ts'
import { startRelay } from './relayServer.ts'

const host = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 8080)
const dataDir = resolve(process.env.DATA_DIR ?? '.data/relay')
const staticDir = resolve(process.env.STATIC_DIR ?? 'dist')
// Other relays to peer with (comma-separated ws:// URLs): a mesh of relays serves
// people attached to different ones.
const peers = (process.env.PEERS ?? '').split(',').map((p) => p.trim()).filter((p) => p.length > 0)
const badPeer = peers.find((p) => !/^wss?:\/\/\S+$/.test(p))
if (badPeer !== undefined) {
  console.error(`PEERS must be ws:// or wss:// URLs separated by commas; "${badPeer}" is not.`)
  process.exit(2)
}

// DEFENCE=off runs the relay without link budgets and peer scores: for measuring their cost only.
// LINK_BUDGET_SCALE multiplies every link budget (throughput benchmarks push one link far past
// what one person sends; machines/linkDefence.ts, engine/routing/tokenBucket.ts).
const budgetScale = Number(process.env.LINK_BUDGET_SCALE ?? 1)
if (!Number.isFinite(budgetScale) || budgetScale <= 0) {
  console.error(`LINK_BUDGET_SCALE must be a positive number, got "${process.env.LINK_BUDGET_SCALE}".`)
  process.exit(2)
}
const defence =
  process.env.DEFENCE === 'off' ? false : budgetScale === 1 ? undefined : { budgets: scaleBudgets(DEFAULT_LINK_BUDGETS, budgetScale) }

if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}".`)
  process.exit(2)
}

const benchMemoryProbe = process.env.RELAY_BENCH_MEMORY_PROBE === '1'
if (benchMemoryProbe && (process.send === undefined || typeof (globalThis as { gc?: unknown }).gc !== 'function')) {
  console.error('RELAY_BENCH_MEMORY_PROBE=1 needs an IPC channel and --expose-gc (bench/lib/relayMemoryProbe.ts starts the relay so).')
  process.exit(2)
}

try {
  const hasApp = existsSync(`${staticDir}/index.html`)
  const relay = await startRelay({
    host,
    port,
    dataDir,
    ...(hasApp ? { staticDir } : {}),
    ...(defence !== undefined ? { defence } : {}),
  })
  if (defence === false) console.log('DEFENCE=off: links are not budgeted or scored.')
  else if (budgetScale !== 1) console.log(`Link budgets scaled ×${budgetScale}.`)
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: closing links…`)
    relay.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  if (benchMemoryProbe) {
    serveBenchMemoryProbe()
    process.on('disconnect', () => stop('bench disconnected'))
  }
  for (const peer of peers) relay.connect(peer)
  if (peers.length > 0) console.log(`Peering with ${peers.length} relay(s).`)
  // Printed last: whoever waits for these lines can signal us at once.
  console.log(`Sovereign relay ${relay.fingerprint}`)
  console.log(hasApp ? `Open ${relay.httpUrl} in two browser profiles to chat.` : `No web app in ${staticDir}: run \`npm run build\`.`)
  console.log(`Links: ${relay.linkUrl}   Health: ${relay.httpUrl}/healthz`)
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code
  console.error(code === 'EADDRINUSE' ? `Port ${port} on ${host} is in use: set PORT to another one.` : `Relay failed to start: ${(error as Error).message}`)
  process.exit(1)
}

/**
 * CLI for the home-relay simulator (bench/sim/homeSim.ts, issue 11's scale check):
 *
 *   node bench/sim/homeRun.ts --users 1000000 --relays 1000 --hours 1 --seed 1
 *   node bench/sim/homeRun.ts --users 10000,100000,1000000        # one column per scale (relays = users / 1,000)
 *
 * Options: --rate (messages per user per hour, default 0.25; 1 is the simulator's own default
 * and fits up to about 100k users), --reconnect (share of users per hour,
 * 0.1), --failures (relay failures per relay per hour, 0.02), --lose-custody (share of failures
 * that lose the disk, 0), --drain (minutes, 40), --announcements model|real (default model),
 * --local (share of contacts on the same relay, 0), --contact-relay-links (users also keep links
 * to their contacts' relays, as createEngine does), --out <file>, --quiet.
 *
 * Each scale runs in its own Node process (a fresh heap, --max-old-space-size sized for it);
 * the table compares them, and the results go to bench/results/home-sim-<users>.json
 * (or --out) with the machine and the options.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runHomeSim } from './homeSim.ts'
import type { HomeSimOptions } from './homeOptions.ts'
import type { HomeSimResult } from './homeResult.ts'

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    relays: { type: 'string' },
    hours: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    // A quarter message per user per hour keeps 1M users within ~10 min and ~6 GB here (homeSim.md).
    rate: { type: 'string', default: '0.25' },
    reconnect: { type: 'string', default: '0.1' },
    failures: { type: 'string', default: '0.02' },
    'lose-custody': { type: 'string', default: '0' },
    drain: { type: 'string', default: '40' },
    announcements: { type: 'string', default: 'model' },
    local: { type: 'string', default: '0' },
    'contact-relay-links': { type: 'boolean', default: false },
    out: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    // Internal: run one scale in this process and write its result here.
    child: { type: 'string' },
  },
})

const list = (text: string): number[] => text.split(',').map((v) => Number(v.replaceAll('_', '')))
const usersList = list(values.users)
const relaysList = values.relays ? list(values.relays) : usersList.map((u) => Math.max(1, Math.round(u / 1000)))
if (relaysList.length !== usersList.length || [...usersList, ...relaysList].some((n) => !Number.isInteger(n) || n < 1)) {
  console.error('--users and --relays take positive integers, as many of one as of the other')
  process.exit(2)
}
if (values.announcements !== 'model' && values.announcements !== 'real') {
  console.error('--announcements is model or real')
  process.exit(2)
}

const optionsFor = (users: number, relays: number): HomeSimOptions => ({
  users,
  relays,
  hours: Number(values.hours),
  seed: Number(values.seed),
  messagesPerUserHour: Number(values.rate),
  reconnectPerHour: Number(values.reconnect),
  relayFailuresPerHour: Number(values.failures),
  loseCustodyFraction: Number(values['lose-custody']),
  drainMs: Number(values.drain) * 60_000,
  routerAnnouncements: values.announcements as 'model' | 'real',
  localContacts: Number(values.local),
  contactRelayLinks: values['contact-relay-links'],
})

if (values.child !== undefined) {
  const result = runHomeSim({
    ...optionsFor(usersList[0]!, relaysList[0]!),
    ...(values.quiet ? {} : { progress: (line: string) => console.error(`  [${usersList[0]!.toLocaleString('en-US')} users] ${line}`) }),
  })
  writeFileSync(values.child, JSON.stringify(result))
  process.exit(0)
}

/**
 * Heap for one scale. Live heap measured (--expose-gc, homeSim `gcAtSamples`): about 3.4 KB per
 * user after the warm-up (mostly the relays' registrations) and 4.4 KB more per user and message
 * per user-hour by the end of the hour (learned records); 15 % on top to collect in, and a floor.
 */
const heapMiB = (users: number, rate: number): number =>
  Math.min(
    Math.floor((totalmem() / 2 ** 20) * 0.6),
    // A link to each contact's relay costs about 0.6 KB on both ends, a dozen per user.
    Math.max(1024, Math.ceil((users * (3.4 + 4.4 * rate + (values['contact-relay-links'] ? 9 : 0)) * 1.15) / 1024) + 256),
  )

const results: HomeSimResult[] = []
for (const [i, users] of usersList.entries()) {
  const relays = relaysList[i]!
  const file = join(tmpdir(), `home-sim-${process.pid}-${users}.json`)
  console.log(`${users.toLocaleString('en-US')} users on ${relays.toLocaleString('en-US')} relays, ${values.hours} h, seed ${values.seed} …`)
  const argv = process.argv.slice(2).filter((a, j, all) => a !== '--users' && a !== '--relays' && all[j - 1] !== '--users' && all[j - 1] !== '--relays' && !a.startsWith('--users=') && !a.startsWith('--relays='))
  const child = spawnSync(
    process.execPath,
    [`--max-old-space-size=${heapMiB(users, Number(values.rate))}`, fileURLToPath(import.meta.url), ...argv, '--users', String(users), '--relays', String(relays), '--child', file],
    { stdio: 'inherit' },
  )
  if (child.status !== 0) {
    console.error(`the run for ${users} users failed (exit ${child.status ?? child.signal})`)
    process.exit(1)
  }
  results.push(JSON.parse(readFileSync(file, 'utf8')) as HomeSimResult)
  rmSync(file, { force: true })
}

// ---- The table: one column per scale ----
const fmt = (v: number, digits?: number): string => {
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
}
const spread = (s: { max: number; mean: number }): string => `${fmt(s.mean, s.mean >= 100 ? 0 : 1)} / ${fmt(s.max, 0)}`
type Row = [string, (r: HomeSimResult) => string]
const rows: Row[] = [
  ['users / relays', (r) => `${fmt(r.users, 0)} / ${fmt(r.relays, 0)}`],
  ['messages sent', (r) => fmt(r.messages.sent, 0)],
  ['delivered', (r) => `${fmt(r.messages.deliveredPercent, 3)} %`],
  ['duplicates (same id and attempt twice)', (r) => fmt(r.messages.duplicates, 0)],
  ['redelivered (a retry crossing its receipt)', (r) => fmt(r.messages.redelivered, 0)],
  ['outbox gave up', (r) => fmt(r.messages.outboxFailed, 0)],
  ['held for a non-registered user', (r) => fmt(r.heldForOthers, 0)],
  ['latency p50 / p99 (virtual ms)', (r) => `${fmt(r.messages.latencyMs.p50, 0)} / ${fmt(r.messages.latencyMs.p99, 0)}`],
  ['  recipient online at send: p50 / p99', (r) => `${fmt(r.messages.toOnline.p50, 0)} / ${fmt(r.messages.toOnline.p99, 0)}`],
  ['  recipient offline at send: p50 / p99', (r) => `${fmt(r.messages.toOffline.p50, 0)} / ${fmt(r.messages.toOffline.p99, 0)}`],
  ['transmissions per message (outbox)', (r) => fmt(r.messages.transmissionsPerMessage, 2)],
  ['per relay, mean / max (end of window):', () => ''],
  ['  registrations', (r) => spread(r.relayState.endOfWindow.registrations)],
  ['  learned reach records', (r) => spread(r.relayState.endOfWindow.learnedRecords)],
  ['  held mail (envelopes)', (r) => spread(r.relayState.endOfWindow.heldMail)],
  ['  held mail, peak over the run', (r) => spread(r.relayState.peak.heldMail)],
  ['  pool links', (r) => spread(r.relayState.endOfWindow.poolLinks)],
  ['  links to other relays', (r) => spread(r.relayState.endOfWindow.relayLinks)],
  ['  user links', (r) => spread(r.relayState.endOfWindow.userLinks)],
  ['  routes', (r) => spread(r.relayState.endOfWindow.routes)],
  ['per user per hour:', () => ''],
  ['  control frames (reach, custody, ack, refuse)', (r) => fmt(r.perUserHour['controlFrames']!)],
  ['    registrations (own record at link open)', (r) => fmt(r.perUserHour['registrations']!)],
  ['    contact records passed ahead', (r) => fmt(r.perUserHour['reachAhead']!)],
  ['    custody receipts to senders', (r) => fmt(r.perUserHour['custodyReceiptsToUsers']!)],
  ['    custody receipts between relays', (r) => fmt(r.perUserHour['custodyReceiptsBetweenRelays']!)],
  ['    acks + refusals', (r) => fmt(r.perUserHour['acks']! + r.perUserHour['refusals']!)],
  ['  relay announcements to the user', (r) => fmt(r.perUserHour['relayAnnouncementsToUser']!)],
  ['  link opens (own relays + pool)', (r) => fmt(r.perUserHour['linkOpens']!)],
  ['  envelope hops (messages + receipts)', (r) => fmt(r.perUserHour['envelopeHops']!)],
  ['per relay per hour:', () => ''],
  ['  pool dials', (r) => fmt(r.perRelayHour['poolDials']!)],
  ['  announcements to other relays', (r) => fmt(r.perRelayHour['announcementsBetweenRelays']!)],
  ['  signatures / verifications', (r) => `${fmt(r.perRelayHour['signatures']!, 0)} / ${fmt(r.perRelayHour['verifications']!, 0)}`],
  ['wall time (s)', (r) => fmt(r.wallMs / 1000, 0)],
  ['JS heap / RSS at the end (MiB)', (r) => `${fmt(r.heapUsedMiB, 0)} / ${fmt(r.rssMiB, 0)}`],
]
const cells = rows.map(([label, get]) => [label, ...results.map(get)])
const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)))
console.log()
for (const c of cells) console.log(c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd())

const dir = fileURLToPath(new URL('../results/', import.meta.url))
mkdirSync(dir, { recursive: true })
const out = values.out ?? join(dir, `home-sim-${usersList.join('+')}.json`)
const machine = {
  node: process.version,
  platform: `${platform()} ${arch()}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
}
writeFileSync(out, `${JSON.stringify({ timestamp: new Date().toISOString(), command: `node bench/sim/homeRun.ts ${process.argv.slice(2).join(' ')}`, machine, runs: results }, null, 2)}\n`)
console.log(`\nWrote ${out}`)

/**
 * "Durable by default", the kill -9 test on the Node host: a sender process with
 * COUNT messages for a recipient that goes on and off line is SIGKILLed again and
 * again, at each of the four steps of a message's way out (crashPoints.ts) and at
 * random moments; after the last restart everything must arrive exactly once and
 * nothing may be lost or left in the outbox. The verdict is read from both stores
 * on disk once the processes are gone (auditStore.ts).
 *
 *   npx vitest run test/durability/killTest.test.ts   # CI: 6 kills per step
 *   npm run test:kill                                  # the full run: KILLS_PER_STEP=20
 *
 * SEED replays the schedule (steps, occurrences, budgets, on/off periods; not the
 * processes' timing). KILL_TEST_COUNT shrinks the message count, KILL_TEST_VERBOSE=1
 * prints a line per run, KILL_TEST_KEEP=1 keeps the data dirs, KILL_TEST_BACKLOG=1
 * leaves most texts to the final run (hundreds of envelopes retried at once). Figures
 * go to the console and to $TMPDIR/sovereign-kill-test-<seed>.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { toHex } from '../../engine/bytes.ts'
import { decodeEnvelope } from '../../engine/wire/index.ts'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import { waitFor } from '../support/waitFor.ts'
import { auditStore, repeated } from './auditStore.ts'
import { CRASH_STEPS } from './crashPoints.ts'
import type { CrashStep } from './crashPoints.ts'
import { createFlappingRecipient } from './flappingRecipient.ts'
import type { FlappingRecipient } from './flappingRecipient.ts'
import { probeReceipt } from './probeReceipt.ts'
import { prng } from './prng.ts'
import { KILL_TEST_POLICY, lastLine, startSender, textOf } from './senderRun.ts'
import type { SenderLine, SenderRun } from './senderRun.ts'

const KILLS = Number(process.env['KILLS_PER_STEP'] ?? 6)
const COUNT = Number(process.env['KILL_TEST_COUNT'] ?? 1000)
const SEED = Number(process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31))
/** KILL_TEST_BACKLOG=1: the final run starts with most of the texts unsent (an overload case, see budgetFor). */
const BACKLOG = Boolean(process.env['KILL_TEST_BACKLOG'])
/** Kills from outside at a random moment (start-up and store recovery included), every other round. */
const PARENT_KILLS = Math.ceil(KILLS / 2)
/**
 * A run whose crash point did not come this long after it was ready is killed from outside instead (and tried
 * again). On a quiet machine every crash point comes within a few seconds; on a loaded one (issue 9: two `yes`
 * on both cores) a 6 s limit missed after-receipt runs until the texts ran out, so this is a deadline, not a pace.
 */
const CRASH_RUN_TIMEOUT_MS = 20_000
/** Start-up (module loading, store recovery, history read) is slow on a busy machine; past this it is killed. */
const STARTUP_TIMEOUT_MS = 60_000
const FINAL_TIMEOUT_MS = 120_000
/** Pause between two chunks of texts in a run (senderProcess.ts jitters it ±50 %). */
const PACE_MS = 10
const COMPOSE_STEPS: readonly CrashStep[] = ['before-outbox-write', 'after-outbox-write']

/**
 * Occurrence ranges. A compose step's n-th is the n-th chunk of texts (one batch
 * each); frames come with every chunk, every retry and every restart, receipts
 * with every envelope the recipient gets, so a run of a few chunks sees several.
 */
const OCCURRENCE: Record<CrashStep, readonly [number, number]> = {
  'before-outbox-write': [1, 4],
  'after-outbox-write': [1, 4],
  'after-send': [1, 6],
  'after-receipt': [1, 3],
}
/** senderProcess.ts types 1–5 texts per chunk: 5n texts make at least n chunks. */
const MAX_CHUNK = 5

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-kill-'))
  dirs.push(dir)
  return dir
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const num = (line: SenderLine | undefined, field: string): number => Number(line?.[field] ?? 0)

describe('kill -9: durable by default (Node host)', () => {
  let relay: RelayHandle | undefined
  let recipient: FlappingRecipient | undefined
  let current: SenderRun | undefined
  afterAll(async () => {
    current?.kill()
    await current?.exited
    await recipient?.stop()
    await relay?.close()
    // KILL_TEST_KEEP=1 keeps the data dirs for a post-mortem.
    if (process.env['KILL_TEST_KEEP']) console.log(`kept: ${dirs.join(' ')}`)
    else for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it(`delivers ${COUNT} messages exactly once across ≥ ${KILLS} kills per step`, { timeout: 120_000 + KILLS * 4 * 20_000 }, async () => {
    const t0 = Date.now()
    const random = prng(SEED)
    console.log(`kill test: SEED=${SEED} KILLS_PER_STEP=${KILLS} COUNT=${COUNT}`)

    // The relay sees every envelope (it cannot read them): copies per destination tell retries and receipts.
    const copies = new Map<string, { total: number; ids: Set<string> }>()
    relay = await startRelay({
      port: 0,
      dataDir: tempDir(),
      tap: (bytes) => {
        try {
          const { header } = decodeEnvelope(bytes)
          const to = toHex(header.destination)
          const entry = copies.get(to) ?? { total: 0, ids: new Set<string>() }
          entry.total++
          entry.ids.add(toHex(header.id))
          copies.set(to, entry)
        } catch {
          // Not an envelope: nothing to count.
        }
      },
    })

    // Set-up in workers: two profiles, the recipient accepts the sender's offer (its intro makes them contacts).
    const senderDir = tempDir()
    const recipientDir = tempDir()
    const senderSetup = spawnEngine({ dataDir: senderDir, outboxPolicy: KILL_TEST_POLICY })
    const recipientSetup = spawnEngine({ dataDir: recipientDir, outboxPolicy: KILL_TEST_POLICY })
    const senderId = (await senderSetup.api.createProfile('Sender')).id
    const recipientId = (await recipientSetup.api.createProfile('Recipient')).id
    await senderSetup.api.connect(relay.linkUrl)
    await recipientSetup.api.connect(relay.linkUrl)
    await waitFor('both links open', async () =>
      (await senderSetup.api.links()).some((l) => l.state === 'open') && (await recipientSetup.api.links()).some((l) => l.state === 'open'),
    )
    await recipientSetup.api.acceptOffer(await senderSetup.api.createOffer())
    await waitFor('the sender knows the recipient', async () => (await senderSetup.api.contacts()).some((c) => c.id === recipientId))
    await senderSetup.terminate()
    await recipientSetup.terminate()
    if (process.env['KILL_TEST_KEEP']) console.log(`sender ${senderId} in ${senderDir}; recipient ${recipientId} in ${recipientDir}`)

    recipient = createFlappingRecipient({
      dataDir: recipientDir,
      relayUrl: relay.linkUrl,
      outboxPolicy: KILL_TEST_POLICY,
      random,
      onMs: [1_000, 4_000],
      offMs: [300, 2_000],
    })
    recipient.start()

    const fired = Object.fromEntries(CRASH_STEPS.map((s) => [s, 0])) as Record<CrashStep, number>
    const missed = Object.fromEntries(CRASH_STEPS.map((s) => [s, 0])) as Record<CrashStep, number>
    const runs: SenderRun[] = []
    let parentKills = 0
    let remaining = COUNT
    let lastKillAt = 0
    const needed = (steps: readonly CrashStep[]): number => steps.reduce((sum, s) => sum + Math.max(0, KILLS - fired[s]), 0)
    const carriers = CRASH_STEPS.filter((s) => !COMPOSE_STEPS.includes(s))
    /**
     * New texts a run may send. A compose-step run types at most MAX_CHUNK per
     * chunk and dies at its n-th. An after-send or after-receipt run needs n
     * envelopes in flight: it writes half its share at once (a backlog) before its
     * crash point counts, then types the rest in at least n chunks. Those runs
     * share what the compose runs still to come will not use, so every run has
     * traffic until the last one, which sends the rest. A kill from outside may
     * come before anything is sent.
     */
    const budgetFor = (step: CrashStep | null, n: number): { budget: number; burst: number; chunk: number } => {
      const reserve = needed(COMPOSE_STEPS) * 2.5 * MAX_CHUNK
      const share = Math.max(0, Math.floor((remaining - reserve) / Math.max(1, needed(carriers))))
      // The backlog variant types a third of the share, a few at a time: most texts reach the final run at once.
      const typed = BACKLOG ? Math.floor(share / 3) : share
      if (step === null) return { budget: typed, burst: BACKLOG ? 0 : share, chunk: MAX_CHUNK }
      if (BACKLOG || COMPOSE_STEPS.includes(step)) return { budget: Math.max(typed, n * MAX_CHUNK), burst: 0, chunk: MAX_CHUNK }
      const burst = Math.floor(share / 2)
      const budget = Math.max(share, burst + n)
      return { budget, burst, chunk: Math.max(1, Math.floor((budget - burst) / n)) }
    }
    /** Runs a sender until it dies: at its crash point, or killed `killAfterMs` after its start (after it was ready when `afterReady`). */
    const runOnce = async (step: CrashStep | null, n: number, killAfterMs: number, afterReady: boolean): Promise<SenderRun> => {
      const { budget, burst, chunk } = budgetFor(step, n)
      const run = startSender({
        dataDir: senderDir,
        relayUrl: relay!.linkUrl,
        contactId: recipientId,
        count: COUNT,
        ...(step ? { crashAt: `${step}:${n}` } : {}),
        seed: random.int(1, 2 ** 31),
        paceMs: PACE_MS,
        budget,
        burst,
        chunk,
      })
      runs.push(run)
      current = run
      let timer: ReturnType<typeof setTimeout> | undefined
      if (afterReady) {
        void run.line((l) => l.ev === 'ready', STARTUP_TIMEOUT_MS).then((ready) => {
          if (ready) timer = setTimeout(() => run.kill(), killAfterMs)
          else run.kill()
        })
      } else {
        timer = setTimeout(() => run.kill(), killAfterMs)
      }
      const exit = await run.exited
      clearTimeout(timer)
      if (exit.signal !== 'SIGKILL') {
        throw new Error(`sender ended on its own (code ${exit.code}): ${JSON.stringify(run.last('error'))}\n${run.stderr()}`)
      }
      lastKillAt = run.last('crash')?.t ?? exit.at
      // Killed before it read its history, a run tells nothing new.
      const latest = lastLine(run.lines, (l) => l.ev === 'crash' || l.ev === 'progress' || l.ev === 'ready')
      if (latest && 'distinct' in latest) remaining = COUNT - num(latest, 'distinct')
      if (process.env['KILL_TEST_VERBOSE']) {
        const crash = run.last('crash')
        console.log(`run ${runs.length}: ${step ?? 'parent'}:${n} ${crash ? 'fired' : 'killed from outside'} after ${exit.at - run.startedAt} ms; budget ${budget}; texts left ${remaining}; outbox ${num(latest, 'outbox')}; rejected ${num(latest, 'rejected')}`)
      }
      return run
    }

    // Rounds: the four steps in a random order (those still short of KILLS); every other round, a kill from outside.
    for (let round = 0; round < 4 * KILLS; round++) {
      const order = [...CRASH_STEPS]
      for (let i = order.length - 1; i > 0; i--) {
        const j = random.int(0, i)
        ;[order[i], order[j]] = [order[j]!, order[i]!]
      }
      for (const step of order) {
        if (fired[step] >= KILLS) continue
        const [lo, hi] = OCCURRENCE[step]
        const run = await runOnce(step, random.int(lo, hi), CRASH_RUN_TIMEOUT_MS, true)
        if (run.last('crash')) fired[step]++
        else missed[step]++
      }
      if (parentKills < PARENT_KILLS && round % 2 === 1) {
        await runOnce(null, 0, random.int(100, 2_500), false)
        parentKills++
      }
      if (CRASH_STEPS.every((s) => fired[s] >= KILLS) && parentKills >= PARENT_KILLS) break
      // With every text composed, the steps run out of traffic: the count check below fails, and says so.
      if (remaining === 0 && CRASH_STEPS.some((s) => fired[s] < KILLS)) break
    }
    const killLoopMs = Date.now() - t0

    // The last run: no crash point, the recipient stays on line.
    await recipient.settle()
    const final = startSender({ dataDir: senderDir, relayUrl: relay.linkUrl, contactId: recipientId, count: COUNT, seed: SEED, paceMs: 10 })
    runs.push(final)
    current = final
    const complete = (l: SenderLine): boolean =>
      l.ev === 'progress' && num(l, 'distinct') === COUNT && num(l, 'delivered') === num(l, 'composed') && num(l, 'outbox') === 0
    const done = await final.line(complete, FINAL_TIMEOUT_MS)
    final.stop()
    const finalExit = await Promise.race([final.exited, sleep(10_000).then(() => null)])
    if (!finalExit) final.kill()
    await final.exited
    await recipient.stop()
    await sleep(100)

    const sent = await auditStore(senderDir, recipientId)
    const got = await auditStore(recipientDir, senderId)
    const outgoing = sent.messages.filter((m) => m.direction === 'out')
    const incoming = got.messages.filter((m) => m.direction === 'in')
    const all = runs.flatMap((r) => r.lines)
    const sum = (ev: string, field: string): number => all.filter((l) => l.ev === ev).reduce((s, l) => s + num(l, field), 0)
    const toRecipient = copies.get(recipientId)
    const toSender = copies.get(senderId)
    const figures = {
      seed: SEED,
      messages: COUNT,
      killsPerStep: Object.fromEntries(CRASH_STEPS.map((s) => [s, { fired: fired[s], notReachedInTime: missed[s] }])),
      parentKills,
      senderRuns: runs.length,
      recipientRestarts: recipient.restarts(),
      recipientOfflineMs: recipient.offlineMs(),
      totalMs: Date.now() - t0,
      killLoopMs,
      lastKillToFullDeliveryMs: done ? done.t - lastKillAt : null,
      finalRunToFullDeliveryMs: done ? done.t - final.startedAt : null,
      envelopeTransmissions: sum('sent', 'envelopes'),
      retransmissions: sum('sent', 'retries'),
      receiptsApplied: sum('receipt', 'deleted'),
      relayCopiesToRecipient: toRecipient?.total ?? 0,
      relayDistinctEnvelopesToRecipient: toRecipient?.ids.size ?? 0,
      relayCopiesToSender: toSender?.total ?? 0,
      senderOutgoing: outgoing.length,
      senderDelivered: outgoing.filter((m) => m.status === 'delivered' || m.status === 'read').length,
      senderOutboxLeft: sent.outboxKeys.length,
      recipientIncoming: incoming.length,
      recipientDuplicateTexts: repeated(incoming.map((m) => m.text)).size,
      recipientMissingTexts: COUNT - new Set(incoming.map((m) => m.text)).size,
    }
    // Per run, ms from its start: ready (store open, history read, relay dialled) and the end.
    const timeline = runs.map((r) => {
      const ready = r.last('ready')
      const crash = r.last('crash')
      return {
        crash: crash ? `${String(crash['step'])}:${String(crash['n'])}` : null,
        readyMs: ready ? ready.t - r.startedAt : null,
        endMs: (r.lines.at(-1)?.t ?? r.startedAt) - r.startedAt,
        distinct: num(r.last('progress') ?? ready, 'distinct'),
        rejected: num(lastLine(r.lines, (l) => l.ev === 'progress' || l.ev === 'crash') ?? ready, 'rejected'),
        startup: ready ? { uptimeMs: num(r.last('start'), 'uptimeMs'), openMs: ready['openMs'], engineMs: ready['engineMs'], historyMs: ready['historyMs'] } : null,
      }
    })
    console.table(
      Object.entries(figures)
        .filter(([k]) => k !== 'killsPerStep')
        .map(([figure, value]) => ({ figure, value })),
    )
    console.table(CRASH_STEPS.map((step) => ({ step, fired: fired[step], 'not reached in time': missed[step] })))
    const figuresFile = join(tmpdir(), `sovereign-kill-test-${SEED}.json`)
    writeFileSync(figuresFile, JSON.stringify({ ...figures, timeline, finalRun: final.lines }, null, 2))
    console.log(`figures: ${figuresFile}`)

    // Soft: a failing run reports every broken promise at once.
    for (const step of CRASH_STEPS) expect.soft(fired[step], `kills that fired at ${step}`).toBeGreaterThanOrEqual(KILLS)
    const expected = Array.from({ length: COUNT }, (_, i) => textOf(i))
    // Nothing lost, nothing twice: the recipient holds exactly the sender's messages, each once.
    expect.soft([...repeated(incoming.map((m) => m.text)).keys()], 'texts the recipient holds twice').toEqual([])
    expect.soft(incoming.map((m) => m.text).sort(), 'texts the recipient holds').toEqual(expected)
    expect.soft(new Set(incoming.map((m) => m.id)), 'message ids on both sides').toEqual(new Set(outgoing.map((m) => m.id)))
    // The sender wrote each text once (its restarts resent only what was missing).
    expect.soft([...repeated(outgoing.map((m) => m.text)).keys()], 'texts the sender wrote twice').toEqual([])
    expect.soft(outgoing.map((m) => m.text).sort(), 'texts the sender holds').toEqual(expected)
    // And it knows they arrived: all delivered, nothing left to retry.
    const undelivered = outgoing.filter((m) => m.status !== 'delivered' && m.status !== 'read')
    const stuck = !done || undelivered.length > 0 || sent.outboxKeys.length > 0
    const verdict = stuck ? await probeReceipt(senderDir, recipientDir) : 'not probed'
    if (stuck) console.log(`a fresh receipt from the recipient: ${verdict}`)
    const why = `(last progress ${JSON.stringify(final.last('progress'))}; a fresh receipt from the recipient: ${verdict})`
    expect.soft(done, `full delivery within ${FINAL_TIMEOUT_MS} ms of the last start ${why}`).not.toBeNull()
    expect.soft(undelivered.length, `messages not delivered ${why}`).toBe(0)
    expect.soft(sent.outboxKeys.length, `outbox records left ${why}`).toBe(0)
  })
})

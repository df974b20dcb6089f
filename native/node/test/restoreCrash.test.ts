/**
 * A restore killed at any moment leaves a real file store holding exactly the
 * old contents or exactly the backup's, never a mix: restoreBackup writes one
 * batch, and fileStore's journal rename is that batch's commit point. A child
 * process (restoreCrashChild.ts) restores and is SIGKILLed: before the batch,
 * while the journal is written, once it is committed, at random points while
 * the batch is applied and at random moments of its whole run; then the store
 * is reopened (which replays or discards the journal) and compared record by
 * record with both.
 */
import { spawn } from 'node:child_process'
import { watch } from 'node:fs'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBackup } from '../../../engine/backup/index.ts'
import { seededRandom } from '../../../engine/crypto/test/seededRandom.ts'
import type { StoreOp } from '../../../engine/ports/store.ts'
import { createMemoryStore } from '../../../engine/store/memoryStore.ts'
import { clock, crypto, dump, dumpOf, populateStore } from '../../../engine/backup/test/storeFixture.ts'
import { JOURNAL_FILE, openFileStore } from '../fileStore.ts'

const CHILD = join(import.meta.dirname, 'restoreCrashChild.ts')
const PASSPHRASE = 'crash test passphrase'

let work: string
let backupPath: string
/** A file store holding the old contents, copied for each run. */
let template: string
let oldState: Record<string, string>
let newState: Record<string, string>
/** Measured by the control run: the whole child's life. */
let runMs = 0
/** Records the restore sets: applying the batch makes at least this many file changes (one temp file each). */
let setOps = 0

/** What a kill trigger can wait for: a line the child printed, a file appearing in the store, more file events. */
interface ChildEvents {
  line(prefix: string): Promise<void>
  file(name: string): Promise<void>
  /** Resolves once `count` more changes happened in the store directory. */
  changes(count: number): Promise<void>
}

interface RunOutcome {
  /** What the reopened store holds. */
  readonly state: 'old' | 'new' | 'mixed'
  readonly killed: boolean
  readonly output: string
  readonly runMs: number
}

/** Restores in a child over a copy of the old store, kills it when `trigger` resolves (if given), reopens the store. */
async function run(trigger?: (events: ChildEvents) => Promise<void>): Promise<RunOutcome> {
  const dir = await mkdtemp(join(work, 'store-'))
  // A copy of the seeded store: quicker than writing (and fsyncing) every record again.
  await cp(template, dir, { recursive: true })

  let output = ''
  const lineWaiters: Array<{ prefix: string; resolve: () => void }> = []
  const fileWaiters: Array<{ name: string; resolve: () => void }> = []
  const changeWaiters: Array<{ at: number; resolve: () => void }> = []
  let changes = 0
  const watcher = watch(dir, (_event, name) => {
    changes++
    for (const w of fileWaiters) if (name === w.name) w.resolve()
    for (const w of changeWaiters) if (changes >= w.at) w.resolve()
  })
  const started = performance.now()
  const child = spawn(process.execPath, [CHILD, dir, backupPath, PASSPHRASE], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    for (const w of lineWaiters) if (output.split('\n').some((l) => l.startsWith(w.prefix))) w.resolve()
  })
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  const events: ChildEvents = {
    line: (prefix) => new Promise((resolve) => lineWaiters.push({ prefix, resolve })),
    file: (name) => new Promise((resolve) => fileWaiters.push({ name, resolve })),
    changes: (count) => new Promise((resolve) => changeWaiters.push({ at: changes + count, resolve })),
  }
  let killed = false
  if (trigger) {
    void trigger(events).then(() => {
      killed = child.kill('SIGKILL')
    })
  }
  const code = await exited
  const ended = performance.now()
  watcher.close()
  if (!killed) expect(code, output).toBe(0)

  const reopened = await openFileStore(dir)
  const after = await dump(reopened)
  await reopened.close()
  await rm(dir, { recursive: true, force: true })
  const state = equal(after, oldState) ? 'old' : equal(after, newState) ? 'new' : 'mixed'
  return { state, killed, output, runMs: ended - started }
}

function equal(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sovereign-restore-crash-'))
  const oldStore = createMemoryStore()
  // Over a hundred records each side: the batch spans hundreds of file changes to land kills among.
  const oldRecords = (await populateStore(oldStore, 'Old', { messages: 40, filler: 10 })).records
  oldState = dumpOf(oldRecords)
  template = join(work, 'template')
  const seeded = await openFileStore(template)
  await seeded.batch([...oldRecords].map(([key, value]): StoreOp => ({ type: 'set', key, value })))
  await seeded.close()
  const newStore = createMemoryStore()
  const fresh = await populateStore(newStore, 'New', { messages: 80, filler: 10 })
  newState = dumpOf(fresh.records)
  setOps = fresh.records.size
  const file = await createBackup(newStore, PASSPHRASE, { crypto, random: seededRandom('crash'), clock }, { scrypt: { logN: 15, r: 8, p: 1 } })
  backupPath = join(work, 'backup.sovb')
  await writeFile(backupPath, file)
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

// Each run spawns a Node child that derives a scrypt key and fsyncs hundreds of files: slow on a loaded machine.
describe('restore into a file store, SIGKILLed', () => {
  it('completes when left alone (the control run)', async () => {
    const outcome = await run()
    expect(outcome.state, outcome.output).toBe('new')
    runMs = outcome.runMs
  })

  it('keeps the old contents when killed before the batch (while the key is derived)', async () => {
    // scrypt runs for hundreds of ms after its first progress report: far from the batch.
    const outcome = await run((e) => e.line('opening'))
    expect(outcome.killed).toBe(true)
    expect(outcome.state, outcome.output).toBe('old')
  })

  it('keeps the old contents or the new, never a mix, when killed while the journal is written', async () => {
    const outcome = await run((e) => e.file(`${JOURNAL_FILE}.tmp`))
    expect(outcome.killed).toBe(true)
    expect(['old', 'new'], outcome.output).toContain(outcome.state)
  })

  it('has the new contents when killed once the journal is committed (replayed at reopen)', async () => {
    const outcome = await run((e) => e.file(JOURNAL_FILE))
    expect(outcome.killed).toBe(true)
    expect(outcome.state, outcome.output).toBe('new')
  })

  // Random points inside the batch, after its commit point: the record files are part
  // old, part new on disk, and reopening must finish the batch from the journal. The
  // point is counted in file changes, not milliseconds, so machine load cannot move it
  // past the end of the batch.
  it.each([0, 1])('has the new contents when killed at a random point while the batch is applied (run %i)', async () => {
    const after = 1 + Math.floor(Math.random() * setOps * 0.9)
    const outcome = await run(async (e) => {
      await e.file(JOURNAL_FILE)
      await e.changes(after)
    })
    expect(outcome.killed).toBe(true)
    expect(outcome.state, `killed ${after} file changes after the commit:\n${outcome.output}`).toBe('new')
  })

  // Random moments anywhere in the child's life: start-up, scrypt, checking, writing.
  it.each([0])('is old or new, never mixed, when killed at a random moment (run %i)', async () => {
    const delay = Math.floor(Math.random() * runMs)
    const outcome = await run(() => sleep(delay))
    expect(['old', 'new'], `killed ${delay} ms into a ${Math.round(runMs)} ms run:\n${outcome.output}`).toContain(outcome.state)
  })
})

/**
 * The relay's custody store on node:sqlite: the journal contract, a restore
 * through a mailbox after close and reopen, and typed errors for a file that is
 * not a custody store or comes from a newer version.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { createMailbox } from '../../../engine/routing/index.ts'
import type { CustodyJournal } from '../../../engine/routing/index.ts'
import { custodyJournalContract } from '../../../engine/routing/test/custodyJournalContract.ts'
import { CUSTODY_FILE, CUSTODY_SCHEMA_VERSION, openSqliteCustody } from '../sqliteCustody.ts'

const T = 1_700_000_000_000
const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-custody-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const dirOf = new WeakMap<CustodyJournal, string>()
const open = (dir: string): CustodyJournal => {
  const j = openSqliteCustody(dir)
  dirOf.set(j, dir)
  return j
}

describe('sqlite custody store', () => {
  custodyJournalContract({
    open: () => open(tempDir()),
    // Not closed: what was buffered and never flushed is lost, as in a kill -9.
    crash: (j) => open(dirOf.get(j)!),
    reopen: (j) => (j.close(), open(dirOf.get(j)!)),
  })

  it('restores a mailbox after close and reopen: what was held, in order, expired mail dropped', () => {
    const dir = tempDir()
    const journal = open(dir)
    const before = createMailbox({ journal })
    for (let i = 0; i < 50; i++) {
      const id = i.toString(16).padStart(32, '0')
      before.hold(`dest${i % 5}`, { id, bytes: new Uint8Array(100).fill(i), expiresAt: T + 60_000 + i, localId: null, from: 'ab'.repeat(32) }, T)
    }
    before.take('dest0', T)
    journal.close()

    const after = createMailbox({ journal: open(dir) })
    // Ids 0..9 expire before T + 60,010: dest0's were taken, the others' expired.
    expect(after.restore(T + 60_010)).toEqual({ restored: 32, expired: 8, refused: 0 })
    expect(after.destinations().sort()).toEqual(['dest1', 'dest2', 'dest3', 'dest4'])
    const held = after.take('dest1', T + 60_010)
    expect(held.map((e) => e.bytes[0])).toEqual([11, 16, 21, 26, 31, 36, 41, 46])
    expect(held[0]!.bytes).toEqual(new Uint8Array(100).fill(11))
  })

  it('keeps what a failed flush could not write, says so once, and writes it with the next flush', () => {
    const dir = tempDir()
    const failures: string[] = []
    const journal = openSqliteCustody(dir, { onFlushError: (e) => void failures.push(e.name) })
    journal.put('a', { id: '01', bytes: Uint8Array.of(1), expiresAt: T, localId: null, from: null })
    // Another connection moves the table away: the write fails as a disk error would.
    const other = new DatabaseSync(join(dir, CUSTODY_FILE))
    other.exec('ALTER TABLE held RENAME TO parked')
    expect(() => journal.flush()).toThrow(expect.objectContaining({ name: 'CustodyStoreFailedError' }))
    expect(() => journal.flush()).toThrow(expect.objectContaining({ name: 'CustodyStoreFailedError' }))
    expect(failures).toEqual(['CustodyStoreFailedError'])
    other.exec('ALTER TABLE parked RENAME TO held')
    other.close()
    journal.flush()
    journal.close()
    expect([...open(dir).load()].map((r) => `${r.destination}/${r.envelope.id}`)).toEqual(['a/01'])
  })

  it('says clearly that a damaged file is not a custody store, without its contents', () => {
    const dir = tempDir()
    writeFileSync(join(dir, CUSTODY_FILE), 'secret envelope bytes, not a database'.repeat(200))
    const error = (() => {
      try {
        openSqliteCustody(dir)
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.name).toBe('CustodyStoreCorruptError')
    expect(error?.message).toContain(CUSTODY_FILE)
    expect(error?.message).not.toContain('secret')
  })

  it('refuses a store from a newer version', () => {
    const dir = tempDir()
    open(dir).close()
    const db = new DatabaseSync(join(dir, CUSTODY_FILE))
    db.exec(`PRAGMA user_version = ${CUSTODY_SCHEMA_VERSION + 1}`)
    db.close()
    expect(() => openSqliteCustody(dir)).toThrow(expect.objectContaining({ name: 'CustodyStoreVersionError' }))
  })
})

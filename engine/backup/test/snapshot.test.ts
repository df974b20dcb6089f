/**
 * createBackup / restoreBackup on memory stores with the real scrypt at its
 * floor (N = 2^15, ~0.4-0.6 s per run on the 2-core dev machine): round trips, and every way a file can
 * be wrong leaving the target store byte for byte as it was. The exhaustive
 * bit-flip sweep and the malformed-contents cases run with a stub KDF in
 * restoreTamper.test.ts.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { encodeRecord, keys } from '../../messenger/records.ts'
import type { Store, StoreOp } from '../../ports/store.ts'
import { createMemoryStore } from '../../store/memoryStore.ts'
import { BACKUP_HEADER_LENGTH, createBackup, restoreBackup, type BackupPhase, type ScryptParams } from '../index.ts'
import { T0, clock, crypto, dump, dumpOf, errorName, populateStore, type Fixture } from './storeFixture.ts'

const FLOOR: ScryptParams = { logN: 15, r: 8, p: 1 }
const PASSPHRASE = 'correct horse battery staple'
const deps = { crypto, random: seededRandom('snapshot-test'), clock }
const restoreOptions = { maxSchema: 2 }

async function backupOf(store: Store): Promise<Uint8Array> {
  return createBackup(store, PASSPHRASE, deps, { scrypt: FLOOR })
}

describe('createBackup / restoreBackup', () => {
  let source: Fixture
  let file: Uint8Array
  // A device that already holds someone else's profile: the restore target.
  let target: Store
  let targetBefore: Record<string, string>

  beforeAll(async () => {
    const store = createMemoryStore()
    source = await populateStore(store, 'Alice')
    file = await backupOf(store)
  })

  beforeEach(async () => {
    target = createMemoryStore()
    await populateStore(target, 'Mallory', { messages: 20 })
    await target.set('settings/only-on-this-device', Uint8Array.of(1, 2, 3))
    targetBefore = await dump(target)
  })

  it('restores into an empty store, byte for byte', async () => {
    const empty = createMemoryStore()
    const result = await restoreBackup(empty, file, PASSPHRASE, { crypto }, restoreOptions)
    expect(result).toEqual({ records: source.records.size, schema: 2, profileName: 'Alice ✓', createdAt: T0 })
    expect(await dump(empty)).toEqual(dumpOf(source.records))
  })

  it('replaces a store that holds other data: its own keys are gone, the backup is there byte for byte', async () => {
    await restoreBackup(target, file, PASSPHRASE, { crypto }, restoreOptions)
    const after = await dump(target)
    expect(after).toEqual(dumpOf(source.records))
    expect(after['settings/only-on-this-device']).toBeUndefined()
    // Shared keys (identity, profile …) now hold Alice's bytes, not Mallory's.
    expect(after[keys.identity]).not.toBe(targetBefore[keys.identity])
  })

  describe('refuses a bad file with a typed error and leaves the store untouched', () => {
    const flipped = (index: number, mask = 0x01): Uint8Array => {
      const copy = file.slice()
      copy[index]! ^= mask
      return copy
    }
    const cases: Array<[string, () => Uint8Array, string, string?]> = [
      ['wrong passphrase', () => file, 'WrongPassphraseOrCorruptError', 'correct horse battery stapler'],
      ['magic byte flipped', () => flipped(0), 'NotABackupError'],
      ['version downgraded to 0', () => flipped(4, 0x01), 'UnsupportedBackupVersionError'],
      ['version raised to 2', () => flipped(4, 0x03), 'UnsupportedBackupVersionError'],
      ['scrypt log2 N lowered', () => flipped(5, 0x01), 'WeakBackupParamsError'],
      ['scrypt log2 N raised past the cap', () => flipped(5, 0x10), 'UnsupportedBackupParamsError'],
      ['scrypt r changed', () => flipped(6, 0x01), 'WrongPassphraseOrCorruptError'],
      ['salt bit', () => flipped(8 + 5, 0x80), 'WrongPassphraseOrCorruptError'],
      ['nonce bit', () => flipped(24 + 17, 0x04), 'WrongPassphraseOrCorruptError'],
      ['middle ciphertext bit', () => flipped(Math.floor(file.length / 2), 0x20), 'WrongPassphraseOrCorruptError'],
      ['tag bit', () => flipped(file.length - 16 + 3, 0x40), 'WrongPassphraseOrCorruptError'],
      ['truncated to nothing', () => file.subarray(0, 0), 'TruncatedBackupError'],
      ['truncated inside the header', () => file.subarray(0, 30), 'TruncatedBackupError'],
      ['truncated to header and part of the tag', () => file.subarray(0, BACKUP_HEADER_LENGTH + 15), 'TruncatedBackupError'],
      ['truncated by half', () => file.subarray(0, Math.floor(file.length / 2)), 'WrongPassphraseOrCorruptError'],
      ['truncated by one byte', () => file.subarray(0, file.length - 1), 'WrongPassphraseOrCorruptError'],
    ]
    it.each(cases)('%s', async (_name, make, expected, passphrase = PASSPHRASE) => {
      expect(await errorName(restoreBackup(target, make(), passphrase, { crypto }, restoreOptions))).toBe(expected)
      expect(await dump(target)).toEqual(targetBefore)
    })
  })

  it('refuses a backup whose data has a newer schema, and restores an older one', async () => {
    const newer = createMemoryStore()
    await populateStore(newer, 'Future', { messages: 2, schema: 3 })
    const newerFile = await backupOf(newer)
    const error = await restoreBackup(target, newerFile, PASSPHRASE, { crypto }, restoreOptions).catch((e: Error) => e)
    expect(error).toMatchObject({ name: 'BackupSchemaTooNewError', schema: 3, maxSchema: 2 })
    expect(await dump(target)).toEqual(targetBefore)

    // The engine migrates older data forward at its next start.
    const result = await restoreBackup(target, newerFile, PASSPHRASE, { crypto }, { maxSchema: 3 })
    expect(result.schema).toBe(3)
    expect(await dump(target)).toEqual(await dump(newer))
  })

  it('leaves the store as it was when the batch fails (an interrupted restore)', async () => {
    let batches = 0
    const failing: Store = {
      get: (key) => target.get(key),
      set: (key, value) => target.set(key, value),
      delete: (key) => target.delete(key),
      keys: (prefix) => target.keys(prefix),
      batch: async (ops: readonly StoreOp[]) => {
        batches++
        expect(ops.length).toBeGreaterThan(source.records.size)
        throw Object.assign(new Error('disk full'), { name: 'StoreFailedError' })
      },
    }
    expect(await errorName(restoreBackup(failing, file, PASSPHRASE, { crypto }, restoreOptions))).toBe('StoreFailedError')
    expect(batches).toBe(1)
    expect(await dump(target)).toEqual(targetBefore)
  })

  it('reports progress phase by phase, done strictly increasing up to total', async () => {
    const events: Array<[BackupPhase, number, number]> = []
    const onProgress = (phase: BackupPhase, done: number, total: number): void => void events.push([phase, done, total])
    const store = createMemoryStore()
    await populateStore(store, 'Progress', { messages: 600 })
    const made = await createBackup(store, PASSPHRASE, deps, { scrypt: FLOOR, onProgress })
    await restoreBackup(createMemoryStore(), made, PASSPHRASE, { crypto }, { ...restoreOptions, onProgress })

    const phases = [...new Set(events.map(([phase]) => phase))]
    expect(phases).toEqual(['reading', 'sealing', 'opening', 'checking', 'writing'])
    for (const phase of phases) {
      const ofPhase = events.filter(([p]) => p === phase)
      const dones = ofPhase.map(([, done]) => done)
      expect(dones.every((done, i) => i === 0 || done > dones[i - 1]!), phase).toBe(true)
      const [, lastDone, total] = ofPhase.at(-1)!
      expect(lastDone, phase).toBe(total)
      expect(ofPhase.every(([, , t]) => t === total), phase).toBe(true)
    }
    // Reading goes page by page (more than one report for 1,200+ records).
    expect(events.filter(([p]) => p === 'reading').length).toBeGreaterThan(3)
  })

  it('refuses to back up a store with no profile, or with no schema version', async () => {
    const empty = createMemoryStore()
    expect(await errorName(createBackup(empty, PASSPHRASE, deps, { scrypt: FLOOR }))).toBe('NothingToBackUpError')
    await empty.set(keys.settings, encodeRecord({ readReceipts: false }))
    expect(await errorName(createBackup(empty, PASSPHRASE, deps, { scrypt: FLOOR }))).toBe('NothingToBackUpError')

    const unversioned = createMemoryStore()
    await populateStore(unversioned, 'Old', { messages: 1 })
    await unversioned.delete(keys.schema)
    expect(await errorName(createBackup(unversioned, PASSPHRASE, deps, { scrypt: FLOOR }))).toBe('UnversionedStoreError')
  })

  it('leaves out a record deleted while the backup reads', async () => {
    const store = createMemoryStore()
    const fixture = await populateStore(store, 'Racy', { messages: 1 })
    const doomed = keys.contact(fixture.contacts[1]!.id)
    // keys() lists the record, then it is gone before its get.
    const racy: Store = { ...store, keys: async (prefix) => {
      const listed = await store.keys(prefix)
      await store.delete(doomed)
      return listed
    } }
    const made = await createBackup(racy, PASSPHRASE, deps, { scrypt: FLOOR })
    const restored = createMemoryStore()
    const result = await restoreBackup(restored, made, PASSPHRASE, { crypto }, restoreOptions)
    expect(result.records).toBe(fixture.records.size - 1)
    expect(await dump(restored)).toEqual(await dump(store))
  })
})

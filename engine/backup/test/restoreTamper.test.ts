/**
 * restoreBackup against every damaged file and every authenticated-but-wrong
 * payload, with scrypt replaced by a cheap stand-in (as in backupTamper.test.ts)
 * so thousands of restores run in seconds. What is under test is that no
 * failure writes anything: after each one the target store is byte for byte
 * what it was. snapshot.test.ts samples the same classes with the real scrypt.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { concat, utf8Encode } from '../../bytes.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { encodeIdentity, generateIdentity } from '../../identity/identity.ts'
import type { Store } from '../../ports/store.ts'
import { createMemoryStore } from '../../store/memoryStore.ts'
import { BACKUP_HEADER_LENGTH, createBackup, restoreBackup, sealBackup, type ScryptParams } from '../index.ts'
import { rawSnapshot, type RawRecord } from './rawSnapshot.ts'
import { clock, crypto, dump, errorName, populateStore } from './storeFixture.ts'

vi.mock('@noble/hashes/scrypt.js', async () => {
  const { hkdf } = await import('@noble/hashes/hkdf.js')
  const { sha256 } = await import('@noble/hashes/sha2.js')
  return {
    scryptAsync: async (password: Uint8Array, salt: Uint8Array, opts: { N: number; r: number; p: number; dkLen: number }) =>
      hkdf(sha256, password, salt, new TextEncoder().encode(`${opts.N}/${opts.r}/${opts.p}`), opts.dkLen),
  }
})

const FLOOR: ScryptParams = { logN: 15, r: 8, p: 1 }
const PASSPHRASE = 'tamper test'
const options = { maxSchema: 2 }
const json = (value: unknown): Uint8Array => utf8Encode(JSON.stringify(value))
const identityBytes = encodeIdentity(generateIdentity(crypto, seededRandom('tamper-identity')))

/** Every error a damaged file may legitimately produce. */
const FILE_ERRORS = [
  'NotABackupError',
  'UnsupportedBackupVersionError',
  'UnsupportedBackupParamsError',
  'WeakBackupParamsError',
  'TruncatedBackupError',
  'WrongPassphraseOrCorruptError',
]

async function sealed(payload: Uint8Array): Promise<Uint8Array> {
  return sealBackup({ crypto, random: seededRandom('tamper-seal'), passphrase: PASSPHRASE, payload, params: FLOOR })
}

describe('restoreBackup writes nothing on any failure (stub KDF)', () => {
  let file: Uint8Array
  let target: Store
  let before: Record<string, string>

  beforeAll(async () => {
    const source = createMemoryStore()
    await populateStore(source, 'Small', { messages: 2 })
    file = await createBackup(source, PASSPHRASE, { crypto, random: seededRandom('tamper'), clock }, { scrypt: FLOOR })
  })

  beforeEach(async () => {
    target = createMemoryStore()
    await populateStore(target, 'Target', { messages: 4 })
    before = await dump(target)
  })

  it('refuses a flipped bit at every byte of the file', async () => {
    const outcomes = new Set<string>()
    for (let index = 0; index < file.length; index++) {
      const tampered = file.slice()
      tampered[index]! ^= 1 << index % 8
      const outcome = await errorName(restoreBackup(target, tampered, PASSPHRASE, { crypto }, options))
      expect(FILE_ERRORS, `byte ${index}`).toContain(outcome)
      outcomes.add(outcome)
    }
    expect(await dump(target)).toEqual(before)
    expect(outcomes).toContain('WrongPassphraseOrCorruptError')
    expect(file.length).toBeGreaterThan(BACKUP_HEADER_LENGTH + 1000)
  })

  it('refuses every truncation and an appended byte', async () => {
    for (let length = 0; length < file.length; length++) {
      const outcome = await errorName(restoreBackup(target, file.subarray(0, length), PASSPHRASE, { crypto }, options))
      expect(['TruncatedBackupError', 'WrongPassphraseOrCorruptError'], `length ${length}`).toContain(outcome)
    }
    expect(await errorName(restoreBackup(target, concat(file, Uint8Array.of(0)), PASSPHRASE, { crypto }, options))).toBe(
      'WrongPassphraseOrCorruptError',
    )
    expect(await dump(target)).toEqual(before)
  })

  const identity: RawRecord = ['identity', identityBytes]
  const schema: RawRecord = ['meta/schema', json({ version: 2 })]
  const profile: RawRecord = ['profile', json({ displayName: 'Restored', createdAt: 1 })]
  const contents: Array<[string, Uint8Array, string]> = [
    ['a payload that is not a snapshot', utf8Encode('{"not":"a snapshot"}'), 'MalformedBackupError'],
    ['an empty payload', new Uint8Array(0), 'MalformedBackupError'],
    ['a newer snapshot layout', rawSnapshot([identity, schema], { version: 2 }), 'UnsupportedSnapshotVersionError'],
    ['trailing bytes', concat(rawSnapshot([identity, schema]), Uint8Array.of(0)), 'MalformedBackupError'],
    ['a duplicate key', rawSnapshot([identity, identity, schema]), 'MalformedBackupError'],
    ['no identity', rawSnapshot([schema, profile]), 'MalformedBackupError'],
    ['an unreadable identity', rawSnapshot([['identity', identityBytes.subarray(1)], schema]), 'MalformedBackupError'],
    ['no schema version', rawSnapshot([identity, profile]), 'MalformedBackupError'],
    ['an unreadable schema version', rawSnapshot([identity, ['meta/schema', json({ version: '2' })]]), 'MalformedBackupError'],
    ['schema version 0', rawSnapshot([identity, ['meta/schema', json({ version: 0 })]]), 'MalformedBackupError'],
    ['a newer schema', rawSnapshot([identity, ['meta/schema', json({ version: 3 })], profile]), 'BackupSchemaTooNewError'],
    // A newer schema may lay the identity out differently: the version is what the user must hear about.
    ['a newer schema with an identity this app cannot read', rawSnapshot([['identity', Uint8Array.of(2)], ['meta/schema', json({ version: 9 })]]), 'BackupSchemaTooNewError'],
  ]
  it.each(contents)('refuses authenticated contents with %s', async (_name, payload, expected) => {
    expect(await errorName(restoreBackup(target, await sealed(payload), PASSPHRASE, { crypto }, options))).toBe(expected)
    expect(await dump(target)).toEqual(before)
  })

  it('restores a minimal snapshot; an unreadable profile only loses the name', async () => {
    const minimal = rawSnapshot([identity, schema])
    expect(await restoreBackup(target, await sealed(minimal), PASSPHRASE, { crypto }, options)).toEqual({
      records: 2,
      schema: 2,
      profileName: null,
      createdAt: 1_700_000_000_000,
    })
    expect(Object.keys(await dump(target))).toEqual(['identity', 'meta/schema'])

    const oddProfile = rawSnapshot([identity, schema, ['profile', json({ name: 'v0 layout' })]])
    const result = await restoreBackup(target, await sealed(oddProfile), PASSPHRASE, { crypto }, options)
    expect(result.profileName).toBeNull()
  })
})

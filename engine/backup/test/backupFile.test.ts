/**
 * The backup file with the real scrypt (noble), at the floor N = 2^15 to stay
 * fast. Exhaustive bit-flip and truncation sweeps live in backupTamper.test.ts,
 * where the KDF is replaced by a cheap stand-in.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8Encode } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { BACKUP_HEADER_LENGTH, openBackup, sealBackup, type ScryptParams } from '../index.ts'
import vector from './backupVector.json' with { type: 'json' }

const crypto = nobleCrypto()
const FAST: ScryptParams = { logN: 15, r: 8, p: 1 }
const payload = utf8Encode('contacts, keys and history go here')

async function sealed(passphrase = 'correct horse battery staple', seed = 'backup-test'): Promise<Uint8Array> {
  return sealBackup({ crypto, random: seededRandom(seed), passphrase, payload, params: FAST })
}

async function openError(file: Uint8Array, passphrase = 'correct horse battery staple'): Promise<string> {
  try {
    await openBackup({ crypto, passphrase, file })
  } catch (err) {
    return (err as Error).name
  }
  return 'opened'
}

describe('backup file (real scrypt)', () => {
  // Sealed once: every scrypt run at the floor costs a few hundred ms.
  let file: Uint8Array
  beforeAll(async () => {
    file = await sealed()
  })

  it('round-trips, and lays out the header as specified', async () => {
    expect(toHex(file.subarray(0, 8))).toBe('534f5642010f0801') // 'SOVB' v1 log2N=15 r=8 p=1
    expect(file.length).toBe(BACKUP_HEADER_LENGTH + payload.length + 16)
    expect(await openBackup({ crypto, passphrase: 'correct horse battery staple', file })).toEqual(payload)
  })

  it('round-trips an empty payload', async () => {
    const file = await sealBackup({ crypto, random: seededRandom(1), passphrase: 'p', payload: new Uint8Array(0), params: FAST })
    expect(await openBackup({ crypto, passphrase: 'p', file })).toEqual(new Uint8Array(0))
  })

  it('refuses a wrong passphrase with a message naming both causes', async () => {
    const error = await openBackup({ crypto, passphrase: 'correct horse battery stapler', file }).catch((e: Error) => e)
    expect(error).toMatchObject({ name: 'WrongPassphraseOrCorruptError' })
    expect((error as Error).message).toMatch(/wrong passphrase, or the backup file is damaged/)
    expect((error as Error).message).not.toContain('staple')
  })

  it('refuses a flipped bit in the salt or the tag, or a byte cut off the end', async () => {
    for (const index of [10, file.length - 1]) {
      const tampered = file.slice()
      tampered[index]! ^= 0x01
      expect(await openError(tampered)).toBe('WrongPassphraseOrCorruptError')
    }
    expect(await openError(file.subarray(0, file.length - 1))).toBe('WrongPassphraseOrCorruptError')
  })

  it('refuses the version byte changed up or down', async () => {
    for (const version of [0, 2, 255]) {
      const changed = file.slice()
      changed[4] = version
      expect(await openError(changed)).toBe('UnsupportedBackupVersionError')
    }
  })

  it('refuses a header asking for N = 2^10 (weak) or N = 2^30 (too costly) without deriving', async () => {
    const progress: number[] = []
    for (const [logN, name] of [[10, 'WeakBackupParamsError'], [30, 'UnsupportedBackupParamsError']] as const) {
      const changed = file.slice()
      changed[5] = logN
      const error = await openBackup({ crypto, passphrase: 'x', file: changed, onProgress: (f) => progress.push(f) }).catch(
        (e: Error) => e,
      )
      expect(error).toMatchObject({ name })
    }
    expect(progress).toEqual([]) // scrypt never started (backupTamper.test.ts counts calls too)
  })

  it('refuses a caller asking for weak or excessive parameters', async () => {
    const attempt = (params: ScryptParams): Promise<unknown> =>
      sealBackup({ crypto, random: seededRandom(2), passphrase: 'p', payload, params })
    await expect(attempt({ logN: 14, r: 8, p: 1 })).rejects.toMatchObject({ name: 'WeakBackupParamsError' })
    await expect(attempt({ logN: 15, r: 7, p: 1 })).rejects.toMatchObject({ name: 'WeakBackupParamsError' })
    await expect(attempt({ logN: 15, r: 8, p: 0 })).rejects.toMatchObject({ name: 'WeakBackupParamsError' })
    await expect(attempt({ logN: 21, r: 8, p: 1 })).rejects.toMatchObject({ name: 'UnsupportedBackupParamsError' })
    await expect(attempt({ logN: 20, r: 9, p: 1 })).rejects.toMatchObject({ name: 'UnsupportedBackupParamsError' })
    await expect(attempt({ logN: 20, r: 8, p: 2 })).rejects.toMatchObject({ name: 'UnsupportedBackupParamsError' })
    await expect(attempt({ logN: 15.5, r: 8, p: 1 })).rejects.toMatchObject({ name: 'UnsupportedBackupParamsError' })
  })

  it('refuses an empty or ill-formed passphrase', async () => {
    const attempt = (passphrase: string): Promise<unknown> =>
      sealBackup({ crypto, random: seededRandom(3), passphrase, payload, params: FAST })
    await expect(attempt('')).rejects.toMatchObject({ name: 'InvalidPassphraseError' })
    await expect(attempt('a\ud800b')).rejects.toMatchObject({ name: 'InvalidPassphraseError' })
  })

  it('reports strictly increasing progress ending at 1, when sealing and when opening', async () => {
    const sealSeen: number[] = []
    const openSeen: number[] = []
    const progressFile = await sealBackup({
      crypto,
      random: seededRandom(4),
      passphrase: 'p',
      payload,
      params: FAST,
      onProgress: (f) => sealSeen.push(f),
    })
    await openBackup({ crypto, passphrase: 'p', file: progressFile, onProgress: (f) => openSeen.push(f) })
    for (const seen of [sealSeen, openSeen]) {
      expect(seen.length).toBeGreaterThan(10)
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!)
      expect(seen[0]!).toBeGreaterThan(0)
      expect(seen.at(-1)).toBe(1)
      expect(seen.filter((f) => f === 1)).toHaveLength(1)
    }
  })

  it('never reports 1 when opening fails', async () => {
    const seen: number[] = []
    await expect(openBackup({ crypto, passphrase: 'wrong', file, onProgress: (f) => seen.push(f) })).rejects.toThrow()
    expect(seen.length).toBeGreaterThan(0)
    expect(seen).not.toContain(1)
  })

  // Known answer, cross-checked outside the engine: backupVector.json was made by
  // makeVector.py with Python's hashlib.scrypt and pyca/cryptography (see README.md).
  it('matches the independently computed known-answer vector (NFD passphrase seals, NFC opens)', async () => {
    expect(vector.passphraseNfd).not.toBe(vector.passphraseNfd.normalize('NFC'))
    const file = await sealBackup({
      crypto,
      random: seededRandom(vector.seededRandom),
      passphrase: vector.passphraseNfd,
      payload: fromHex(vector.payloadHex),
      params: vector.params,
    })
    expect(toHex(file)).toBe(vector.fileHex)
    expect(toHex(await openBackup({ crypto, passphrase: vector.passphraseNfd.normalize('NFC'), file: fromHex(vector.fileHex) }))).toBe(
      vector.payloadHex,
    )
  })
})

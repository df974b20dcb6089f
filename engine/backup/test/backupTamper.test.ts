/**
 * Exhaustive tamper and truncation sweeps. scrypt is replaced by a cheap,
 * call-counting stand-in (HKDF over password, salt and N/r/p) so that hundreds
 * of opens run in milliseconds; backupFile.test.ts covers the real scrypt and
 * the known-answer vector. What is under test here is the format: that every
 * header byte is checked or authenticated, and that nothing opens short.
 */
import fc from 'fast-check'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { utf8Encode } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { BACKUP_HEADER_LENGTH, openBackup, sealBackup, type ScryptParams } from '../index.ts'

const kdf = vi.hoisted(() => ({ calls: 0 }))

vi.mock('@noble/hashes/scrypt.js', async () => {
  const { hkdf } = await import('@noble/hashes/hkdf.js')
  const { sha256 } = await import('@noble/hashes/sha2.js')
  return {
    scryptAsync: async (
      password: Uint8Array,
      salt: Uint8Array,
      opts: { N: number; r: number; p: number; dkLen: number; onProgress?: (f: number) => void },
    ): Promise<Uint8Array> => {
      kdf.calls++
      opts.onProgress?.(1)
      return hkdf(sha256, password, salt, new TextEncoder().encode(`${opts.N}/${opts.r}/${opts.p}`), opts.dkLen)
    },
  }
})

const crypto = nobleCrypto()
const FAST: ScryptParams = { logN: 15, r: 8, p: 1 }
const PASSPHRASE = 'tamper test'
// 8 bytes: small enough to flip every ciphertext and tag bit too.
const payload = utf8Encode('8 bytes!')

async function openOutcome(file: Uint8Array): Promise<string> {
  try {
    const opened = await openBackup({ crypto, passphrase: PASSPHRASE, file })
    return opened.length === payload.length ? 'opened' : 'opened (wrong length)'
  } catch (err) {
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toMatch(/Error$/)
    expect((err as Error).name).not.toBe('Error')
    return (err as Error).name
  }
}

describe('backup file tamper and truncation sweeps (stub KDF)', () => {
  let file: Uint8Array
  beforeEach(async () => {
    file = await sealBackup({ crypto, random: seededRandom('tamper'), passphrase: PASSPHRASE, payload, params: FAST })
    kdf.calls = 0
  })

  it('opens the untouched file (the sweep baseline)', async () => {
    expect(await openOutcome(file)).toBe('opened')
  })

  it('refuses every single-bit flip, header and ciphertext, with the error that byte calls for', async () => {
    expect(file.length).toBe(BACKUP_HEADER_LENGTH + payload.length + 16)
    const seen = new Map<string, number>()
    for (let bit = 0; bit < file.length * 8; bit++) {
      const tampered = file.slice()
      tampered[bit >> 3]! ^= 1 << (bit & 7)
      const outcome = await openOutcome(tampered)
      const byte = bit >> 3
      const expected =
        byte < 4
          ? ['NotABackupError']
          : byte === 4
            ? ['UnsupportedBackupVersionError']
            : byte < 8
              ? ['WeakBackupParamsError', 'UnsupportedBackupParamsError', 'WrongPassphraseOrCorruptError']
              : ['WrongPassphraseOrCorruptError']
      expect(expected, `bit ${bit}`).toContain(outcome)
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1)
    }
    // Every class of refusal actually occurred in the sweep.
    expect([...seen.keys()].sort()).toEqual([
      'NotABackupError',
      'UnsupportedBackupParamsError',
      'UnsupportedBackupVersionError',
      'WeakBackupParamsError',
      'WrongPassphraseOrCorruptError',
    ])
  })

  it('refuses every truncation with a typed error', async () => {
    for (let length = 0; length < file.length; length++) {
      const outcome = await openOutcome(file.subarray(0, length))
      const expected = length < BACKUP_HEADER_LENGTH + 16 ? 'TruncatedBackupError' : 'WrongPassphraseOrCorruptError'
      expect(outcome, `length ${length}`).toBe(expected)
    }
  })

  it('refuses bytes appended after the tag', async () => {
    const longer = new Uint8Array(file.length + 1)
    longer.set(file)
    expect(await openOutcome(longer)).toBe('WrongPassphraseOrCorruptError')
  })

  it('refuses out-of-range parameters in a header before any key derivation', async () => {
    for (const [index, value, name] of [
      [5, 10, 'WeakBackupParamsError'], // N = 2^10
      [5, 14, 'WeakBackupParamsError'],
      [6, 7, 'WeakBackupParamsError'], // r = 7
      [7, 0, 'WeakBackupParamsError'], // p = 0
      [5, 30, 'UnsupportedBackupParamsError'], // N = 2^30
      [5, 21, 'UnsupportedBackupParamsError'],
      [7, 33, 'UnsupportedBackupParamsError'], // N·r·p above what N = 2^20, r = 8, p = 1 costs
      [7, 255, 'UnsupportedBackupParamsError'],
    ] as const) {
      const changed = file.slice()
      changed[index] = value
      expect(await openOutcome(changed), `byte ${index} = ${value}`).toBe(name)
    }
    expect(kdf.calls).toBe(0)
  })

  it('refuses a file that is not a backup, or a version it does not read, before any key derivation', async () => {
    expect(await openOutcome(utf8Encode('PK\u0003\u0004 a zip file, say, long enough to hold a header and a tag'))).toBe(
      'NotABackupError',
    )
    for (const version of [0, 2]) {
      const changed = file.slice()
      changed[4] = version
      expect(await openOutcome(changed)).toBe('UnsupportedBackupVersionError')
    }
    expect(kdf.calls).toBe(0)
  })

  it('round-trips any payload and passphrase (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc.integer(),
        async (bytes, passphrase, seed) => {
          const sealedFile = await sealBackup({ crypto, random: seededRandom(seed), passphrase, payload: bytes, params: FAST })
          expect(await openBackup({ crypto, passphrase, file: sealedFile })).toEqual(bytes)
        },
      ),
      { numRuns: 100 },
    )
  })
})

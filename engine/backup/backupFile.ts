/**
 * The encrypted backup file (DESIGN.md §6): one passphrase-protected blob.
 *
 *   magic 'SOVB' (4) | version u8 = 1 | log2(N) u8 | r u8 | p u8 | salt (16) | nonce (24)
 *   | XChaCha20-Poly1305(key, nonce, payload, ad = the whole 48-byte header)
 *
 * key = scrypt(UTF-8(NFC(passphrase)), salt, N, r, p, dkLen = 32). Every header
 * byte is associated data, so any change to it fails authentication; the
 * parameter floor and cap are checked before scrypt runs, because the header is
 * only authenticated after the (expensive) key derivation.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { utf8Encode } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'
import type { Random } from '../ports/random.ts'
import { byteReader } from '../wire/byteReader.ts'
import { byteWriter, isWellFormedText } from '../wire/byteWriter.ts'
import {
  InvalidPassphraseError,
  NotABackupError,
  TruncatedBackupError,
  UnsupportedBackupParamsError,
  UnsupportedBackupVersionError,
  WeakBackupParamsError,
  WrongPassphraseOrCorruptError,
} from './errors.ts'

/** scrypt cost parameters (RFC 7914): N = 2^logN. */
export interface ScryptParams {
  readonly logN: number
  readonly r: number
  readonly p: number
}

export interface SealBackupInit {
  readonly crypto: Crypto
  readonly random: Random
  readonly passphrase: string
  readonly payload: Uint8Array
  /** Defaults to `DEFAULT_SCRYPT_PARAMS`; must lie within the floor and cap. */
  readonly params?: ScryptParams
  /** Strictly increasing fractions in (0, 1]; 1 is reported once the file is sealed. */
  readonly onProgress?: (fraction: number) => void
}

export interface OpenBackupInit {
  readonly crypto: Crypto
  readonly passphrase: string
  readonly file: Uint8Array
  /** Strictly increasing fractions in (0, 1]; 1 is reported only when the payload opened. */
  readonly onProgress?: (fraction: number) => void
}

export const BACKUP_MAGIC: Uint8Array = Uint8Array.of(0x53, 0x4f, 0x56, 0x42) // 'SOVB'
export const BACKUP_VERSION = 1
export const BACKUP_SALT_LENGTH = 16
export const BACKUP_NONCE_LENGTH = 24
export const BACKUP_HEADER_LENGTH = BACKUP_MAGIC.length + 4 + BACKUP_SALT_LENGTH + BACKUP_NONCE_LENGTH // 48
const TAG_LENGTH = 16
const KEY_LENGTH = 32

/** N = 2^17 (128 MiB at r = 8): about the cost the scrypt paper suggests for interactive use, on a phone. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { logN: 17, r: 8, p: 1 }
/** Never derive with less, whoever asks: the file header is not authenticated until after scrypt. */
export const MIN_SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 1 }
/** N ≤ 2^20. */
export const MAX_SCRYPT_LOG_N = 20
// Memory is 128·r·N bytes and work is proportional to N·r·p; both are capped at
// what N = 2^20, r = 8, p = 1 costs (1 GiB), so raising r or p cannot get round the N cap.
const MAX_SCRYPT_MEMORY = 2 ** 30
const MAX_SCRYPT_WORK = 2 ** MAX_SCRYPT_LOG_N * 8
// Share of the progress bar given to scrypt; the AEAD and the final 1 take the rest.
const KDF_SHARE = 0.99

/** Throws unless `params` lies within the floor and the cap. Exported for callers that validate settings early. */
export function checkScryptParams(params: ScryptParams): void {
  const { logN, r, p } = params
  if (![logN, r, p].every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new UnsupportedBackupParamsError('scrypt parameters must be whole numbers from 0 to 255')
  }
  if (logN < MIN_SCRYPT_PARAMS.logN || r < MIN_SCRYPT_PARAMS.r || p < MIN_SCRYPT_PARAMS.p) {
    throw new WeakBackupParamsError(
      `backup key derivation is too weak (scrypt N=2^${logN}, r=${r}, p=${p}; the minimum is N=2^${MIN_SCRYPT_PARAMS.logN}, r=${MIN_SCRYPT_PARAMS.r}, p=${MIN_SCRYPT_PARAMS.p})`,
    )
  }
  const n = 2 ** logN
  if (logN > MAX_SCRYPT_LOG_N || 128 * r * n > MAX_SCRYPT_MEMORY || n * r * p > MAX_SCRYPT_WORK) {
    throw new UnsupportedBackupParamsError(
      `backup key derivation is too costly to run (scrypt N=2^${logN}, r=${r}, p=${p}; at most 1 GiB of memory, N ≤ 2^${MAX_SCRYPT_LOG_N})`,
    )
  }
}

function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new InvalidPassphraseError('the backup passphrase is empty')
  }
  if (!isWellFormedText(passphrase)) {
    throw new InvalidPassphraseError('the backup passphrase contains an invalid character')
  }
  // NFC so that the same passphrase typed on different keyboards or OSes
  // (precomposed é versus e + U+0301) derives the same key.
  return utf8Encode(passphrase.normalize('NFC'))
}

function progressReporter(onProgress: ((fraction: number) => void) | undefined): (fraction: number) => void {
  let last = 0
  return (fraction: number): void => {
    if (onProgress && fraction > last) {
      last = fraction
      onProgress(fraction)
    }
  }
}

async function deriveKey(
  passphrase: Uint8Array,
  salt: Uint8Array,
  params: ScryptParams,
  report: (fraction: number) => void,
): Promise<Uint8Array> {
  const N = 2 ** params.logN
  const { r, p } = params
  return scryptAsync(passphrase, salt, {
    N,
    r,
    p,
    dkLen: KEY_LENGTH,
    // noble's own accounting (128·r·(N+p+1)); checkScryptParams already bounded it.
    maxmem: 128 * r * (N + p + 1),
    onProgress: (fraction) => report(fraction * KDF_SHARE),
  })
}

/** Encrypts `payload` under `passphrase` into a self-describing backup file. */
export async function sealBackup(init: SealBackupInit): Promise<Uint8Array> {
  const params = init.params ?? DEFAULT_SCRYPT_PARAMS
  checkScryptParams(params)
  const password = passphraseBytes(init.passphrase)
  const salt = init.random.bytes(BACKUP_SALT_LENGTH)
  const nonce = init.random.bytes(BACKUP_NONCE_LENGTH)

  const header = byteWriter(BACKUP_HEADER_LENGTH)
  header.bytes(BACKUP_MAGIC, 'magic', BACKUP_MAGIC.length)
  header.u8(BACKUP_VERSION, 'version')
  header.u8(params.logN, 'scrypt log2 N')
  header.u8(params.r, 'scrypt r')
  header.u8(params.p, 'scrypt p')
  header.bytes(salt, 'salt', BACKUP_SALT_LENGTH)
  header.bytes(nonce, 'nonce', BACKUP_NONCE_LENGTH)
  const ad = header.finish()

  const report = progressReporter(init.onProgress)
  const key = await deriveKey(password, salt, params, report)
  try {
    const ciphertext = init.crypto.xaeadSeal(key, nonce, init.payload, ad)
    const file = new Uint8Array(ad.length + ciphertext.length)
    file.set(ad, 0)
    file.set(ciphertext, ad.length)
    report(1)
    return file
  } finally {
    key.fill(0)
    password.fill(0)
  }
}

interface ParsedHeader {
  readonly ad: Uint8Array
  readonly params: ScryptParams
  readonly salt: Uint8Array
  readonly nonce: Uint8Array
  readonly ciphertext: Uint8Array
}

/** Parses and vets the header, in the order that gives the most useful error. No KDF work happens here. */
function parseHeader(file: Uint8Array): ParsedHeader {
  const magicLength = BACKUP_MAGIC.length
  const seen = file.subarray(0, magicLength)
  if (!seen.every((b, i) => b === BACKUP_MAGIC[i])) throw new NotABackupError()
  if (file.length < magicLength + 1) throw new TruncatedBackupError()
  const version = file[magicLength]!
  if (version !== BACKUP_VERSION) throw new UnsupportedBackupVersionError(version)
  if (file.length < BACKUP_HEADER_LENGTH + TAG_LENGTH) throw new TruncatedBackupError()

  // Every length was checked above, so these reads cannot run short.
  const reader = byteReader(file)
  reader.bytes(magicLength + 1, 'magic and version')
  const params: ScryptParams = { logN: reader.u8('scrypt log2 N'), r: reader.u8('scrypt r'), p: reader.u8('scrypt p') }
  checkScryptParams(params)
  const salt = reader.bytes(BACKUP_SALT_LENGTH, 'salt')
  const nonce = reader.bytes(BACKUP_NONCE_LENGTH, 'nonce')
  return {
    ad: file.subarray(0, BACKUP_HEADER_LENGTH),
    params,
    salt,
    nonce,
    ciphertext: file.subarray(BACKUP_HEADER_LENGTH),
  }
}

/**
 * Decrypts a backup file. Throws a typed error and returns nothing on any
 * failure; the payload is returned only when it authenticated in full.
 */
export async function openBackup(init: OpenBackupInit): Promise<Uint8Array> {
  const { ad, params, salt, nonce, ciphertext } = parseHeader(init.file)
  const password = passphraseBytes(init.passphrase)
  const report = progressReporter(init.onProgress)
  const key = await deriveKey(password, salt, params, report)
  let payload: Uint8Array
  try {
    payload = init.crypto.xaeadOpen(key, nonce, ciphertext, ad)
  } catch (err) {
    if (err instanceof Error && err.name === 'DecryptError') throw new WrongPassphraseOrCorruptError()
    throw err
  } finally {
    key.fill(0)
    password.fill(0)
  }
  report(1)
  return payload
}

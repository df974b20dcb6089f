/**
 * The few records a backup must understand rather than carry as opaque bytes:
 * the identity (there is a profile at all), the schema version (it may be
 * restored by this app) and the profile (its name, to confirm the right backup
 * was restored). Each reader returns undefined for a record it cannot read, so
 * the backup and the restore side can each raise the error that fits them.
 */
import { utf8Decode } from '../bytes.ts'
import { decodeIdentity } from '../identity/identity.ts'
import { keys } from '../messenger/records.ts'
import type { SnapshotRecord } from './snapshotCodec.ts'

export const IDENTITY_KEY: string = keys.identity
export const SCHEMA_KEY: string = keys.schema
export const PROFILE_KEY: string = keys.profile

/** The value at `key` in records sorted strictly ascending by key (binary search). */
export function findRecord(records: readonly SnapshotRecord[], key: string): Uint8Array | undefined {
  let lo = 0
  let hi = records.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const at = records[mid]!.key
    if (at === key) return records[mid]!.value
    if (at < key) lo = mid + 1
    else hi = mid
  }
  return undefined
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8Decode(bytes))
  } catch {
    return undefined
  }
}

/** The `version` of a `meta/schema` record (`{"version": 2}`): a whole number ≥ 1. */
export function parseSchemaVersion(bytes: Uint8Array): number | undefined {
  const record = parseJson(bytes)
  if (typeof record !== 'object' || record === null) return undefined
  const version = (record as { version?: unknown }).version
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 1 ? version : undefined
}

/** The display name of a `profile` record. */
export function parseProfileName(bytes: Uint8Array): string | undefined {
  const record = parseJson(bytes)
  if (typeof record !== 'object' || record === null) return undefined
  const name = (record as { displayName?: unknown }).displayName
  return typeof name === 'string' ? name : undefined
}

/** True when `bytes` has the shape of a stored identity (engine/identity encodeIdentity). */
export function isIdentityRecord(bytes: Uint8Array): boolean {
  try {
    const identity = decodeIdentity(bytes)
    // Copies of the secret keys, needed only for the shape check.
    identity.signingKey.secretKey.fill(0)
    identity.staticKey.secretKey.fill(0)
    return true
  } catch {
    return false
  }
}

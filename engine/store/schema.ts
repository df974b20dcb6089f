import type { Store, StoreOp } from '../ports/store.ts'
import { utf8Decode, utf8Encode } from '../bytes.ts'
import { CorruptRecordError, InvalidMigrationError, MigrationGapError, SchemaTooNewError } from './errors.ts'

/** Where a store records its schema version: JSON `{"version": n}` in UTF-8. */
export const SCHEMA_KEY = 'meta/schema'

/**
 * One forward step, from schema `from` to `from + 1`. `plan` only reads: it
 * returns the writes the step needs, and `migrateStore` applies them in the
 * same batch as the new version record, so a step is applied whole or not at
 * all. A plan may run more than once (after a crash or a failed batch), so it
 * must derive its ops from what the store holds, not from outside state.
 */
export interface Migration {
  readonly from: number
  readonly to: number
  /** Shown while the step runs; no user data in it. */
  readonly describe: string
  plan(store: Store): Promise<StoreOp[]>
}

export interface MigrationReport {
  /** The version found; 0 for a fresh (empty) store. */
  readonly from: number
  readonly to: number
  /** The store was empty and has only been stamped with `to`. */
  readonly fresh: boolean
  /** `describe` of every step applied, in order. */
  readonly steps: readonly string[]
}

/** Data stored before versioning began is schema 1. */
const UNVERSIONED = 1

/**
 * Brings `store` to `current`: a fresh (empty) store is stamped `current`; a
 * store with data and no version record is version 1; each step's ops are
 * applied together with the new version record in ONE batch (a crash
 * mid-migration leaves the previous version intact; the next start runs the
 * step again).
 *
 * Everything that can refuse (a malformed chain, a corrupt version record, a
 * newer schema, a missing step) is checked before the first write, so a
 * refusal leaves the store untouched. `onProgress` is called as each step
 * starts (`done` = steps finished so far) and once it is committed.
 */
export async function migrateStore(
  store: Store,
  current: number,
  migrations: readonly Migration[],
  onProgress?: (step: string, done: number, total: number) => void,
): Promise<MigrationReport> {
  const byFrom = checkChain(current, migrations)
  const found = await readSchemaVersion(store)

  if (found === null && (await store.keys('')).length === 0) {
    await store.set(SCHEMA_KEY, encodeSchemaVersion(current))
    return { from: 0, to: current, fresh: true, steps: [] }
  }

  const from = found ?? UNVERSIONED
  if (from > current) throw new SchemaTooNewError(from, current)

  const path: Migration[] = []
  for (let version = from; version < current; version++) {
    const step = byFrom.get(version)
    if (step === undefined) throw new MigrationGapError(from, current)
    path.push(step)
  }

  const steps: string[] = []
  for (const [done, step] of path.entries()) {
    onProgress?.(step.describe, done, path.length)
    const ops = await step.plan(store)
    // Last, so it wins over any op of the plan that touches the same key.
    await store.batch([...ops, { type: 'set', key: SCHEMA_KEY, value: encodeSchemaVersion(step.to) }])
    steps.push(step.describe)
    onProgress?.(step.describe, done + 1, path.length)
  }
  return { from, to: current, fresh: false, steps }
}

/** The stored schema version, or null when none is recorded; `CorruptRecordError` when the record is unreadable. */
export async function readSchemaVersion(store: Store): Promise<number | null> {
  const raw = await store.get(SCHEMA_KEY)
  return raw === undefined ? null : decodeSchemaVersion(raw)
}

export function encodeSchemaVersion(version: number): Uint8Array {
  return utf8Encode(JSON.stringify({ version }))
}

/** Accepts `{"version": n}` with n a whole number >= 1; other fields are ignored, for later versions to add. */
export function decodeSchemaVersion(raw: Uint8Array): number {
  let parsed: unknown
  try {
    parsed = JSON.parse(utf8Decode(raw))
  } catch {
    throw new CorruptRecordError('schema version record is not JSON')
  }
  const version = typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined
  if (!isVersion(version)) throw new CorruptRecordError('schema version record has no valid version')
  return version
}

/** Steps by their `from`, after checking that they form one contiguous forward chain ending at `current`. */
function checkChain(current: number, migrations: readonly Migration[]): Map<number, Migration> {
  if (!isVersion(current)) throw new InvalidMigrationError('current schema version must be a whole number >= 1')
  const byFrom = new Map<number, Migration>()
  for (const step of migrations) {
    if (!isVersion(step.from) || step.to !== step.from + 1) {
      throw new InvalidMigrationError(`migration "${step.describe}" must go from one version to the next`)
    }
    if (step.to > current) throw new InvalidMigrationError(`migration "${step.describe}" goes past version ${current}`)
    if (byFrom.has(step.from)) throw new InvalidMigrationError(`two migrations start at version ${step.from}`)
    byFrom.set(step.from, step)
  }
  // Old steps may be retired (a store that old gets MigrationGapError), but a
  // hole in the middle of the list is a mistake in the list itself.
  if (byFrom.size > 0) {
    const lowest = Math.min(...byFrom.keys())
    for (let version = lowest; version < current; version++) {
      if (!byFrom.has(version)) throw new InvalidMigrationError(`no migration from version ${version} to ${version + 1}`)
    }
  }
  return byFrom
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1
}

/**
 * The messenger's storage schema and every step from an earlier one. Steps run
 * at start (workers/createEngine.ts), forward only, each in one atomic batch
 * (engine/store/schema.ts); tests run each from a store the earlier version
 * really wrote (test/fixtures).
 */
import type { Migration } from '../../store/schema.ts'
import { planV1ToV2 } from './v1ToV2.ts'

/** Bump with a new step below; records.ts always describes this version. */
export const SCHEMA_VERSION = 2

export const MIGRATIONS: readonly Migration[] = [
  { from: 1, to: 2, describe: 'numbered, bucketed history; outbox kept until the receipt', plan: planV1ToV2 },
]

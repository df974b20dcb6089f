/**
 * Loads the shared known-answer vectors (`../shared/vectors/` beside the repo
 * root; see its README for provenance). Test-only: uses node:fs.
 *
 * When the folder is missing, vector suites skip with a loud warning, unless
 * REQUIRE_VECTORS=1 (CI), where they fail instead (`describeWithVectors`).
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('engine/test/vectors.ts: no package.json above this file')
    dir = parent
  }
}

/**
 * Absolute path of the shared vectors folder (it may not exist). `VECTORS_DIR`
 * in the environment overrides it, which is how the skip / REQUIRE_VECTORS
 * paths themselves get exercised.
 */
export const VECTORS_DIR: string = process.env.VECTORS_DIR ?? join(findRepoRoot(), '..', 'shared', 'vectors')

let warned = false

/** True when the vectors folder exists; warns once, loudly, when it does not. */
export function vectorsAvailable(): boolean {
  const present = existsSync(VECTORS_DIR)
  if (!present && !warned) {
    warned = true
    console.warn(`VECTORS MISSING: ${VECTORS_DIR} not found; known-answer vector suites skipped`)
  }
  return present
}

/** Parsed JSON of one vectors file, or null when the folder or the file is absent. */
export function loadVectors(fileName: string): unknown | null {
  if (!vectorsAvailable()) return null
  const path = join(VECTORS_DIR, fileName)
  if (!existsSync(path)) {
    console.warn(`VECTORS MISSING: ${path} not found; its suite is skipped`)
    return null
  }
  return JSON.parse(readFileSync(path, 'utf8')) as unknown
}

/**
 * `describe` for a suite that needs one vectors file; `body` gets its parsed
 * JSON. Absent file: the suite is skipped with a warning, or, under
 * REQUIRE_VECTORS=1, replaced by one failing test so a missing checkout can
 * never pass silently.
 */
export function describeWithVectors(title: string, fileName: string, body: (data: unknown) => void): void {
  const data = loadVectors(fileName)
  if (data !== null) {
    describe(title, () => body(data))
  } else if (process.env.REQUIRE_VECTORS === '1') {
    describe(title, () => {
      it(`needs ${fileName}`, () => {
        throw new Error(`REQUIRE_VECTORS=1 but ${join(VECTORS_DIR, fileName)} is missing`)
      })
    })
  } else {
    describe.skip(title, () => {
      it(`needs ${fileName}`, () => {})
    })
  }
}

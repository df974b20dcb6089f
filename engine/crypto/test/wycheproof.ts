/** Typed views of the Wycheproof JSON files the crypto contract reads. */
import { describeWithVectors } from '../../test/vectors.ts'

export interface WycheproofTest {
  readonly tcId: number
  readonly comment: string
  readonly flags: readonly string[]
  readonly result: 'valid' | 'invalid' | 'acceptable'
  readonly [field: string]: unknown
}

export interface WycheproofGroup {
  readonly tests: readonly WycheproofTest[]
  readonly [field: string]: unknown
}

export interface WycheproofFile {
  readonly algorithm: string
  readonly numberOfTests: number
  readonly testGroups: readonly WycheproofGroup[]
}

/** A `describe` over one Wycheproof file; skipped or failing when it is absent (see vectors.ts). */
export function describeWycheproof(title: string, fileName: string, body: (file: WycheproofFile) => void): void {
  describeWithVectors(title, fileName, (data) => {
    const file = data as WycheproofFile
    if (!Array.isArray(file.testGroups)) throw new Error(`${fileName}: no testGroups`)
    body(file)
  })
}

/** Every test of every group, each paired with its group. */
export function allTests(file: WycheproofFile): Array<{ group: WycheproofGroup; test: WycheproofTest }> {
  return file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })))
}

/** A hex field of a test or group; throws when it is missing so a schema change cannot skip checks. */
export function hexField(record: { readonly [field: string]: unknown }, field: string): string {
  const value = record[field]
  if (typeof value !== 'string') throw new Error(`vector field ${field} is not a string`)
  return value
}

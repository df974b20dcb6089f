/**
 * Test order for a fresh clone, which has no timings of earlier runs: the
 * browser, integration and durability files (tens of seconds each) start first,
 * so the short unit files fill the gaps around them instead of leaving one of
 * them to run alone at the end. With timings cached, vitest's own order (longest
 * first) is kept within each group.
 */
import { BaseSequencer } from 'vitest/node'
import type { TestSpecification } from 'vitest/node'

const HEAVY = /\/test\/(e2e|integration|durability)\//

export class HeavyFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const heavy = sorted.filter((f) => HEAVY.test(f.moduleId))
    return [...heavy, ...sorted.filter((f) => !HEAVY.test(f.moduleId))]
  }
}

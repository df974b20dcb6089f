/**
 * Reads Vitest's JSON report and prints the plain closing line CI reads:
 * `N passed, N failed` (plus `, N skipped`). A missing report counts as a failure.
 */
import { readFileSync } from 'node:fs'

interface VitestReport {
  numPassedTests: number
  numFailedTests: number
  numPendingTests: number
  numTodoTests: number
  numFailedTestSuites: number
}

const path = process.argv[2]
let report: VitestReport
try {
  report = JSON.parse(readFileSync(path ?? '', 'utf8')) as VitestReport
} catch {
  console.log('0 passed, 1 failed')
  process.exit(1)
}
// A suite that failed to load has no failed tests of its own; count it.
const failed = report.numFailedTests + report.numFailedTestSuites
const skipped = report.numPendingTests + report.numTodoTests
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 ? 1 : 0)

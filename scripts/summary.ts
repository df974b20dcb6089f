/**
 * Reads Vitest's JSON report and prints the plain closing line CI reads:
 * `N passed, N failed` (plus `, N skipped`). A missing report counts as a failure.
 */
import { readFileSync } from 'node:fs'

interface FileResult {
  status: string
  assertionResults: { status: string }[]
}

interface VitestReport {
  numPassedTests: number
  numFailedTests: number
  numPendingTests: number
  numTodoTests: number
  testResults: FileResult[]
}

const path = process.argv[2]
let report: VitestReport
try {
  report = JSON.parse(readFileSync(path ?? '', 'utf8')) as VitestReport
} catch {
  console.log('0 passed, 1 failed')
  process.exit(1)
}
// A file that failed to load (a syntax or import error) has no failed test of its own: count it once.
const brokenFiles = report.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
).length
const failed = report.numFailedTests + brokenFiles
const skipped = report.numPendingTests + report.numTodoTests
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 ? 1 : 0)

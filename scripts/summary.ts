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

// One report per vitest run (the main one, and the network-namespace one).
const paths = process.argv.slice(2)
let passed = 0
let failed = 0
let skipped = 0
for (const path of paths.length > 0 ? paths : ['']) {
  let report: VitestReport
  try {
    report = JSON.parse(readFileSync(path, 'utf8')) as VitestReport
  } catch {
    failed++
    continue
  }
  // A file that failed to load (a syntax or import error) has no failed test of its own: count it once.
  const brokenFiles = report.testResults.filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
  ).length
  passed += report.numPassedTests
  failed += report.numFailedTests + brokenFiles
  skipped += report.numPendingTests + report.numTodoTests
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 ? 1 : 0)

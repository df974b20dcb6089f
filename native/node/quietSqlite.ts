/**
 * node:sqlite without its start-up notice. Node 22 prints "SQLite is an experimental
 * feature" to stderr once, when the module loads: on every relay start and in every
 * test that starts one, where it reads like an error. The API is stable enough for the
 * relay's custody journal (sqliteCustody.ts), so that one warning, and only it, is
 * dropped while the module loads.
 */
const emit = process.emitWarning
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message
  if (text.includes('SQLite is an experimental feature')) return
  ;(emit as (...args: unknown[]) => void).call(process, warning, ...rest)
}) as typeof process.emitWarning
let sqlite: typeof import('node:sqlite')
try {
  sqlite = await import('node:sqlite')
} finally {
  process.emitWarning = emit
}

export const { DatabaseSync } = sqlite
export type DatabaseSync = import('node:sqlite').DatabaseSync

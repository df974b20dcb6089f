/**
 * Base of every typed engine error. Callers branch on `err.name`, which survives
 * Comlink's worker boundary (instanceof does not). Messages never carry
 * plaintext, keys or full peer ids.
 */
export class SovereignError extends Error {
  constructor(name: string, message: string) {
    super(message)
    this.name = name
  }
}

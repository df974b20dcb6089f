import { SovereignError } from '../errors.ts'

/** Stored identity bytes are malformed: wrong length, unknown version or inconsistent keys. */
export class IdentityDecodeError extends SovereignError {
  constructor(message: string) {
    super('IdentityDecodeError', message)
  }
}

/** A signature context string is not one of `SignatureContext`'s (caller bug, caught at runtime for JS callers). */
export class UnknownContextError extends SovereignError {
  constructor() {
    super('UnknownContextError', 'unknown signature context')
  }
}

/**
 * The text a user sees for a failed engine call. Typed engine errors carry a
 * message written for people, and their `name` survives the worker boundary
 * (STYLE.md, Errors). Anything else is an internal fault: we say so without
 * showing its message or stack.
 */
const TYPED_ERROR = /^[A-Z][A-Za-z]*Error$/

/** Built-in JS and DOM error names: their messages are for developers. */
const INTERNAL = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
  'DataCloneError',
  'InvalidStateError',
  'NotFoundError',
  'AbortError',
  'UnknownError',
])

export function errorText(err: unknown, fallback = 'Something went wrong. Please try again.'): string {
  if (!(err instanceof Error)) return fallback
  if (!TYPED_ERROR.test(err.name) || INTERNAL.has(err.name)) return fallback
  const line = (err.message.split('\n', 1)[0] ?? '').trim()
  if (line === '') return fallback
  return line.length > 300 ? `${line.slice(0, 297)}…` : line
}

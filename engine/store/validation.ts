import type { StoreOp } from '../ports/store.ts'
import { InvalidStoreKeyError, InvalidStoreOpError, InvalidStoreValueError } from './errors.ts'

/**
 * Longest key in UTF-16 code units. Keys are short structured paths
 * (`msg/<contact>/<bucket>/<id>` is ~120); the bound keeps a key's UTF-8 form
 * well inside one record header on every host.
 */
export const MAX_KEY_LENGTH = 1024

/**
 * Every Store implementation validates with these functions before touching
 * its medium, so they all refuse the same inputs with the same typed errors
 * (the contract suite relies on it) and a batch is refused before any write.
 */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidStoreKeyError('key must be a string')
  if (key.length === 0) throw new InvalidStoreKeyError('key must not be empty')
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidStoreKeyError(`key is longer than ${MAX_KEY_LENGTH} code units`)
  }
  // A lone surrogate has no UTF-8 form: hosts that store keys as UTF-8 would
  // map two distinct keys onto one record.
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = key.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++
        continue
      }
      throw new InvalidStoreKeyError('key contains a lone surrogate')
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) throw new InvalidStoreKeyError('key contains a lone surrogate')
  }
}

export function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw new InvalidStoreKeyError('prefix must be a string')
}

export function assertValidValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidStoreValueError('value must be a Uint8Array')
}

/** A plain `Uint8Array` with its own buffer (not a view, not a Buffer subclass). */
export function copyBytes(value: Uint8Array): Uint8Array {
  const out = new Uint8Array(value.length)
  out.set(value)
  return out
}

/**
 * Validates a whole batch and returns it with every value copied, so the
 * caller may reuse its arrays as soon as `batch` returns.
 */
export function validateOps(ops: unknown): StoreOp[] {
  if (!Array.isArray(ops)) throw new InvalidStoreOpError('batch takes an array of operations')
  const out: StoreOp[] = []
  for (const op of ops as unknown[]) {
    if (typeof op !== 'object' || op === null) throw new InvalidStoreOpError('operation must be an object')
    const { type, key, value } = op as { type?: unknown; key?: unknown; value?: unknown }
    if (type === 'set') {
      assertValidKey(key)
      assertValidValue(value)
      out.push({ type: 'set', key, value: copyBytes(value) })
    } else if (type === 'delete') {
      assertValidKey(key)
      out.push({ type: 'delete', key })
    } else {
      throw new InvalidStoreOpError('operation type must be "set" or "delete"')
    }
  }
  return out
}

/**
 * The smallest string greater than every string that starts with `prefix`, in
 * UTF-16 code unit order; undefined when no such string exists (empty prefix
 * or all U+FFFF). `prefix + '\uffff'` is not enough: `prefix + '\uffff\uffff'`
 * sorts after it and would be missed.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  let end = prefix.length
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--
  if (end === 0) return undefined
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1)
}

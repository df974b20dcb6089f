/** Input checks every Crypto provider applies the same way, so they fail alike. */
import { InvalidLengthError } from './errors.ts'

export function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) throw new InvalidLengthError(`${what} must be ${length} bytes`)
}

/** Constant-time all-zero test (RFC 7748 §6.1: an all-zero X25519 output means a low-order point). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (const b of bytes) acc |= b
  return acc === 0
}

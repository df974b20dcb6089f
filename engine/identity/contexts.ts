import { concat, utf8Encode } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'
import { UnknownContextError } from './errors.ts'

/**
 * Domain-separation strings, one per kind of thing an identity key signs
 * (DESIGN.md §3: a signature from one context never verifies in another).
 * Never reuse or rename one: old signatures would stop verifying, or worse,
 * start verifying somewhere else.
 */
export const SignatureContext = {
  /** Binds the Noise static key to the identity (link handshake, sealed sender). */
  staticBinding: 'sovereign/v1/static-binding',
  handshake: 'sovereign/v1/handshake',
  prekey: 'sovereign/v1/prekey',
  announce: 'sovereign/v1/announce',
  receipt: 'sovereign/v1/receipt',
  backup: 'sovereign/v1/backup',
  /** A user's reach record: which home relays keep its mail (engine/reach/reachRecord.ts). */
  reach: 'sovereign/v1/reach',
  /** A relay's custody receipt: it holds these envelopes for that recipient (engine/reach/custodyReceipt.ts). */
  custodyReceipt: 'sovereign/v1/custody-receipt',
} as const

export type SignatureContextName = keyof typeof SignatureContext
export type SignatureContextValue = (typeof SignatureContext)[SignatureContextName]

const KNOWN: ReadonlySet<string> = new Set(Object.values(SignatureContext))

/**
 * What is actually signed: len(context) (1 byte) || context || message. The
 * length prefix keeps the split unambiguous whatever bytes the message or a
 * future context holds; every context is under 256 bytes.
 */
function signedBytes(context: SignatureContextValue, message: Uint8Array): Uint8Array {
  if (!KNOWN.has(context)) throw new UnknownContextError()
  const label = utf8Encode(context)
  return concat(Uint8Array.of(label.length), label, message)
}

/** Ed25519 signature by the 32-byte seed `secretKey` over `message` in `context`. */
export function signWithContext(
  crypto: Crypto,
  secretKey: Uint8Array,
  context: SignatureContextValue,
  message: Uint8Array,
): Uint8Array {
  return crypto.ed25519Sign(secretKey, signedBytes(context, message))
}

/** Strict verification of a `signWithContext` signature; false on anything malformed. */
export function verifyWithContext(
  crypto: Crypto,
  publicKey: Uint8Array,
  context: SignatureContextValue,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  return crypto.ed25519Verify(signature, signedBytes(context, message), publicKey)
}

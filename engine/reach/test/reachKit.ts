/** Shared fixtures of the reach tests: fixed identities, times, and typed-error checks. */
import { expect } from 'vitest'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { generateIdentity } from '../../identity/identity.ts'
import type { Identity } from '../../identity/identity.ts'
import type { Crypto } from '../../ports/crypto.ts'
import { REACH_ERROR_NAMES } from '../errors.ts'

export const crypto = nobleCrypto()
/** 2025-01-01T00:00:00Z, as in golden.json. */
export const T0 = 1_735_689_600_000
export const MINUTE = 60_000
export const DAY = 24 * 60 * MINUTE

const identities = new Map<string, Identity>()
/**
 * The same identity per name across tests, its Ed25519 seed being the first
 * draw of `seededRandom(name)`, as reachVectors.py derives it.
 */
export function identityOf(name: string): Identity {
  let identity = identities.get(name)
  if (!identity) identities.set(name, (identity = generateIdentity(crypto, seededRandom(name))))
  return identity
}

export const alice = identityOf('reach/alice')
export const relay1 = identityOf('reach/relay-1')
export const relay2 = identityOf('reach/relay-2')
export const relay3 = identityOf('reach/relay-3')

export const relayAt = (identity: Identity, address: string): { identity: Uint8Array; address: string } => ({
  identity: identity.signingKey.publicKey,
  address,
})

/** Asserts `fn` throws one of the reach errors (never a RangeError or TypeError), by name when given. */
export function expectReachError(fn: () => unknown, name?: string): Error {
  try {
    fn()
  } catch (err) {
    expect(REACH_ERROR_NAMES).toContain((err as Error).name)
    if (name) expect((err as Error).name).toBe(name)
    return err as Error
  }
  return expect.fail(`expected a typed reach error${name ? ` (${name})` : ''}`)
}

/** `crypto` that counts Ed25519 verifications, to show what costs none. */
export function countingCrypto(base: Crypto = crypto): Crypto & { readonly verifications: number } {
  let verifications = 0
  return {
    ...base,
    ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      verifications++
      return base.ed25519Verify(signature, message, publicKey)
    },
    get verifications(): number {
      return verifications
    },
  }
}

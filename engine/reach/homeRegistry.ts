/**
 * A relay's registrations (issue 11): the users who named it as a home relay, each by
 * its current reach record, registered over the user's own authenticated link. Later,
 * custody is kept only for them; today the relay holds the records and counts.
 *
 * A registration is kept only when it is the linking peer's own record (a user speaks
 * for itself: nobody registers someone else, even with a genuine record in hand), it
 * names this relay, and it is newer than the one held (reachBook.ts). The cheap checks
 * run on the decoded bytes before the book spends a signature verification.
 *
 * A client sends its record to every relay it dials, and it also dials its contacts'
 * relays, so a record that does not name this relay is ordinary, not hostile: refused
 * when nothing is held for that user, and when something is, taken as the user moving
 * away (`left`): the newer record replaces the held one and the user is home here no more.
 */
import { equals, fromHex, toHex } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'
import { isReachError } from './errors.ts'
import { createReachBook } from './reachBook.ts'
import type { ReachBook, ReachInvalidReason } from './reachBook.ts'
import { decodeReachRecord, namesRelay } from './reachRecord.ts'

export type RegistrationRefusal = 'not-own-record' | 'not-named' | 'stale' | 'full' | ReachInvalidReason

export type RegistrationResult =
  | { readonly ok: true; readonly status: 'accepted' | 'unchanged' | 'left' }
  /** `hostile`: no honest client sends it (a forged, malformed or someone else's record), so it costs the peer score. */
  | { readonly ok: false; readonly reason: RegistrationRefusal; readonly hostile: boolean }

export interface RegistrationStats {
  readonly held: number
  readonly accepted: number
  /** Users whose newer record no longer names this relay: they moved away. */
  readonly left: number
  readonly refused: Readonly<Partial<Record<RegistrationRefusal, number>>>
}

export interface HomeRegistry {
  /** `peerId` (hex) sent `bytes` over its link: keep them if they are its own current record naming this relay. */
  register(peerId: string, bytes: Uint8Array, now: number): RegistrationResult
  /** True while `identityHex` has a current record naming this relay. */
  isHome(identityHex: string, now: number): boolean
  /** The record held for `identityHex`, as signed (to pass on unchanged), or undefined. */
  recordOf(identityHex: string, now: number): Uint8Array | undefined
  /**
   * Holds again a record the relay kept before it restarted (`onKept`): verified again, not
   * counted as a registration. False when it is no longer valid (expired): the caller forgets it.
   */
  restore(bytes: Uint8Array, now: number): boolean
  stats(): RegistrationStats
}

export interface HomeRegistryInit {
  readonly crypto: Crypto
  /** This relay's identity public key (32 bytes). */
  readonly self: Uint8Array
  readonly maxEntries?: number
  /**
   * A record was kept (a registration, or a newer record that moved the user away): the relay
   * writes it down, so that after a restart it still keeps its users' mail before they link again.
   */
  readonly onKept?: (identityHex: string, bytes: Uint8Array) => void
}

/** Refusals no honest client causes; 'stale' and 'full' can happen to anyone (a race, a busy relay). */
const HOSTILE: ReadonlySet<RegistrationRefusal> = new Set<RegistrationRefusal>([
  'not-own-record',
  'malformed',
  'unsupported-version',
  'bad-signature',
  'lifetime',
])

export function createHomeRegistry(init: HomeRegistryInit): HomeRegistry {
  const book: ReachBook = createReachBook({ crypto: init.crypto, ...(init.maxEntries ? { maxEntries: init.maxEntries } : {}) })
  const selfHex = toHex(init.self)
  let accepted = 0
  let left = 0
  const refused: Partial<Record<RegistrationRefusal, number>> = {}
  const refuse = (reason: RegistrationRefusal): RegistrationResult => {
    refused[reason] = (refused[reason] ?? 0) + 1
    return { ok: false, reason, hostile: HOSTILE.has(reason) }
  }

  return {
    register(peerId, bytes, now) {
      let named: boolean
      try {
        const { record } = decodeReachRecord(bytes)
        if (!equals(record.identity, fromHex(peerId))) return refuse('not-own-record')
        named = namesRelay(record, init.self)
      } catch (error) {
        if (!isReachError(error)) throw error
        return refuse((error as Error).name === 'UnsupportedVersionError' ? 'unsupported-version' : 'malformed')
      }
      if (!named && book.get(peerId, now) === undefined) return refuse('not-named')
      const result = book.put(bytes, now)
      if (result.status === 'accepted') init.onKept?.(peerId, bytes)
      switch (result.status) {
        case 'accepted':
          if (!named) {
            left++
            return { ok: true, status: 'left' }
          }
          accepted++
          return { ok: true, status: 'accepted' }
        case 'unchanged':
          return { ok: true, status: 'unchanged' }
        case 'invalid':
          return refuse(result.reason)
        default:
          return refuse(result.status)
      }
    },
    isHome: (identityHex, now) => book.namesRelay(identityHex, selfHex, now),
    recordOf: (identityHex, now) => book.get(identityHex, now)?.bytes,
    restore(bytes, now) {
      const status = book.put(bytes, now).status
      return status === 'accepted' || status === 'unchanged' || status === 'stale'
    },
    stats: () => ({ held: book.size, accepted, left, refused: { ...refused } }),
  }
}

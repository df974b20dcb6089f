/**
 * Verifies announcements once per node. Every neighbour forwards the same
 * origin's announcement, so without a cache a node with k neighbours would
 * check each signature k times; Ed25519 verify is the costly step (~750/s in
 * noble, DESIGN.md §8). The cache is keyed by (origin, seqno) and holds the
 * exact bytes: a different announcement under a cached key is verified afresh,
 * so a forgery never rides on an earlier success.
 */
import { equals, toHex } from '../bytes.ts'
import type { Crypto } from '../ports/crypto.ts'
import { checkFreshness, checkSignatures, parseAnnouncement } from './announcement.ts'
import type { Announcement, VerifyOptions } from './announcement.ts'

export interface AnnouncementVerifierInit {
  /** Verified announcements remembered, least recently used evicted first (default 4096). */
  readonly maxEntries?: number
  readonly maxAgeMs?: number
  readonly maxAheadMs?: number
}

export interface VerifiedAnnouncement {
  readonly announcement: Announcement
  /** A private copy of the verified bytes, shared by every caller that verifies the same ones. */
  readonly bytes: Uint8Array
}

export interface AnnouncementVerifier {
  /** As `verifyAnnouncement` with freshness at `now`, but each distinct announcement's signatures are checked once. */
  verify(bytes: Uint8Array, now: number): VerifiedAnnouncement
  /** Signature checks performed so far (cache misses). */
  readonly verifications: number
  readonly size: number
}

export function createAnnouncementVerifier(crypto: Crypto, init: AnnouncementVerifierInit = {}): AnnouncementVerifier {
  const maxEntries = init.maxEntries ?? 4096
  const entries = new Map<string, VerifiedAnnouncement>()
  let verifications = 0
  const options = (now: number): VerifyOptions => ({ now, maxAgeMs: init.maxAgeMs, maxAheadMs: init.maxAheadMs })
  return {
    verify(bytes, now) {
      const parsed = parseAnnouncement(bytes)
      const { announcement } = parsed
      checkFreshness(announcement.issuedAt, options(now))
      const key = `${toHex(announcement.origin)}:${announcement.seqno}`
      const hit = entries.get(key)
      if (hit && equals(hit.bytes, bytes)) {
        entries.delete(key)
        entries.set(key, hit)
        return hit
      }
      verifications++
      checkSignatures(crypto, parsed)
      const verified = { announcement, bytes: bytes.slice() }
      entries.delete(key)
      entries.set(key, verified)
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
      return verified
    },
    get verifications() {
      return verifications
    },
    get size() {
      return entries.size
    },
  }
}

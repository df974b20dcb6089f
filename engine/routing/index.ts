export { createForwarder, PENDING_DIAL_HOLD_MS } from './forwarder.ts'
export type { Forwarder, ForwarderInit, ForwarderStats, HomeHint, Hop, RouteResult } from './forwarder.ts'
export { createMailbox } from './mailbox.ts'
export type { HeldEnvelope, Mailbox, RestoreResult } from './mailbox.ts'
export { createMemoryJournal, CustodyStoreCorruptError, CustodyStoreFailedError, CustodyStoreVersionError } from './custodyJournal.ts'
export type { CustodyJournal, JournalRecord, MemoryJournal } from './custodyJournal.ts'
export { createSeenCache } from './seenCache.ts'
export type { SeenCache, SeenCacheInit } from './seenCache.ts'
export {
  ANNOUNCEMENT_VERSION,
  createAnnouncement,
  DEFAULT_MAX_ANNOUNCEMENT_AGE_MS,
  DEFAULT_MAX_ANNOUNCEMENT_AHEAD_MS,
  verifyAnnouncement,
} from './announcement.ts'
export type { Announcement, AnnouncementFields, VerifyOptions } from './announcement.ts'
export { createAnnouncementVerifier } from './announcementVerifier.ts'
export type { AnnouncementVerifier, AnnouncementVerifierInit, VerifiedAnnouncement } from './announcementVerifier.ts'
export { createRouter } from './router.ts'
export type { AnnounceFrame, Outgoing, Router, RouterInit, RouteView } from './router.ts'
export {
  ANNOUNCEMENT_ERROR_NAMES,
  BadAnnouncementSignatureError,
  isAnnouncementError,
  StaleAnnouncementError,
} from './errors.ts'
export {
  createLinkQuality,
  DEFAULT_PING_INTERVAL_MS,
  gradeQuality,
  OFFLINE_AFTER_INTERVALS,
  QUALITY_THRESHOLDS,
} from './linkQuality.ts'
export type { GradeLimits, LinkQuality, LinkQualityInit, QualityGrade, QualityView } from './linkQuality.ts'
export { createDataPlane } from './dataPlane.ts'
export type { DataPlane, DataPlaneInit, PlaneHop } from './dataPlane.ts'
export {
  ADDRESS_ACTIONS,
  addressBudgets,
  createBudgets,
  createTokenBucket,
  DEFAULT_ADDRESS_BUDGETS,
  DEFAULT_LINK_BUDGETS,
  LINK_ACTIONS,
  linkBudgets,
  scaleBudgets,
  TRUST_TIERS,
} from './tokenBucket.ts'
export type { AddressAction, BucketSpec, Budgets, BudgetsInit, BudgetTable, LinkAction, ShedCounts, TokenBucket, TrustTier } from './tokenBucket.ts'
export { createPeerScores, DEFAULT_PEER_SCORE_PARAMS } from './peerScore.ts'
export type { Penalty, PeerKey, PeerScoreParams, PeerScores, PeerScoresInit, ScoreDecision } from './peerScore.ts'

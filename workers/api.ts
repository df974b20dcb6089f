/**
 * The engine's API as the page sees it through Comlink (the control plane).
 * Plain, structured-clone-able values only. Errors arrive as `Error`s whose
 * `name` is one of the typed engine errors (`InvalidOfferError`, `NoProfileError`, …).
 */

import type { BackupProgress } from '../engine/backup/backupProgress.ts'
import type { ContactPath, ContactView, HistoryQuery, LinkView, MessageView, ProfileView, EngineEvent } from '../engine/messenger/views.ts'

export type { BackupPhase, BackupProgress } from '../engine/backup/backupProgress.ts'
export type {
  ContactPath,
  ContactView,
  DeliveryProblem,
  EngineEvent,
  HistoryQuery,
  LinkView,
  MessageStatus,
  MessageView,
  ProfileView,
} from '../engine/messenger/views.ts'

/** A contact's reach record, decoded: plain values for Comlink. */
/** Counters since the engine started. */
export interface EngineDiagnostics {
  /** Envelopes received and processed; rejected (tampered, misaddressed, forged). */
  readonly received: number
  readonly rejected: number
  /** Contacts' reach records dropped (invalid, or not theirs). */
  readonly reachRejected: number
  /** Plain custody acks not counted as relayed: the recipient's home relays are known, and only their signed receipt counts (issue 11). */
  readonly custodyClaimsIgnored: number
  /** Signed custody receipts that made a message relayed. */
  readonly custodyReceiptsAccepted: number
  /** Signed custody receipts refused by the sender's rule, by reason (not a home relay, wrong recipient, expired…). */
  readonly custodyReceiptsRefused: Readonly<Record<string, number>>
  /** Refusals of our envelopes by relays, by reason ('no-custody', 'home-unreachable', a custody budget): they stay queued. */
  readonly refusals: Readonly<Record<string, number>>
}

export interface ContactReachView {
  readonly seqno: number
  /** ms since the epoch, the contact's clock. */
  readonly issuedAt: number
  /** ms since the epoch: the first instant it no longer counts. */
  readonly expiresAt: number
  /** 1..3 home relays in the contact's order of preference; `identity` is the relay's hex Ed25519 key. */
  readonly relays: readonly { readonly address: string; readonly identity: string }[]
}

export interface EngineApi {
  /** The local profile, or null before onboarding. */
  profile(): Promise<ProfileView | null>
  /** Creates the identity and profile; `InvalidDisplayNameError` on an empty or over-long name. */
  createProfile(displayName: string): Promise<ProfileView>
  /** This user's connection offer code (identity, name, relay addresses, checksum). */
  createOffer(): Promise<string>
  /** Adds the contact in `code`; `InvalidOfferError` with a readable message on a bad code. */
  acceptOffer(code: string): Promise<ContactView>
  contacts(): Promise<ContactView[]>
  /**
   * The newest reach record this contact sent end to end (issue 11: the home relays that keep their
   * mail), as verified when it arrived; null before one came. It may have expired since (`expiresAt`).
   */
  contactReach(contactId: string): Promise<ContactReachView | null>
  /** Marks a contact verified (after comparing safety numbers) or not; clears a key-change warning. */
  setVerified(contactId: string, verified: boolean): Promise<ContactView>
  /** Queues an end-to-end encrypted message; it is stored before it is sent. */
  send(contactId: string, text: string): Promise<MessageView>
  /**
   * Sends failed messages again (same ids, same place in the conversation); they go back to queued.
   * `NotRetriableError` when one of them has not failed; `OutboxFullError` when the queue is full.
   */
  retry(contactId: string, messageIds: string[]): Promise<MessageView[]>
  /** The user saw this conversation: incoming messages become read (a read receipt goes out if enabled). */
  markRead(contactId: string): Promise<void>
  /** Whether read receipts are sent (opt-in, off by default). */
  readReceipts(): Promise<boolean>
  setReadReceipts(enabled: boolean): Promise<void>
  /** A page of the conversation, oldest first; `before` is a message's `seq` (the next older page). */
  history(contactId: string, query?: HistoryQuery): Promise<MessageView[]>
  /** Keeps a link to the relay at `url` (ws:// or wss://), reconnecting with backoff. */
  connect(relayUrl: string): Promise<void>
  /**
   * Stops keeping the relay at `url` as one of the user's relays: it leaves the reach record
   * (a new one goes to the other relays and to every contact), and the link closes unless a
   * contact is reached through it. Mail already held there still arrives (senders retry).
   */
  leaveRelay(relayUrl: string): Promise<void>
  links(): Promise<LinkView[]>
  /** What the engine refused or ignored, by kind (for the debug panel and tests); never names a peer. */
  diagnostics(): Promise<EngineDiagnostics>
  /** How traffic to a contact travels now (direct link or via a relay) and that link's quality. */
  path(contactId: string): Promise<ContactPath>
  /**
   * The encrypted backup file (identity, contacts, sessions, history, seen ids): scrypt + XChaCha20-Poly1305.
   * `WeakPassphraseError` under 8 characters. `onProgress` (a `Comlink.proxy`) hears each phase.
   */
  createBackup(passphrase: string, onProgress?: BackupProgress): Promise<Uint8Array>
  /**
   * Replaces everything on this device with the backup, after checking all of it. A wrong passphrase,
   * a damaged, truncated or too-new file is a typed error and changes nothing. On success the engine
   * stops: reload to open the restored profile.
   */
  restoreBackup(file: Uint8Array, passphrase: string, onProgress?: BackupProgress): Promise<{ profileName: string | null; createdAt: number; records: number }>
  /** Profile, contacts and conversations as documented JSON (docs/export-format.md); no keys. */
  exportData(): Promise<string>
  /** Events arrive in batches; returns an id for `unsubscribe`. Pass a `Comlink.proxy`. */
  subscribe(listener: (events: EngineEvent[]) => void): Promise<number>
  unsubscribe(id: number): Promise<void>
}

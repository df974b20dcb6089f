/**
 * Home-relay simulator (issue 11's scale check): users on relays, each user with
 * 1–2 home relays named in a signed reach record, messages between contacts, users
 * going offline and coming back, relays failing and restarting, on a virtual clock
 * (bench/sim/simKit.ts: time jumps from event to event). bench/sim/homeSim.md says
 * what is real and what is modelled, and gives the figures.
 *
 * Real (the product's code, unchanged): every relay is `createDataPlane` as
 * startMesh wires it for a custodian (forwarder, mailbox, seen cache, pending dials,
 * custody-receipt queue, acks and refusals passed back, the learned reach book, the
 * router: its announcements counted, not carried, see `routerAnnouncements`), with its
 * own `createHomeRegistry` (registrations written down and restored after a restart,
 * as relayServer does) and a real `createRelayPool` (64 links) whose connect /
 * disconnect open and close simulated links; custody goes through a CustodyJournal,
 * so a restarted relay restores what it held. Reach records,
 * envelopes and custody receipts are the real encodings; the outbox decisions are
 * machines/outboxPolicy.ts (admitItem, settleDue) and link redials machines/peerLink.ts
 * `backoffDelay`.
 *
 * Modelled: users are not engines. Each is a few typed-array slots: home relays,
 * contacts, online flag, links, an outbox of pending messages, a local hold for what
 * it could not send, a lazily made real relay pool (3 links) for contacts' relays.
 * It sends what a user's data plane would send (its own record on every relay link
 * it opens, a contact's record ahead of the first mail on a link to a relay that is
 * not the contact's home, the envelope on its own relay first) and answers what
 * arrives (an end-to-end receipt envelope for every copy of a message, as
 * engine/messenger/receiver.ts does). Signatures are a fast stand-in (`modelCrypto`).
 * Link frames travel as LinkFrame values, not encoded; users run no router.
 */
import { equals, toHex } from '../../engine/bytes.ts'
import type { Identity } from '../../engine/identity/index.ts'
import { DEFAULT_TTL, MESSAGE_LIFETIME_MS } from '../../engine/messenger/sealer.ts'
import type { Crypto } from '../../engine/ports/index.ts'
import {
  acceptsCustodyReceipt,
  checkCustodyReceipt,
  createHomeRegistry,
  decodeCustodyReceipt,
  decodeReachRecord,
  MAX_REACH_LIFETIME_MS,
  signReachRecord,
} from '../../engine/reach/index.ts'
import type { HomeRegistry, VerifiedReachRecord } from '../../engine/reach/index.ts'
import { createDataPlane, PENDING_DIAL_HOLD_MS } from '../../engine/routing/index.ts'
import type { CustodyJournal, DataPlane, HeldEnvelope, HomeHint, JournalRecord, PlaneHop } from '../../engine/routing/index.ts'
import { decodeEnvelope, encodeEnvelope, withAttempt } from '../../engine/wire/index.ts'
import type { LinkFrame } from '../../engine/wire/index.ts'
import { admitItem, DEFAULT_OUTBOX_POLICY, settleDue } from '../../machines/outboxPolicy.ts'
import type { OutboxEntry } from '../../machines/outboxPolicy.ts'
import { backoffDelay as redialDelay, HANDSHAKE_TIMEOUT_MS } from '../../machines/peerLink.ts'
import { createRelayPool } from '../../workers/relayPool.ts'
import type { RelayPool } from '../../workers/relayPool.ts'
import { eventLoop, prng } from './simKit.ts'

export interface HomeSimOptions {
  readonly users: number
  /** Default users / 1,000. */
  readonly relays?: number
  /** Length of the send window, in hours (default 1). */
  readonly hours?: number
  readonly seed?: number
  /** New messages per user per hour, Poisson over the send window (default 1). */
  readonly messagesPerUserHour?: number
  /** Users naming a second home relay (default 0.3; the others name one). */
  readonly secondHomeFraction?: number
  /** Contacts each user adds, uniform in [min, max]; contact is mutual, so about twice that half on average (default 5–20: mean 12.5). */
  readonly contacts?: readonly [number, number]
  /** Share of users that go offline and come back per hour of the send window (default 0.1). */
  readonly reconnectPerHour?: number
  /** How long such a user stays offline, uniform (default 1–30 min). */
  readonly offlineMs?: readonly [number, number]
  /** Share of going-offline that is abrupt: the relay notices 10–15 s later (3 missed pings); the rest close cleanly (default 0.5). */
  readonly abruptFraction?: number
  /** Share of relays that fail per hour of the send window (default 0.02), each down for `relayDownMs`. */
  readonly relayFailuresPerHour?: number
  /** Relay failures in the send window, overriding the rate. */
  readonly relayFailures?: number
  readonly relayDownMs?: readonly [number, number]
  /** Share of relay failures that lose the custody journal (disk gone); the rest restart with it (default 0). */
  readonly loseCustodyFraction?: number
  /** Users link up over this span before the first message (default 60 s). */
  readonly warmupMs?: number
  /** After the send window: no new messages, no new failures, offline users still come back (default 40 min). */
  readonly drainMs?: number
  readonly sampleEveryMs?: number
  /** One-way delay of a user's link and of a relay↔relay link, uniform per link (default 20–100 ms and 5–50 ms). */
  readonly userDelayMs?: readonly [number, number]
  readonly relayDelayMs?: readonly [number, number]
  /**
   * 'model' (default): the relays' routers run with announcements switched off (an interval of
   * 10^12 ms), and what the product's router would send at its 30 s interval is counted by
   * `AnnounceShadow`, router.ts's schedule over the same link events. 'real': the routers run at
   * the product's interval and their frames are counted (O(links) objects per announcement:
   * affordable up to about 100,000 users). Either way announcements are counted, never carried.
   */
  readonly routerAnnouncements?: 'model' | 'real'
  /** Relay pool links on a relay (default 64, startMesh's). */
  readonly relayPoolLinks?: number
  /** Share of contacts chosen among users of the same first home relay (default 0: uniform over the network). */
  readonly localContacts?: number
  /** Collect garbage (node --expose-gc) before each sample's memory reading: live heap, slower. */
  readonly gcAtSamples?: boolean
  /**
   * The product's engine (workers/createEngine.ts) also keeps a link to every relay its contacts
   * named (messenger.contactRelays()), not only to its own. Off by default (the brief's model: a
   * user links to its home relays); on, each user holds about as many links as its contacts have
   * distinct home relays.
   */
  readonly contactRelayLinks?: boolean
  /** Called with progress lines (virtual time, wall time, memory). */
  readonly progress?: (line: string) => void
}

/** Max and mean over the relays that are up. */
export interface Spread {
  readonly max: number
  readonly mean: number
}

export interface RelayState {
  /** Users registered here (home registry). */
  readonly registrations: Spread
  /** Others' reach records learned from 'reach' frames passed ahead of mail. */
  readonly learnedRecords: Spread
  /** Envelopes in the mailbox: custody for registered users plus mail queued while a dial is under way. */
  readonly heldMail: Spread
  /** Of which queued for a dial (expiry ≤ 30 s out, not custody). */
  readonly queuedForDial: Spread
  /** Links the relay pool holds (dialed on demand). */
  readonly poolLinks: Spread
  /** Open links to other relays, dialed or accepted. */
  readonly relayLinks: Spread
  /** Open links from users. */
  readonly userLinks: Spread
  /** Routes in the relay's router (users run no router here, so relay↔relay only). */
  readonly routes: Spread
}

export interface HomeSimResult {
  readonly users: number
  readonly relays: number
  readonly hours: number
  readonly seed: number
  readonly virtualMs: number
  readonly options: Record<string, unknown>
  readonly messages: {
    readonly sent: number
    readonly delivered: number
    readonly deliveredPercent: number
    /** The same transmission (id and attempt) reaching its recipient twice: the network copied it. */
    readonly duplicates: number
    /** Copies of an already delivered message with a new attempt (a retry that crossed the receipt): recognised by id and acknowledged again, shown once. */
    readonly redelivered: number
    /** Senders whose outbox gave up (12 attempts without a custody receipt, or expiry). */
    readonly outboxFailed: number
    /** Messages whose end-to-end receipt reached the sender. */
    readonly confirmed: number
    /** Undelivered at the end, by where they stood. */
    readonly undelivered: Record<string, number>
    readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
    /** Messages whose recipient was online when sent, and their latency. */
    readonly toOnline: { readonly sent: number; readonly delivered: number; readonly p50: number; readonly p99: number }
    readonly toOffline: { readonly sent: number; readonly delivered: number; readonly p50: number; readonly p99: number }
    readonly transmissionsPerMessage: number
    readonly envelopeHopsPerMessage: number
  }
  /** Per-relay state at the end of the send window, and the highest max seen at any sample. */
  readonly relayState: { readonly endOfWindow: RelayState; readonly peak: RelayState }
  /** Frames per user per hour of the send window (counts / users / hours). */
  readonly perUserHour: Record<string, number>
  /** Per relay per hour of the send window. */
  readonly perRelayHour: Record<string, number>
  /** Totals over the whole run. */
  readonly totals: Record<string, number>
  readonly churn: {
    readonly usersWentOffline: number
    readonly abrupt: number
    readonly relayFailures: number
    readonly custodyLost: number
  }
  /** Journal puts (custody or dial queue) for a destination that does not name the relay and was not a short dial queue: must be 0. */
  readonly heldForOthers: number
  /** Registrations and custody receipts refused, by reason (relays' and senders' rules). */
  readonly refusals: Record<string, number>
  readonly wallMs: number
  readonly heapUsedMiB: number
  readonly rssMiB: number
}

const T0 = 1_700_000_000_000
const HOUR = 3_600_000
const USER_TAG = 0x75
const RELAY_TAG = 0x72
const MSG = 1
const RCPT = 2

/** Counts of the stand-in signatures, for the figures. */
export interface ModelCrypto extends Crypto {
  readonly counts: { signatures: number; verifications: number }
}

/**
 * The Crypto port with Ed25519 replaced by a cheap deterministic stand-in: the
 * "public key" is the 32-byte secret itself, a signature is that key followed by a
 * 32-bit FNV-1a of the signed bytes (context included) and zeros, and verification
 * recomputes both. Every byte the engine signs is still built, hashed and checked
 * by the real code paths (signWithContext / verifyWithContext, the record and
 * receipt codecs, times and names); only the arithmetic is fake, and anyone could
 * forge it, so the simulator models no adversary. Nothing else of the port is used.
 */
export function modelCrypto(): ModelCrypto {
  const counts = { signatures: 0, verifications: 0 }
  const digest = (message: Uint8Array): number => {
    let h = 0x811c9dc5
    for (let i = 0; i < message.length; i++) h = Math.imul(h ^ message[i]!, 0x01000193)
    return h >>> 0
  }
  const unused = (): never => {
    throw new Error('modelCrypto: only Ed25519 is modelled')
  }
  return {
    name: 'model',
    counts,
    sha256: unused,
    hmacSha256: unused,
    hkdfSha256: unused,
    x25519PublicKey: unused,
    x25519: unused,
    aeadSeal: unused,
    aeadOpen: unused,
    xaeadSeal: unused,
    xaeadOpen: unused,
    ed25519PublicKey: (secretKey) => secretKey.slice(0, 32),
    ed25519Sign(secretKey, message) {
      counts.signatures++
      const signature = new Uint8Array(64)
      signature.set(secretKey.subarray(0, 32))
      const h = digest(message)
      signature[32] = h >>> 24
      signature[33] = (h >>> 16) & 0xff
      signature[34] = (h >>> 8) & 0xff
      signature[35] = h & 0xff
      return signature
    },
    ed25519Verify(signature, message, publicKey) {
      counts.verifications++
      if (signature.length !== 64 || publicKey.length !== 32) return false
      for (let i = 0; i < 32; i++) if (signature[i] !== publicKey[i]) return false
      const h = digest(message)
      return signature[32] === h >>> 24 && signature[33] === ((h >>> 16) & 0xff) && signature[34] === ((h >>> 8) & 0xff) && signature[35] === (h & 0xff)
    },
  }
}

/** 32-byte identity key: a tag byte, the index (u32) and filler; the simulator reads the index back from the key. */
function writeKey(out: Uint8Array, offset: number, tag: number, index: number): void {
  out[offset] = tag
  out[offset + 1] = index >>> 24
  out[offset + 2] = (index >>> 16) & 0xff
  out[offset + 3] = (index >>> 8) & 0xff
  out[offset + 4] = index & 0xff
  let h = Math.imul(index + 0x9e3779b9, 0x85ebca6b) ^ tag
  for (let i = 5; i < 32; i++) {
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    out[offset + i] = h & 0xff
  }
}
const indexOf = (bytes: Uint8Array): number => ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0
const hexIndex = (hex: string): number => parseInt(hex.slice(2, 10), 16)
const isUserHex = (hex: string): boolean => hex.charCodeAt(0) === 0x37 && hex.charCodeAt(1) === 0x35 // '75'

function fakeIdentity(key: Uint8Array): Identity {
  return { signingKey: { publicKey: key, secretKey: key }, staticKey: { publicKey: key, secretKey: key }, binding: new Uint8Array(64) }
}

/**
 * A CustodyJournal in memory that is durable at every call (a relay's disk, modelled):
 * a restarted relay restores all of it; a relay whose disk is lost gets a new, empty one.
 * `onPut` sees every hold, for the custody check.
 */
class SimJournal implements CustodyJournal {
  readonly live = new Map<string, JournalRecord>()
  readonly onPut: (destination: string, envelope: HeldEnvelope) => void
  constructor(onPut: (destination: string, envelope: HeldEnvelope) => void) {
    this.onPut = onPut
  }
  put(destination: string, envelope: HeldEnvelope): void {
    this.onPut(destination, envelope)
    this.live.set(`${destination}\n${envelope.id}`, { destination, envelope })
  }
  remove(destination: string, id: string): void {
    this.live.delete(`${destination}\n${id}`)
  }
  load(): JournalRecord[] {
    return [...this.live.values()]
  }
  flush(): void {}
  close(): void {}
}

interface RelaySim {
  readonly index: number
  readonly key: Uint8Array
  readonly hex: string
  readonly address: string
  readonly identity: Identity
  up: boolean
  /** Bumped at every failure: events of an earlier incarnation do nothing. */
  incarnation: number
  plane: DataPlane | null
  homes: HomeRegistry | null
  pool: RelayPool | null
  journal: SimJournal
  /** Registrations written down (relayServer's relay/home/ keys), by user index: restored after a restart. */
  registered: Set<number>
  /** True while createDataPlane restores the journal (its puts are not new holds). */
  restoring: boolean
  /** Open links this relay is an end of. */
  readonly links: Set<Link>
  /** Pool dials by address (relayPool connect … disconnect). */
  readonly intents: Map<string, Intent>
  shadow: AnnounceShadow
}

/**
 * The announcement schedule of a custodian's router (engine/routing/router.ts), over the
 * links it has: its own announcement to every link when due (every interval; after a link
 * was lost, at most once per interval / 6), one to a new link otherwise. A relay passes no
 * other origin on, so this is all it announces.
 */
interface AnnounceShadow {
  ownAt: number | null
  reannounceDue: boolean
  lastTriggered: number
  users: number
  relays: number
}
const newShadow = (): AnnounceShadow => ({ ownAt: null, reannounceDue: false, lastTriggered: -Infinity, users: 0, relays: 0 })
/** router.ts defaults: announceIntervalMs and REANNOUNCE_HOLD_FRACTION. */
const ANNOUNCE_INTERVAL_MS = 30_000
const REANNOUNCE_HOLD_MS = ANNOUNCE_INTERVAL_MS / 6

/** A wish to keep a link to `target` (a user to a home or pooled relay, a relay to a pooled relay), redialed with backoff. */
interface Intent {
  readonly ownerUser: number
  readonly ownerRelay: RelaySim | null
  readonly ownerEpoch: number
  readonly target: RelaySim
  active: boolean
  attempt: number
  link: Link | null
  dialing: boolean
}

interface Batch {
  readonly at: number
  readonly frames: LinkFrame[]
}

type Emit = (link: Link, up: boolean, frame: LinkFrame) => void

/**
 * One link: `dialer` (a user or a relay) dialed `relay`, which accepted it. Frames are in
 * order per direction. The link is itself the relay's hop for it (kind 'peer'); a dialing
 * relay gets its own hop (kind 'upstream').
 */
class Link implements PlaneHop {
  readonly emit: Emit
  readonly intent: Intent
  readonly relay: RelaySim
  readonly relayIncarnation: number
  readonly dialerUser: number
  readonly dialerRelay: RelaySim | null
  readonly dialerIncarnation: number
  readonly dialerHex: string
  readonly delay: number
  up = true
  /** Each side's view: open until it notices the link is gone. */
  relaySide = true
  dialerSide = true
  lastUp = 0
  lastDown = 0
  batchUp: Batch | null = null
  batchDown: Batch | null = null
  /** A dialing relay's hop (kind 'upstream'). */
  readonly dialerHop: PlaneHop | null
  /** A user dialer: contacts whose record went ahead on this link (dataPlane's `passed`). */
  passed: number[] | null = null
  constructor(emit: Emit, intent: Intent, dialerHex: string, delay: number) {
    this.emit = emit
    this.intent = intent
    this.relay = intent.target
    this.relayIncarnation = intent.target.incarnation
    this.dialerUser = intent.ownerUser
    this.dialerRelay = intent.ownerRelay
    this.dialerIncarnation = intent.ownerRelay ? intent.ownerRelay.incarnation : intent.ownerEpoch
    this.dialerHex = dialerHex
    this.delay = delay
    this.dialerHop = intent.ownerRelay
      ? {
          kind: 'upstream',
          send: (envelopes) => emit(this, true, { type: 'envelopes', envelopes }),
          frame: (frame) => emit(this, true, frame),
        }
      : null
  }
  get kind(): 'peer' {
    return 'peer'
  }
  get relayHop(): PlaneHop {
    return this
  }
  send(envelopes: readonly Uint8Array[]): void {
    this.emit(this, false, { type: 'envelopes', envelopes })
  }
  frame(frame: LinkFrame): void {
    this.emit(this, false, frame)
  }
}

interface UserPool {
  readonly intents: Map<string, Intent>
  ensure(hints: readonly HomeHint[]): void
  used(id: string): void
}

interface Pending {
  entry: OutboxEntry
  readonly bytes: Uint8Array
  /** Bumped at each scheduling: only the latest timer settles. */
  token: number
}

const emptyCounters = () => ({
  messagesSent: 0,
  envelopeHops: 0,
  /** Envelopes a user put on a link (messages and end-to-end receipts) and the outbox's transmissions of messages. */
  transmissions: 0,
  messageTransmissions: 0,
  e2eReceipts: 0,
  registrations: 0,
  reachAhead: 0,
  custodyToUsers: 0,
  custodyBetweenRelays: 0,
  acks: 0,
  refusalFrames: 0,
  announceToUsers: 0,
  announceBetweenRelays: 0,
  modelAnnounceToUsers: 0,
  modelAnnounceBetweenRelays: 0,
  userLinkOpens: 0,
  userPoolDials: 0,
  relayPoolDials: 0,
  relayLinkOpens: 0,
  lostEnvelopes: 0,
  lostFrames: 0,
  signatures: 0,
  verifications: 0,
  custodyAccepted: 0,
  heldLocally: 0,
})
type Counters = ReturnType<typeof emptyCounters>

export function runHomeSim(options: HomeSimOptions): HomeSimResult {
  const started = performance.now()
  const N = options.users
  const R = options.relays ?? Math.max(1, Math.round(N / 1000))
  const hours = options.hours ?? 1
  const seed = options.seed ?? 1
  const rate = options.messagesPerUserHour ?? 1
  const secondHome = R > 1 ? (options.secondHomeFraction ?? 0.3) : 0
  const [cMin, cMax] = options.contacts ?? [5, 20]
  const reconnect = options.reconnectPerHour ?? 0.1
  const [offMin, offMax] = options.offlineMs ?? [60_000, 30 * 60_000]
  const abruptFraction = options.abruptFraction ?? 0.5
  // At least one, so that every scale sees a relay fail (at 10 relays that is 10 % per hour, not 2 %).
  const failures = options.relayFailures ?? Math.max(1, Math.round(R * (options.relayFailuresPerHour ?? 0.02) * hours))
  const [downMin, downMax] = options.relayDownMs ?? [60_000, 10 * 60_000]
  const loseCustody = options.loseCustodyFraction ?? 0
  const warmup = options.warmupMs ?? 60_000
  const drain = options.drainMs ?? 40 * 60_000
  const sampleEvery = options.sampleEveryMs ?? 5 * 60_000
  const [uMin, uMax] = options.userDelayMs ?? [20, 100]
  const [rMin, rMax] = options.relayDelayMs ?? [5, 50]
  const poolLinks = options.relayPoolLinks ?? 64
  const local = options.localContacts ?? 0
  const progress = options.progress ?? (() => undefined)
  const policy = DEFAULT_OUTBOX_POLICY
  const contactRelayLinks = options.contactRelayLinks ?? false
  const realAnnouncements = options.routerAnnouncements === 'real'

  const rng = prng(seed)
  const jitter = (): number => rng.next()
  const crypto = modelCrypto()
  const loop = eventLoop(T0)
  /** Events at whole milliseconds: the engine's clock reads integers (u48 fields). */
  const at = (time: number, run: () => void): void => loop.at(Math.ceil(time), run)
  const sendStart = T0 + warmup
  const sendEnd = sendStart + hours * HOUR
  const end = sendEnd + drain
  const counters = emptyCounters()
  let windowStart: Counters | null = null
  let windowEnd: Counters | null = null
  const refusals: Record<string, number> = {}
  const refuse = (key: string): void => void (refusals[key] = (refusals[key] ?? 0) + 1)
  const churn = { usersWentOffline: 0, abrupt: 0, relayFailures: 0, custodyLost: 0 }
  let heldForOthers = 0

  // ---- Identities, homes, records, contacts ----
  const userKeys = new Uint8Array(32 * N)
  for (let u = 0; u < N; u++) writeKey(userKeys, 32 * u, USER_TAG, u)
  const userKey = (u: number): Uint8Array => userKeys.subarray(32 * u, 32 * u + 32)
  const relays: RelaySim[] = []
  for (let r = 0; r < R; r++) {
    const key = new Uint8Array(32)
    writeKey(key, 0, RELAY_TAG, r)
    relays.push({
      index: r,
      key,
      hex: toHex(key),
      address: `ws://r${r}.sim`,
      identity: fakeIdentity(key),
      up: true,
      incarnation: 0,
      plane: null,
      homes: null,
      pool: null,
      journal: null as unknown as SimJournal,
      registered: new Set(),
      restoring: false,
      links: new Set(),
      intents: new Map(),
      shadow: newShadow(),
    })
  }
  const relayByAddress = (address: string): RelaySim => relays[Number(address.slice(6, address.indexOf('.')))]!
  // First home: users spread evenly (users / relays each); second: another relay at random.
  const homeA = new Int32Array(N)
  const homeB = new Int32Array(N).fill(-1)
  for (let u = 0; u < N; u++) {
    homeA[u] = u % R
    if (rng.next() < secondHome) homeB[u] = (u % R + rng.int(1, R - 1)) % R
  }
  const isHomeOf = (u: number, r: number): boolean => homeA[u] === r || homeB[u] === r

  // Signed reach records, one buffer for all (a relay's book keeps its own copy of what it accepts).
  const recordOffsets = new Int32Array(N + 1)
  const recordChunks: Uint8Array[] = []
  {
    const issuedAt = T0 - HOUR
    let total = 0
    for (let u = 0; u < N; u++) {
      const homes = homeB[u]! >= 0 ? [homeA[u]!, homeB[u]!] : [homeA[u]!]
      const bytes = signReachRecord(crypto, fakeIdentity(userKey(u)), {
        seqno: issuedAt,
        issuedAt,
        expiresAt: issuedAt + MAX_REACH_LIFETIME_MS,
        relays: homes.map((r) => ({ identity: relays[r]!.key, address: relays[r]!.address })),
      })
      recordChunks.push(bytes)
      recordOffsets[u] = total
      total += bytes.length
    }
    recordOffsets[N] = total
  }
  const recordBuffer = new Uint8Array(recordOffsets[N]!)
  recordChunks.forEach((chunk, u) => recordBuffer.set(chunk, recordOffsets[u]!))
  recordChunks.length = 0
  const recordOf = (u: number): Uint8Array => recordBuffer.subarray(recordOffsets[u]!, recordOffsets[u + 1]!)
  const hintsOf = (u: number): HomeHint[] => {
    const hints = [{ id: relays[homeA[u]!]!.hex, address: relays[homeA[u]!]!.address }]
    if (homeB[u]! >= 0) hints.push({ id: relays[homeB[u]!]!.hex, address: relays[homeB[u]!]!.address })
    return hints
  }

  /** Distinct home relays of `u`'s contacts. */
  const contactRelaysOf = (u: number): number[] => {
    const out = new Set<number>()
    for (let i = contactOffsets[u]!; i < contactOffsets[u + 1]!; i++) {
      const c = contactList[i]!
      out.add(homeA[c]!)
      if (homeB[c]! >= 0) out.add(homeB[c]!)
    }
    return [...out]
  }

  // Mutual contacts in CSR form: each user adds half its draw in [cMin, cMax], the other side adds it back.
  const contactOffsets = new Int32Array(N + 1)
  let contactList: Int32Array
  {
    const adds = new Int32Array(N)
    let edges = 0
    for (let u = 0; u < N; u++) edges += adds[u] = N > 1 ? Math.ceil(rng.int(cMin, cMax) / 2) : 0
    const from = new Int32Array(edges)
    const to = new Int32Array(edges)
    let e = 0
    const perRelay = Math.ceil(N / R)
    for (let u = 0; u < N; u++) {
      for (let k = 0; k < adds[u]!; k++) {
        let v: number
        if (local > 0 && rng.next() < local && perRelay > 1) {
          do v = (rng.int(0, perRelay - 1) * R + (u % R)) % N
          while (v === u)
        } else {
          do v = rng.int(0, N - 1)
          while (v === u)
        }
        from[e] = u
        to[e++] = v
      }
    }
    const degree = new Int32Array(N)
    for (let i = 0; i < edges; i++) {
      degree[from[i]!]!++
      degree[to[i]!]!++
    }
    for (let u = 0; u < N; u++) contactOffsets[u + 1] = contactOffsets[u]! + degree[u]!
    contactList = new Int32Array(contactOffsets[N]!)
    const fill = contactOffsets.slice(0, N)
    for (let i = 0; i < edges; i++) {
      contactList[fill[from[i]!]!++] = to[i]!
      contactList[fill[to[i]!]!++] = from[i]!
    }
  }

  // ---- Users ----
  const online = new Uint8Array(N)
  /** Bumped each time a user goes offline or comes back: its older events do nothing. */
  const epoch = new Int32Array(N)
  const userLinks: (Link[] | undefined)[] = new Array(N)
  const userIntents: (Intent[] | undefined)[] = new Array(N)
  const userPools = new Map<number, UserPool>()
  /** What a user could not send for want of a link, one copy per envelope (its forwarder's own custody). */
  const heldLocal = new Map<number, Map<number, { destination: number; bytes: Uint8Array }>>()
  const pendingBySender = new Map<number, Set<number>>()

  // ---- Messages ----
  let capacity = Math.max(1024, Math.ceil(N * rate * hours * 1.2))
  let msgSender = new Int32Array(capacity)
  let msgRecipient = new Int32Array(capacity)
  let msgSentAt = new Float64Array(capacity)
  let msgDeliveredAt = new Float64Array(capacity)
  let msgAttempts = new Uint32Array(capacity)
  /** 0 pending, 1 confirmed (end-to-end receipt), 2 outbox failed. */
  let msgState = new Uint8Array(capacity)
  let msgToOnline = new Uint8Array(capacity)
  let msgRelayed = new Uint8Array(capacity)
  let messages = 0
  let duplicates = 0
  let redelivered = 0
  let receiptSerial = 0
  const pending = new Map<number, Pending>()
  const grow = (): void => {
    capacity *= 2
    const g = <T extends Int32Array | Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity)
      b.set(a as never)
      return b
    }
    msgSender = g(msgSender, (n) => new Int32Array(n))
    msgRecipient = g(msgRecipient, (n) => new Int32Array(n))
    msgSentAt = g(msgSentAt, (n) => new Float64Array(n))
    msgDeliveredAt = g(msgDeliveredAt, (n) => new Float64Array(n))
    msgAttempts = g(msgAttempts, (n) => new Uint32Array(n))
    msgState = g(msgState, (n) => new Uint8Array(n))
    msgToOnline = g(msgToOnline, (n) => new Uint8Array(n))
    msgRelayed = g(msgRelayed, (n) => new Uint8Array(n))
  }
  const BODY = new Uint8Array(160).fill(0x5a)
  const RECEIPT_BODY = new Uint8Array(120).fill(0xa5)
  const envelopeId = (kind: number, index: number, serial: number): Uint8Array => {
    const id = new Uint8Array(16)
    id[0] = kind
    id[1] = index >>> 24
    id[2] = (index >>> 16) & 0xff
    id[3] = (index >>> 8) & 0xff
    id[4] = index & 0xff
    id[5] = serial >>> 24
    id[6] = (serial >>> 16) & 0xff
    id[7] = (serial >>> 8) & 0xff
    id[8] = serial & 0xff
    id[9] = seed & 0xff
    return id
  }

  // ---- Links ----
  const countFrame = (frame: LinkFrame, toUser: boolean): void => {
    switch (frame.type) {
      case 'envelopes':
        counters.envelopeHops += frame.envelopes.length
        break
      case 'custody':
        if (toUser) counters.custodyToUsers++
        else counters.custodyBetweenRelays++
        break
      case 'ack':
        counters.acks++
        break
      case 'refuse':
        counters.refusalFrames++
        break
      case 'announce':
        if (toUser) counters.announceToUsers++
        else counters.announceBetweenRelays++
        break
      default:
        break
    }
  }

  const lose = (frame: LinkFrame): void => {
    counters.lostFrames++
    if (frame.type === 'envelopes') counters.lostEnvelopes += frame.envelopes.length
  }

  /** Puts `frame` on the link, toward the relay (`up`) or toward the dialer. */
  const emit = (link: Link, up: boolean, frame: LinkFrame): void => {
    const toUser = !up && link.dialerRelay === null
    countFrame(frame, toUser)
    // Announcements are counted, not carried (homeSim.md): users run no router, and a relay's
    // router would learn from another relay only a one-hop route to a relay it has a link to.
    if (frame.type === 'announce') return
    if (!link.up) return lose(frame)
    const now = loop.now
    const open = up ? link.batchUp : link.batchDown
    if (open && open.at === now) {
      open.frames.push(frame)
      return
    }
    const arrival = Math.max(now + link.delay * (0.9 + 0.2 * rng.next()), up ? link.lastUp : link.lastDown)
    const batch: Batch = { at: now, frames: [frame] }
    if (up) {
      link.lastUp = arrival
      link.batchUp = batch
    } else {
      link.lastDown = arrival
      link.batchDown = batch
    }
    at(arrival, () => {
      if (up && link.batchUp === batch) link.batchUp = null
      if (!up && link.batchDown === batch) link.batchDown = null
      if (!link.up) {
        batch.frames.forEach(lose)
        return
      }
      for (const f of batch.frames) {
        if (!link.up) lose(f)
        else if (up) relayReceive(link.relay, link.dialerHex, f)
        else if (link.dialerRelay) relayReceive(link.dialerRelay, link.relay.hex, f)
        else userReceive(link.dialerUser, link, f)
      }
    })
  }

  const relayReceive = (relay: RelaySim, peer: string, frame: LinkFrame): void => {
    const plane = relay.plane
    if (!plane) return
    switch (frame.type) {
      case 'envelopes':
        plane.envelopes(peer, frame.envelopes)
        break
      case 'reach':
        // A user's own record registers it (homeRegistry); anyone else's is learned to forward their mail.
        if (!plane.reach(peer, frame.record)) refuse('reach frame counted as hostile')
        break
      case 'custody':
        plane.custody(peer, frame.receipt)
        break
      case 'ack':
        plane.ack(peer, frame.ids)
        break
      case 'refuse':
        plane.refuse(peer, frame.reason, frame.ids)
        break
      case 'announce':
        plane.announcement(peer, frame.announcement, frame.metric)
        break
      default:
        break
    }
  }

  const announceDue = (sh: AnnounceShadow, now: number): boolean =>
    sh.ownAt === null || now - sh.ownAt >= ANNOUNCE_INTERVAL_MS || (sh.reannounceDue && now - sh.lastTriggered >= REANNOUNCE_HOLD_MS)
  const announceToAll = (sh: AnnounceShadow, now: number): void => {
    if (sh.reannounceDue) sh.lastTriggered = now
    sh.reannounceDue = false
    sh.ownAt = now
    counters.modelAnnounceToUsers += sh.users
    counters.modelAnnounceBetweenRelays += sh.relays
  }
  /** dataPlane.linkOpen on a relay, and the router's announcements for it (AnnounceShadow). */
  const relayLinkUp = (relay: RelaySim, peer: string, hop: PlaneHop, user: boolean): void => {
    relay.plane!.linkOpen(peer, hop)
    const sh = relay.shadow
    if (user) sh.users++
    else sh.relays++
    if (announceDue(sh, loop.now)) announceToAll(sh, loop.now)
    else if (user) counters.modelAnnounceToUsers++
    else counters.modelAnnounceBetweenRelays++
  }
  const relayLinkDown = (relay: RelaySim, peer: string, hop: PlaneHop, user: boolean): void => {
    relay.plane!.linkDown(peer, hop)
    const sh = relay.shadow
    if (user) sh.users--
    else sh.relays--
    // A relay's router (custodian) owes no re-announcement for a lost link (engine/routing/router.ts).
  }

  /** Opens a link for `intent` now: the relay's side first (it flushes what it holds for the dialer), then the dialer's. */
  const openLink = (intent: Intent): void => {
    const target = intent.target
    const dialerRelay = intent.ownerRelay
    const [lo, hi] = dialerRelay ? [rMin, rMax] : [uMin, uMax]
    const link = new Link(emit, intent, dialerRelay ? dialerRelay.hex : toHex(userKey(intent.ownerUser)), lo + rng.next() * (hi - lo))
    intent.link = link
    intent.attempt = 0
    target.links.add(link)
    relayLinkUp(target, link.dialerHex, link, dialerRelay === null)
    if (dialerRelay) {
      counters.relayLinkOpens++
      dialerRelay.links.add(link)
      relayLinkUp(dialerRelay, target.hex, link.dialerHop!, false)
    } else userLinkOpened(intent.ownerUser, link)
  }

  const intentLive = (intent: Intent): boolean =>
    intent.active && (intent.ownerRelay ? intent.ownerRelay.up && intent.ownerRelay.incarnation === intent.ownerEpoch : online[intent.ownerUser] === 1 && epoch[intent.ownerUser] === intent.ownerEpoch)

  /** A dial: the handshake takes about three one-way trips; a relay that is down answers nothing (handshake timeout), then backoff. */
  const dial = (intent: Intent): void => {
    if (!intentLive(intent) || intent.link || intent.dialing) return
    intent.dialing = true
    const [lo, hi] = intent.ownerRelay ? [rMin, rMax] : [uMin, uMax]
    const handshake = 3 * (lo + rng.next() * (hi - lo))
    at(loop.now + handshake, () => {
      intent.dialing = false
      if (!intentLive(intent) || intent.link) return
      if (intent.target.up && intent.target.plane) {
        openLink(intent)
        return
      }
      intent.dialing = true
      at(loop.now + HANDSHAKE_TIMEOUT_MS - handshake, () => {
        intent.dialing = false
        intent.attempt++
        redial(intent)
      })
    })
  }
  const redial = (intent: Intent): void => {
    if (!intentLive(intent) || intent.link) return
    at(loop.now + redialDelay(Math.max(1, intent.attempt), jitter()), () => dial(intent))
  }

  /** Closes a link: in-flight frames are lost; each side notices after its own delay (0: at once). */
  const closeLink = (link: Link, relayNotices: number, dialerNotices: number): void => {
    if (!link.up) return
    link.up = false
    const relay = link.relay
    const relaySideDown = (): void => {
      if (!link.relaySide) return
      link.relaySide = false
      if (relay.incarnation !== link.relayIncarnation || !relay.plane) return
      relay.links.delete(link)
      relayLinkDown(relay, link.dialerHex, link, link.dialerRelay === null)
    }
    const dialerSideDown = (): void => {
      if (!link.dialerSide) return
      link.dialerSide = false
      const intent = link.intent
      if (intent.link === link) intent.link = null
      const d = link.dialerRelay
      if (d) {
        if (d.incarnation !== link.dialerIncarnation || !d.plane) return
        d.links.delete(link)
        relayLinkDown(d, relay.hex, link.dialerHop!, false)
      } else userLinkLost(link.dialerUser, link)
      intent.attempt = 1
      redial(intent)
    }
    if (relayNotices <= 0) relaySideDown()
    else at(loop.now + relayNotices, relaySideDown)
    if (dialerNotices <= 0) dialerSideDown()
    else at(loop.now + dialerNotices, dialerSideDown)
  }

  // ---- Relays ----
  const makePlane = (relay: RelaySim): void => {
    const incarnation = relay.incarnation
    // startMesh with relayServer's onHomeRecord: every kept registration is written down.
    const homes = createHomeRegistry({ crypto, self: relay.key, onKept: (identityHex) => void relay.registered.add(hexIndex(identityHex)) })
    let pool: RelayPool
    relay.restoring = true
    relay.shadow = newShadow()
    const plane = createDataPlane({
      identity: relay.identity,
      crypto,
      clock: loop.clock,
      custodian: true,
      deliverLocal: () => undefined,
      homes,
      custody: { journal: relay.journal },
      announceIntervalMs: realAnnouncements ? ANNOUNCE_INTERVAL_MS : 1e12,
      dialRelays: (hints) => pool.ensure(hints, loop.now),
      onRelayUsed: (peerId) => pool.used(peerId, loop.now),
    })
    relay.restoring = false
    pool = createRelayPool({
      connect: (address) => {
        counters.relayPoolDials++
        const intent: Intent = { ownerUser: -1, ownerRelay: relay, ownerEpoch: incarnation, target: relayByAddress(address), active: true, attempt: 0, link: null, dialing: false }
        relay.intents.set(address, intent)
        dial(intent)
      },
      disconnect: (address) => {
        const intent = relay.intents.get(address)
        if (!intent) return
        relay.intents.delete(address)
        intent.active = false
        if (intent.link) closeLink(intent.link, 0, 0)
      },
      linked: (id) => plane.linked(id),
      kept: () => false,
      maxLinks: poolLinks,
      onGaveUp: (id) => plane.forwarder.unreachable(id),
    })
    // relayServer: the registrations on disk are held again before any user links.
    for (const u of relay.registered) if (!homes.restore(recordOf(u), loop.now)) relay.registered.delete(u)
    relay.plane = plane
    relay.homes = homes
    relay.pool = pool
    // The product's data plane ticks about once a second, its pool every 5 s.
    let ticks = rng.int(0, 4)
    const tick = (): void => {
      if (relay.incarnation !== incarnation) return
      plane.tick(loop.now)
      const sh = relay.shadow
      if (sh.users + sh.relays > 0 && announceDue(sh, loop.now)) announceToAll(sh, loop.now)
      if (++ticks % 5 === 0) pool.tick(loop.now)
      at(loop.now + 1000, tick)
    }
    at(loop.now + rng.int(1, 1000), tick)
  }

  const onJournalPut = (relay: RelaySim) => (destination: string, envelope: HeldEnvelope): void => {
    if (relay.restoring) return
    const registered = isUserHex(destination) && isHomeOf(hexIndex(destination), relay.index)
    if (!registered && envelope.expiresAt > loop.now + PENDING_DIAL_HOLD_MS) heldForOthers++
  }
  for (const relay of relays) {
    relay.journal = new SimJournal(onJournalPut(relay))
    makePlane(relay)
  }

  // ---- Users: links, sending, receiving ----
  const isOwnLink = (u: number, link: Link): boolean => isHomeOf(u, link.relay.index)

  /** The link a user's forwarder would pick for mail to `d` (forwarder.ts nextHop on a user's node). */
  const pickLink = (u: number, d: number): Link | undefined => {
    const links = userLinks[u]
    if (!links || links.length === 0) return undefined
    const a = homeA[d]!
    const b = homeB[d]!
    for (const h of [a, b]) {
      if (h < 0 || !isHomeOf(u, h)) continue
      for (const l of links) if (l.relay.index === h) return l
    }
    for (const l of links) if (isOwnLink(u, l)) return l
    for (const h of [a, b]) {
      if (h < 0) continue
      for (const l of links) if (l.relay.index === h) return l
    }
    return links[0]
  }

  /** What the user's data plane puts on `link` for mail to `d`: the contact's record first, unless this relay is their home. */
  const sendVia = (u: number, link: Link, d: number, bytes: Uint8Array): void => {
    const r = link.relay.index
    if (!isHomeOf(d, r)) {
      const passed = (link.passed ??= [])
      if (!passed.includes(d)) {
        passed.push(d)
        counters.reachAhead++
        emit(link, true, { type: 'reach', record: recordOf(d) })
      }
    }
    if (!isOwnLink(u, link)) userPools.get(u)?.used(link.relay.hex)
    counters.transmissions++
    emit(link, true, { type: 'envelopes', envelopes: [bytes] })
  }

  /** A user's own envelope: on the best link, or held in its own node while its pool dials the contact's home relays. */
  const userTransmit = (u: number, d: number, key: number, bytes: Uint8Array): void => {
    const link = pickLink(u, d)
    if (link) return sendVia(u, link, d, bytes)
    counters.heldLocally++
    let held = heldLocal.get(u)
    if (!held) heldLocal.set(u, (held = new Map()))
    held.set(key, { destination: d, bytes })
    const hints = hintsOf(d).filter((h) => !isHomeOf(u, hexIndex(h.id)))
    if (hints.length > 0) userPool(u).ensure(hints)
  }

  /** A user's pool for its contacts' relays (startMesh: 3 links on a user's node), made when first needed. */
  const userPool = (u: number): UserPool => {
    const existing = userPools.get(u)
    if (existing) return existing
    const intents = new Map<string, Intent>()
    const myEpoch = epoch[u]!
    const raw = createRelayPool({
      connect: (address) => {
        counters.userPoolDials++
        const intent: Intent = { ownerUser: u, ownerRelay: null, ownerEpoch: myEpoch, target: relayByAddress(address), active: true, attempt: 0, link: null, dialing: false }
        intents.set(address, intent)
        dial(intent)
      },
      disconnect: (address) => {
        const intent = intents.get(address)
        if (!intent) return
        intents.delete(address)
        intent.active = false
        if (intent.link) closeLink(intent.link, 0, 0)
      },
      linked: (id) => userLinks[u]?.some((l) => l.relay.hex === id) ?? false,
      kept: (address) => (userIntents[u] ?? []).some((i) => i.target.address === address),
      maxLinks: 3,
    })
    let ticking = false
    // startMesh's watchPool: a 5 s timer while the pool holds links.
    const watch = (): void => {
      if (ticking || raw.stats().links === 0) return
      ticking = true
      at(loop.now + 5_000, () => {
        ticking = false
        if (epoch[u] !== myEpoch) return
        raw.tick(loop.now)
        if (raw.stats().links === 0 && userPools.get(u) === entry) userPools.delete(u)
        else watch()
      })
    }
    const entry: UserPool = {
      intents,
      ensure: (hints) => {
        raw.ensure(hints, loop.now)
        watch()
      },
      used: (id) => raw.used(id, loop.now),
    }
    userPools.set(u, entry)
    return entry
  }

  const userLinkOpened = (u: number, link: Link): void => {
    counters.userLinkOpens++
    const links = (userLinks[u] ??= [])
    links.push(link)
    // dataPlane.linkOpen on a user's node: its own record on every relay link it dialed.
    counters.registrations++
    emit(link, true, { type: 'reach', record: recordOf(u) })
    // forwarder.addHop (upstream, upstreamFallback): everything held goes on the new link.
    const held = heldLocal.get(u)
    if (held) {
      heldLocal.delete(u)
      for (const { destination, bytes } of held.values()) sendVia(u, link, destination, bytes)
    }
  }

  const userLinkLost = (u: number, link: Link): void => {
    const links = userLinks[u]
    if (!links) return
    const i = links.indexOf(link)
    if (i >= 0) links.splice(i, 1)
  }

  const userReceive = (u: number, link: Link, frame: LinkFrame): void => {
    if (!link.dialerSide || online[u] !== 1) return
    const now = loop.now
    switch (frame.type) {
      case 'envelopes':
        for (const bytes of frame.envelopes) {
          const { header } = decodeEnvelope(bytes)
          if (!equals(header.destination, userKey(u))) {
            refuse('misrouted to a user')
            continue
          }
          const m = indexOf(header.id)
          if (header.id[0] === MSG) {
            // Attempts 0–31 are told apart (12 are the outbox's limit, restarts add a few).
            const bit = header.attempt < 32 ? 1 << header.attempt : 0
            const again = bit !== 0 && (msgAttempts[m]! & bit) !== 0
            msgAttempts[m] = msgAttempts[m]! | bit
            if (msgDeliveredAt[m] === 0) msgDeliveredAt[m] = now
            else if (again) duplicates++
            else redelivered++
            // receiver.ts: every copy is acknowledged (a redelivered one again, unopened); the receipt is sent once, not queued.
            const s = msgSender[m]!
            counters.e2eReceipts++
            const receipt = encodeEnvelope({
              header: { version: 2, id: envelopeId(RCPT, m, receiptSerial++), destination: userKey(s), ttl: DEFAULT_TTL, attempt: 0, expiresAt: now + MESSAGE_LIFETIME_MS },
              body: RECEIPT_BODY,
            })
            userTransmit(u, s, -receiptSerial, receipt)
          } else if (header.id[0] === RCPT && msgSender[m] === u) {
            const p = pending.get(m)
            if (p) {
              forgetPending(u, m)
              msgState[m] = 1
            }
          }
        }
        break
      case 'custody': {
        // dataPlane.custody on the sender's node, then createEngine's rule (acceptsCustodyReceipt).
        let decoded
        try {
          decoded = decodeCustodyReceipt(frame.receipt)
        } catch {
          refuse('custody receipt malformed')
          break
        }
        const mine = decoded.receipt.ids.filter((id) => id[0] === MSG && msgSender[indexOf(id)] === u && pending.has(indexOf(id)))
        if (mine.length === 0) break
        let verified
        try {
          verified = checkCustodyReceipt(crypto, decoded, { now })
        } catch {
          refuse('custody receipt invalid')
          break
        }
        for (const id of mine) {
          const m = indexOf(id)
          const record = decodeReachRecord(recordOf(msgRecipient[m]!)).record as VerifiedReachRecord
          const verdict = acceptsCustodyReceipt(verified, record, now)
          if (!verdict.ok) {
            refuse(`custody receipt ${verdict.reason}`)
            continue
          }
          counters.custodyAccepted++
          msgRelayed[m] = 1
          const p = pending.get(m)!
          p.entry = { ...p.entry, relayed: true }
        }
        break
      }
      case 'refuse':
        for (let i = 0; i < frame.ids.length; i++) refuse(`refused ${frame.reason}`)
        break
      default:
        // 'ack': ignored, as createEngine does once the contact's home relays are known.
        break
    }
  }

  // ---- Outbox (machines/outboxPolicy.ts) ----
  const forgetPending = (s: number, m: number): void => {
    pending.delete(m)
    const mine = pendingBySender.get(s)
    if (mine?.delete(m) && mine.size === 0) pendingBySender.delete(s)
  }
  const settle = (m: number): void => {
    const p = pending.get(m)
    if (!p) return
    const s = msgSender[m]!
    // The engine is not running while its user is offline: nothing is due until it starts again.
    if (online[s] !== 1) return
    const step = settleDue([p.entry], loop.now, policy, jitter)
    for (const effect of step.effects) {
      if (effect.kind === 'transmit') {
        counters.messageTransmissions++
        userTransmit(s, msgRecipient[m]!, m, effect.attempt === 0 ? p.bytes : withAttempt(p.bytes, effect.attempt))
      } else {
        forgetPending(s, m)
        msgState[m] = 2
        refuse(`outbox ${effect.reason}`)
        return
      }
    }
    p.entry = step.entries[0]!
    const due = p.entry.dueAt
    if (due === null) return
    const token = ++p.token
    at(due, () => {
      if (pending.get(m) === p && p.token === token) settle(m)
    })
  }

  const newMessage = (s: number, d: number): void => {
    if (messages === capacity) grow()
    const m = messages++
    const now = loop.now
    msgSender[m] = s
    msgRecipient[m] = d
    msgSentAt[m] = now
    msgToOnline[m] = online[d]!
    counters.messagesSent++
    const bytes = encodeEnvelope({
      header: { version: 2, id: envelopeId(MSG, m, 0), destination: userKey(d), ttl: DEFAULT_TTL, attempt: 0, expiresAt: now + MESSAGE_LIFETIME_MS },
      body: BODY,
    })
    const entry = admitItem({ envelopeId: String(m), expiresAt: now + MESSAGE_LIFETIME_MS, attempts: 0, relayed: false }, now)
    pending.set(m, { entry, bytes, token: 0 })
    let mine = pendingBySender.get(s)
    if (!mine) pendingBySender.set(s, (mine = new Set()))
    mine.add(m)
    settle(m)
  }

  // ---- Churn ----
  const goOnline = (u: number): void => {
    if (online[u] === 1) return
    online[u] = 1
    const e = ++epoch[u]!
    const homes = homeB[u]! >= 0 ? [homeA[u]!, homeB[u]!] : [homeA[u]!]
    // createEngine: the engine keeps a link to each of its relays (redialing with backoff), and,
    // with `contactRelayLinks`, to every relay its contacts named too (messenger.contactRelays()).
    if (contactRelayLinks) for (const r of contactRelaysOf(u)) if (!homes.includes(r)) homes.push(r)
    const intents = homes.map((r): Intent => ({ ownerUser: u, ownerRelay: null, ownerEpoch: e, target: relays[r]!, active: true, attempt: 0, link: null, dialing: false }))
    userIntents[u] = intents
    intents.forEach(dial)
    // The outbox restores: every waiting item is due at once, its attempts kept.
    const mine = pendingBySender.get(u)
    if (mine) {
      for (const m of mine) {
        const p = pending.get(m)!
        p.entry = admitItem({ envelopeId: p.entry.envelopeId, expiresAt: p.entry.expiresAt, attempts: p.entry.attempts, relayed: p.entry.relayed }, loop.now)
        settle(m)
      }
    }
  }

  const goOffline = (u: number, abrupt: boolean): void => {
    if (online[u] !== 1) return
    online[u] = 0
    epoch[u]!++
    churn.usersWentOffline++
    if (abrupt) churn.abrupt++
    for (const intent of userIntents[u] ?? []) intent.active = false
    userIntents[u] = undefined
    const pool = userPools.get(u)
    if (pool) for (const intent of pool.intents.values()) intent.active = false
    userPools.delete(u)
    for (const link of [...(userLinks[u] ?? [])]) {
      link.intent.active = false
      // Abrupt: the relay sees the link die only when three pings go unanswered.
      closeLink(link, abrupt ? rng.int(10_000, 15_000) : 0, 0)
    }
    userLinks[u] = undefined
    // The engine stopped: what its node held in memory is gone; the outbox (on disk) stays.
    heldLocal.delete(u)
  }

  // ---- Relay failures ----
  /** Registration refusals of registries that went with a failed relay. */
  const pastRegistrations: Record<string, number> = {}
  const failRelay = (relay: RelaySim): void => {
    if (!relay.up) return
    churn.relayFailures++
    for (const [reason, n] of Object.entries(relay.homes!.stats().refused)) pastRegistrations[reason] = (pastRegistrations[reason] ?? 0) + (n ?? 0)
    relay.up = false
    relay.incarnation++
    for (const intent of relay.intents.values()) intent.active = false
    relay.intents.clear()
    // The process is gone with everything it held in memory. Its peers notice when their pings go
    // unanswered, up to 15 s later; what they send it meanwhile is lost.
    for (const link of relay.links) {
      link.up = false
      const notice = rng.int(0, 15_000)
      if (link.relay === relay) {
        link.relaySide = false
        const d = link.dialerRelay
        at(loop.now + notice, () => {
          if (!link.dialerSide) return
          link.dialerSide = false
          const intent = link.intent
          if (intent.link === link) intent.link = null
          if (d) {
            if (d.incarnation !== link.dialerIncarnation || !d.plane) return
            d.links.delete(link)
            relayLinkDown(d, relay.hex, link.dialerHop!, false)
          } else userLinkLost(link.dialerUser, link)
          intent.attempt = 1
          redial(intent)
        })
      } else {
        link.dialerSide = false
        const t = link.relay
        at(loop.now + notice, () => {
          if (!link.relaySide) return
          link.relaySide = false
          if (t.incarnation !== link.relayIncarnation || !t.plane) return
          t.links.delete(link)
          relayLinkDown(t, relay.hex, link, false)
        })
      }
    }
    relay.links.clear()
    relay.plane = null
    relay.homes = null
    relay.pool = null
    // A restart keeps the custody journal and the registrations (the relay's disk); a lost disk loses both.
    if (rng.next() < loseCustody) {
      churn.custodyLost++
      relay.journal = new SimJournal(onJournalPut(relay))
      relay.registered = new Set()
    }
    at(loop.now + rng.int(downMin, downMax), () => {
      relay.up = true
      makePlane(relay)
    })
  }

  // ---- Sampling ----
  const samples: RelayState[] = []
  const spread = (values: number[]): Spread => ({
    max: values.reduce((a, b) => Math.max(a, b), 0),
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0,
  })
  const sample = (): RelayState => {
    const cols = { registrations: [] as number[], learnedRecords: [] as number[], heldMail: [] as number[], queuedForDial: [] as number[], poolLinks: [] as number[], relayLinks: [] as number[], userLinks: [] as number[], routes: [] as number[] }
    const now = loop.now
    for (const relay of relays) {
      if (!relay.up || !relay.plane) continue
      cols.registrations.push(relay.homes!.stats().held)
      cols.learnedRecords.push(relay.plane.learnedRecords)
      cols.heldMail.push(relay.plane.forwarder.stats().held)
      let queued = 0
      for (const { envelope } of relay.journal.live.values()) if (envelope.expiresAt <= now + PENDING_DIAL_HOLD_MS) queued++
      cols.queuedForDial.push(queued)
      cols.poolLinks.push(relay.pool!.stats().links)
      let relayLinks = 0
      let users = 0
      for (const link of relay.links) {
        if (link.dialerRelay) relayLinks++
        else users++
      }
      cols.relayLinks.push(relayLinks)
      cols.userLinks.push(users)
      cols.routes.push(relay.plane.router.routes().length)
    }
    return {
      registrations: spread(cols.registrations),
      learnedRecords: spread(cols.learnedRecords),
      heldMail: spread(cols.heldMail),
      queuedForDial: spread(cols.queuedForDial),
      poolLinks: spread(cols.poolLinks),
      relayLinks: spread(cols.relayLinks),
      userLinks: spread(cols.userLinks),
      routes: spread(cols.routes),
    }
  }
  let endOfWindow: RelayState | null = null
  for (let t = sendStart; t <= end; t += sampleEvery) {
    at(t, () => {
      const s = sample()
      samples.push(s)
      if (options.gcAtSamples) (globalThis as { gc?: () => void }).gc?.()
      const mem = process.memoryUsage()
      progress(
        `t=${((loop.now - T0) / 60_000).toFixed(0)} min, ${messages} sent, ${pending.size} pending, wall ${((performance.now() - started) / 1000).toFixed(0)} s, ` +
          `heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, held max ${s.heldMail.max}, learned max ${s.learnedRecords.max}, pool max ${s.poolLinks.max}`,
      )
    })
  }
  at(sendStart, () => (windowStart = { ...counters, signatures: crypto.counts.signatures, verifications: crypto.counts.verifications }))
  at(sendEnd, () => {
    windowEnd = { ...counters, signatures: crypto.counts.signatures, verifications: crypto.counts.verifications }
    endOfWindow = sample()
  })

  // ---- The run ----
  for (let u = 0; u < N; u++) at(T0 + rng.int(0, warmup - 5_000), () => goOnline(u))

  // Users going offline: uniform over the send window, back after offlineMs.
  const offlineEvents = Math.round(N * reconnect * hours)
  for (let i = 0; i < offlineEvents; i++) {
    at(sendStart + rng.next() * hours * HOUR, () => {
      let u = rng.int(0, N - 1)
      for (let tries = 0; online[u] !== 1 && tries < 10; tries++) u = rng.int(0, N - 1)
      if (online[u] !== 1) return
      goOffline(u, rng.next() < abruptFraction)
      at(loop.now + rng.int(offMin, offMax), () => goOnline(u))
    })
  }
  for (let i = 0; i < failures; i++) {
    at(sendStart + rng.next() * hours * HOUR, () => {
      let relay = relays[rng.int(0, R - 1)]!
      for (let tries = 0; !relay.up && tries < 10; tries++) relay = relays[rng.int(0, R - 1)]!
      failRelay(relay)
    })
  }
  // Messages: one Poisson process for the whole network, from online users to one of their contacts.
  const totalRate = (N * rate) / HOUR
  // The process keeps its own (fractional) clock: events run at whole milliseconds, and gaps
  // counted from those rounded-up times would lose messages (a 3.6 ms mean gap at 1M users).
  let sendClock = sendStart
  const nextSend = (): void => {
    sendClock += -Math.log(1 - rng.next()) / totalRate
    const when = sendClock
    if (when >= sendEnd) return
    at(when, () => {
      let s = rng.int(0, N - 1)
      for (let tries = 0; online[s] !== 1 && tries < 20; tries++) s = rng.int(0, N - 1)
      const from = contactOffsets[s]!
      const count = contactOffsets[s + 1]! - from
      if (online[s] === 1 && count > 0) newMessage(s, contactList[from + rng.int(0, count - 1)]!)
      nextSend()
    })
  }
  if (totalRate > 0) at(sendStart, nextSend)

  loop.runUntil(end)

  // ---- Figures ----
  const start = windowStart ?? emptyCounters()
  const stop = windowEnd ?? { ...counters, signatures: crypto.counts.signatures, verifications: crypto.counts.verifications }
  const userHours = N * hours
  const relayHours = R * hours
  const d = (k: keyof Counters): number => stop[k] - start[k]
  const per = (v: number, by: number): number => Math.round((1000 * v) / by) / 1000
  const latencies: number[] = []
  const toOnline: number[] = []
  const toOffline: number[] = []
  let delivered = 0
  let confirmed = 0
  let outboxFailed = 0
  let sentOnline = 0
  const undelivered: Record<string, number> = {}
  for (let m = 0; m < messages; m++) {
    if (msgToOnline[m]) sentOnline++
    if (msgState[m] === 1) confirmed++
    if (msgState[m] === 2) outboxFailed++
    if (msgDeliveredAt[m]! > 0) {
      delivered++
      const l = msgDeliveredAt[m]! - msgSentAt[m]!
      latencies.push(l)
      ;(msgToOnline[m] ? toOnline : toOffline).push(l)
    } else {
      const why =
        msgState[m] === 2 ? 'outbox gave up' : online[msgRecipient[m]!] !== 1 ? 'recipient offline at end' : msgRelayed[m] ? 'relayed, not delivered' : 'in flight or lost'
      undelivered[why] = (undelivered[why] ?? 0) + 1
    }
  }
  const pct = (sorted: number[], q: number): number => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!) : 0)
  latencies.sort((a, b) => a - b)
  toOnline.sort((a, b) => a - b)
  toOffline.sort((a, b) => a - b)
  const peakOf = (key: keyof RelayState): Spread => ({
    max: samples.reduce((a, s) => Math.max(a, s[key].max), 0),
    mean: samples.reduce((a, s) => Math.max(a, s[key].mean), 0),
  })
  const peak = Object.fromEntries((Object.keys(samples[0] ?? sample()) as (keyof RelayState)[]).map((k) => [k, peakOf(k)])) as unknown as RelayState
  for (const relay of relays) {
    if (!relay.homes) continue
    for (const [reason, n] of Object.entries(relay.homes.stats().refused)) pastRegistrations[reason] = (pastRegistrations[reason] ?? 0) + (n ?? 0)
  }
  for (const [reason, n] of Object.entries(pastRegistrations)) refusals[`registration ${reason}`] = n
  const mem = process.memoryUsage()
  const control = d('registrations') + d('reachAhead') + d('custodyToUsers') + d('custodyBetweenRelays') + d('acks') + d('refusalFrames')
  return {
    users: N,
    relays: R,
    hours,
    seed,
    virtualMs: end - T0,
    options: {
      messagesPerUserHour: rate,
      secondHomeFraction: secondHome,
      contacts: [cMin, cMax],
      reconnectPerHour: reconnect,
      offlineMs: [offMin, offMax],
      abruptFraction,
      relayFailures: failures,
      relayDownMs: [downMin, downMax],
      loseCustodyFraction: loseCustody,
      warmupMs: warmup,
      drainMs: drain,
      relayPoolLinks: poolLinks,
      localContacts: local,
      meanContacts: contactOffsets[N]! / N,
    },
    messages: {
      sent: messages,
      delivered,
      deliveredPercent: (100 * delivered) / Math.max(1, messages),
      duplicates,
      redelivered,
      outboxFailed,
      confirmed,
      undelivered,
      latencyMs: { p50: pct(latencies, 0.5), p90: pct(latencies, 0.9), p99: pct(latencies, 0.99), max: Math.round(latencies.at(-1) ?? 0) },
      toOnline: { sent: sentOnline, delivered: toOnline.length, p50: pct(toOnline, 0.5), p99: pct(toOnline, 0.99) },
      toOffline: { sent: messages - sentOnline, delivered: toOffline.length, p50: pct(toOffline, 0.5), p99: pct(toOffline, 0.99) },
      transmissionsPerMessage: per(counters.messageTransmissions, Math.max(1, messages)),
      envelopeHopsPerMessage: per(counters.envelopeHops, Math.max(1, messages)),
    },
    relayState: { endOfWindow: endOfWindow ?? sample(), peak },
    perUserHour: {
      controlFrames: per(control, userHours),
      registrations: per(d('registrations'), userHours),
      reachAhead: per(d('reachAhead'), userHours),
      custodyReceiptsToUsers: per(d('custodyToUsers'), userHours),
      custodyReceiptsBetweenRelays: per(d('custodyBetweenRelays'), userHours),
      acks: per(d('acks'), userHours),
      refusals: per(d('refusalFrames'), userHours),
      linkOpens: per(d('userLinkOpens'), userHours),
      userPoolDials: per(d('userPoolDials'), userHours),
      relayAnnouncementsToUser: per(d('modelAnnounceToUsers'), userHours),
      ...(realAnnouncements ? { relayAnnouncementsToUserRealRouter: per(d('announceToUsers'), userHours) } : {}),
      messagesSent: per(d('messagesSent'), userHours),
      endToEndReceipts: per(d('e2eReceipts'), userHours),
      envelopeHops: per(d('envelopeHops'), userHours),
    },
    perRelayHour: {
      poolDials: per(d('relayPoolDials'), relayHours),
      relayLinkOpens: per(d('relayLinkOpens'), relayHours),
      custodyReceiptFrames: per(d('custodyBetweenRelays') + d('custodyToUsers'), relayHours),
      announcementsBetweenRelays: per(d('modelAnnounceBetweenRelays'), relayHours),
      ...(realAnnouncements ? { announcementsBetweenRelaysRealRouter: per(d('announceBetweenRelays'), relayHours) } : {}),
      signatures: per(d('signatures'), relayHours),
      verifications: per(d('verifications'), relayHours),
    },
    totals: { ...counters, signatures: crypto.counts.signatures, verifications: crypto.counts.verifications },
    churn,
    heldForOthers,
    refusals,
    wallMs: Math.round(performance.now() - started),
    heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
    rssMiB: Math.round(mem.rss / 2 ** 20),
  }
}

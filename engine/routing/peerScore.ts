/**
 * Neighbour scores (DESIGN.md §5, issue 10), after gossipsub v1.1's peer scoring:
 * hostile or excess traffic lowers a score, time and useful traffic raise it back,
 * and two thresholds turn it into a decision.
 *
 *   score ≥ graylist             'ok'
 *   disconnect ≤ score < graylist 'graylist'   the node stops relaying for the peer
 *   score < disconnect           'disconnect' the link closes; identity and address are refused
 *
 * A drop below `disconnect` is a strike: the identity and the address are both refused
 * for a backoff that doubles with each strike (capped); strikes are forgotten after
 * `strikeMemoryMs` without one. The score is then lifted to `disconnect` and does not
 * decay while the refusal lasts, so a returning peer starts graylisted, on probation:
 * one more offence is the next strike.
 *
 * Scores are kept by identity and by address (one entry each), so a score survives a
 * reconnect of the same identity or a new identity from the same address; a peer is
 * judged by the worse of its two. The host picks the address key: the IP in production,
 * ip:port in loopback tests where every peer is 127.0.0.1. Memory is bounded: past
 * `maxEntries` the oldest neutral entry is evicted first. Scores never leave the node.
 *
 * Pure and host-free. Scores are integer micro-points and time whole ms, so decay is
 * exact and the same whether it is read every ms or once an hour.
 */

export type Penalty = 'invalidFrame' | 'rejectedAnnouncement' | 'shed' | 'custodyAbuse'
export type ScoreDecision = 'ok' | 'graylist' | 'disconnect'

/** Who a link is: identity once authenticated, address as the host keys it. Either may be missing. */
export interface PeerKey {
  readonly identity?: string | undefined
  readonly address?: string | undefined
}

export interface PeerScoreParams {
  /** Points lost per offence. */
  readonly penalties: Readonly<Record<Penalty, number>>
  /** Points gained per useful item (a relayed envelope, a receipt); rewards never lift a score above rewardCap. */
  readonly reward: number
  readonly rewardCap: number
  /** Points per second by which a score moves back toward 0. */
  readonly decayPerSecond: number
  /** Thresholds, disconnect < graylist ≤ 0. */
  readonly graylist: number
  readonly disconnect: number
  readonly backoffBaseMs: number
  readonly backoffCapMs: number
  readonly strikeMemoryMs: number
  /** Entries kept (identities and addresses together). */
  readonly maxEntries: number
}

/**
 * Why these numbers: 5 invalid frames (an honest codec sends none) graylist a peer and
 * 10 disconnect it; each shed item (a frame, or each envelope a frame carried) costs 0.2,
 * so an honest burst of 100 over budget costs 20 points, while a flood at 10× a stranger's
 * 200 envelopes/s sheds 1,800/s and is graylisted within a second and disconnected in
 * the next (a graylisted peer's sheds still count: machines/linkActors.ts). Decay of 1 point/s forgives
 * a graylisted peer in under a minute. The reward cap of 10 lets a long-standing peer
 * survive a stray bad frame without banking credit for a later flood. Backoff 1 min,
 * doubling to 1 h: an address may be a NAT shared with honest users. 30,000 entries
 * are two per peer for 10,000 peers per core, plus room for recent departures.
 */
export const DEFAULT_PEER_SCORE_PARAMS: PeerScoreParams = {
  penalties: { invalidFrame: 10, rejectedAnnouncement: 5, shed: 0.2, custodyAbuse: 20 },
  reward: 0.1,
  rewardCap: 10,
  decayPerSecond: 1,
  graylist: -50,
  disconnect: -100,
  backoffBaseMs: 60_000,
  backoffCapMs: 3_600_000,
  strikeMemoryMs: 86_400_000,
  maxEntries: 30_000,
}

export type PeerScoresInit = Partial<Omit<PeerScoreParams, 'penalties'>> & {
  readonly penalties?: Partial<Record<Penalty, number>>
}

export interface PeerScores {
  /** Records `count` offences (default 1) and answers the resulting decision. Ignored while the peer is refused. */
  penalize(peer: PeerKey, penalty: Penalty, now: number, count?: number): ScoreDecision
  /** Records `count` useful items (default 1). Ignored while the peer is refused. */
  reward(peer: PeerKey, now: number, count?: number): ScoreDecision
  /** The worse of the identity's and the address's score at `now`, in points; 0 for an unknown peer. */
  score(peer: PeerKey, now: number): number
  decide(peer: PeerKey, now: number): ScoreDecision
  /** True while the identity or the address serves a backoff: refuse the connection. */
  refused(identity: string | undefined, address: string | undefined, now: number): boolean
  /** ms until `decide` may change with no new input (a refusal ends, decay lifts it past graylist); Infinity if never. */
  nextChange(peer: PeerKey, now: number): number
  readonly size: number
}

interface Entry {
  /** Micro-points at `at`. */
  score: number
  /** Whole ms from which decay runs (after a refusal: its end). */
  at: number
  strikes: number
  struckAt: number
  refusedUntil: number
}

const UNITS = 1_000_000

function units(value: number, what: string): number {
  const u = Math.round(value * UNITS)
  if (!Number.isFinite(value) || Math.abs(u - value * UNITS) > 1e-9 * Math.max(1, Math.abs(u)) || !Number.isSafeInteger(u)) {
    throw new RangeError(`${what} ${value} is not a multiple of 0.000001 in range`)
  }
  return u
}

function paramsOf(init: PeerScoresInit): PeerScoreParams {
  const p: PeerScoreParams = { ...DEFAULT_PEER_SCORE_PARAMS, ...init, penalties: { ...DEFAULT_PEER_SCORE_PARAMS.penalties, ...init.penalties } }
  const ok =
    p.disconnect < p.graylist &&
    p.graylist <= 0 &&
    Object.values(p.penalties).every((w) => w >= 0) &&
    p.reward >= 0 &&
    p.rewardCap >= 0 &&
    p.decayPerSecond >= 0 &&
    p.backoffBaseMs > 0 &&
    p.backoffCapMs >= p.backoffBaseMs &&
    p.strikeMemoryMs >= 0 &&
    Number.isSafeInteger(p.maxEntries) &&
    p.maxEntries >= 2
  if (!ok) throw new RangeError('peer score parameters out of range')
  return p
}

/**
 * Map keys of a peer, remembered per PeerKey object: a link asks with the same object for
 * every frame (a reward per frame), and building two 66-character keys each time was most
 * of a reward's cost. A PeerKey is read-only, so its keys never change.
 */
const keyCache = new WeakMap<PeerKey, readonly string[]>()
const keysOf = (peer: PeerKey): readonly string[] => {
  const cached = keyCache.get(peer)
  if (cached !== undefined) return cached
  const keys = keysFor(peer.identity, peer.address)
  keyCache.set(peer, keys)
  return keys
}
const keysFor = (identity: string | undefined, address: string | undefined): string[] => {
  const keys: string[] = []
  if (identity !== undefined) keys.push(`i:${identity}`)
  if (address !== undefined) keys.push(`a:${address}`)
  return keys
}

export function createPeerScores(init: PeerScoresInit = {}): PeerScores {
  const p = paramsOf(init)
  const penaltyUnits = Object.fromEntries(Object.entries(p.penalties).map(([k, w]) => [k, units(w, k)])) as Record<Penalty, number>
  const rewardUnits = units(p.reward, 'reward')
  const capUnits = units(p.rewardCap, 'rewardCap')
  const graylistUnits = units(p.graylist, 'graylist')
  const disconnectUnits = units(p.disconnect, 'disconnect')
  // Micro-points per ms = points per second × 1000.
  const decayPerMs = units(p.decayPerSecond / 1000, 'decayPerSecond')
  const entries = new Map<string, Entry>()

  /** The score at whole-ms `t`, moved toward 0 by decay since `at`. */
  const decayed = (e: Entry, t: number): number => {
    if (e.score === 0 || decayPerMs === 0 || t <= e.at) return e.score
    const elapsed = t - e.at
    const magnitude = Math.abs(e.score)
    // Reaching 0 first keeps elapsed·rate inside 2^53 after any idle time.
    if (elapsed >= Math.ceil(magnitude / decayPerMs)) return 0
    return e.score < 0 ? e.score + elapsed * decayPerMs : e.score - elapsed * decayPerMs
  }
  const settle = (e: Entry, t: number): void => {
    e.score = decayed(e, t)
    e.at = Math.max(e.at, t)
  }
  const isRefused = (e: Entry, t: number): boolean => e.refusedUntil > t
  const strikesLive = (e: Entry, t: number): boolean => e.strikes > 0 && t - e.struckAt < p.strikeMemoryMs
  const neutral = (e: Entry, t: number): boolean => decayed(e, t) === 0 && !isRefused(e, t) && !strikesLive(e, t)

  /** Evicts one entry, never one in `keep`: the oldest neutral, else the oldest not refused, else the oldest. */
  const evictOne = (t: number, keep: readonly string[]): void => {
    let notRefused: string | undefined
    let any: string | undefined
    for (const [key, e] of entries) {
      if (keep.includes(key)) continue
      if (neutral(e, t)) {
        entries.delete(key)
        return
      }
      any ??= key
      if (notRefused === undefined && !isRefused(e, t)) notRefused = key
    }
    const victim = notRefused ?? any
    if (victim !== undefined) entries.delete(victim)
  }
  /** The peer's entries, created if missing, moved to the newest end (insertion order is age). */
  const touch = (keys: readonly string[], t: number): Entry[] =>
    keys.map((key) => {
      let e = entries.get(key)
      if (e === undefined) {
        if (entries.size >= p.maxEntries) evictOne(t, keys)
        e = { score: 0, at: t, strikes: 0, struckAt: 0, refusedUntil: 0 }
      } else {
        entries.delete(key)
      }
      entries.set(key, e)
      return e
    })
  const existing = (peer: PeerKey): Entry[] => existingOf(keysOf(peer))
  const existingOf = (keys: readonly string[]): Entry[] => keys.flatMap((key) => entries.get(key) ?? [])
  /** A key with no entry counts as neutral 0. */
  const worst = (peer: PeerKey, t: number): number => {
    const values = keysOf(peer).map((key) => {
      const e = entries.get(key)
      return e === undefined ? 0 : decayed(e, t)
    })
    return values.length === 0 ? 0 : Math.min(...values)
  }
  const decideAt = (list: readonly Entry[], t: number): ScoreDecision => {
    if (list.some((e) => isRefused(e, t))) return 'disconnect'
    const s = list.length === 0 ? 0 : Math.min(...list.map((e) => decayed(e, t)))
    return s < disconnectUnits ? 'disconnect' : s < graylistUnits ? 'graylist' : 'ok'
  }
  const strike = (e: Entry, t: number): void => {
    e.strikes = strikesLive(e, t) ? e.strikes + 1 : 1
    e.struckAt = t
    e.refusedUntil = t + Math.min(p.backoffCapMs, p.backoffBaseMs * 2 ** Math.min(e.strikes - 1, 52))
    e.score = Math.max(e.score, disconnectUnits)
    e.at = e.refusedUntil
  }
  const apply = (peer: PeerKey, now: number, change: (e: Entry) => void): ScoreDecision => {
    const t = Math.floor(now)
    const keys = keysOf(peer)
    if (keys.length === 0) return 'ok'
    if (existing(peer).some((e) => isRefused(e, t))) return 'disconnect'
    const list = touch(keys, t)
    for (const e of list) {
      settle(e, t)
      change(e)
    }
    if (list.some((e) => e.score < disconnectUnits)) for (const e of list) strike(e, t)
    return decideAt(list, t)
  }
  const count = (n: number): number => (Number.isSafeInteger(n) && n > 0 ? n : 0)

  return {
    penalize: (peer, penalty, now, n = 1) =>
      // Anything below `disconnect` strikes, so clamping there loses nothing and keeps the sum finite.
      apply(peer, now, (e) => {
        e.score = Math.max(disconnectUnits - 1, e.score - count(n) * penaltyUnits[penalty])
      }),
    reward: (peer, now, n = 1) =>
      apply(peer, now, (e) => {
        if (e.score < capUnits) e.score = Math.min(capUnits, e.score + count(n) * rewardUnits)
      }),
    score: (peer, now) => worst(peer, Math.floor(now)) / UNITS,
    decide: (peer, now) => decideAt(existing(peer), Math.floor(now)),
    // Asked once per connection with loose values: no PeerKey object, so nothing to remember.
    refused: (identity, address, now) => existingOf(keysFor(identity, address)).some((e) => isRefused(e, Math.floor(now))),
    nextChange(peer, now) {
      const t = Math.floor(now)
      let next = Number.POSITIVE_INFINITY
      for (const e of existing(peer)) {
        if (isRefused(e, t)) next = Math.min(next, e.refusedUntil - t)
        else if (decayPerMs > 0 && decayed(e, t) < graylistUnits) next = Math.min(next, Math.ceil((graylistUnits - decayed(e, t)) / decayPerMs))
      }
      return next
    },
    get size() {
      return entries.size
    },
  }
}

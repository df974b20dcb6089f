/**
 * Token buckets for the budgets of DESIGN.md §5: every link and every remote address
 * has a bucket per action, and traffic over budget is shed by the caller, never queued.
 * Pure and host-free: time comes in as `now` (ms), so the same calls give the same
 * answers and a simulated clock drives them in tests.
 *
 * Refill is exact. A bucket holds integer micro-tokens (1 token = 10^6 units), so a
 * rate of r tokens/s adds r·1000 units per ms: an integer for any rate given to a
 * thousandth of a token per second. Nothing is ever rounded, so splitting time into
 * many small steps gives the very same level as one big step (no float drift).
 * The level is brought up to date lazily when asked, never by a timer: a timer per
 * link would cost an event per tick per link (DESIGN.md §8) for no gain.
 */

/**
 * One bucket: holds at most `capacity` whole tokens (up to ~9·10^9, so a bytes budget
 * may reach ~8 GiB) and refills at `refillPerSecond` (a multiple of 0.001).
 */
export interface BucketSpec {
  readonly capacity: number
  readonly refillPerSecond: number
}

export interface TokenBucket {
  /** Spends `cost` whole tokens (default 1) if the bucket holds them; false = over budget, nothing spent. */
  take(now: number, cost?: number): boolean
  /** Whole tokens available at `now`. */
  available(now: number): number
  /** ms from `now` until `cost` tokens are available; Infinity if they never will be. */
  msUntil(now: number, cost?: number): number
  /** Switches to another spec from `now` on: refills at the old rate up to `now`, keeps the level (clamped). */
  retune(spec: BucketSpec, now: number): void
  readonly spec: BucketSpec
}

const UNITS = 1_000_000

function toUnits(value: number, scale: number, what: string): number {
  const units = Math.round(value * scale)
  // A spec is code, not peer input: a value the integer arithmetic cannot hold exactly is a bug.
  if (!(value >= 0) || Math.abs(units - value * scale) > 1e-9 * Math.max(1, units) || !Number.isSafeInteger(units)) {
    throw new RangeError(`${what} ${value} is not a non-negative multiple of ${1 / scale} in range`)
  }
  return units
}

/** A full bucket at `now`: a fresh link may burst up to its capacity at once. */
export function createTokenBucket(spec: BucketSpec, now: number): TokenBucket {
  return new Bucket(spec, now)
}

/**
 * A class, not a closure over an object literal: a relay holds five per link (10,000 links,
 * DESIGN.md §8), and an instance with fields costs ~60 bytes where five closures, their
 * context and a literal with a getter (which V8 keeps in dictionary mode) cost ~1 KB.
 */
class Bucket implements TokenBucket {
  private capacityUnits = 0
  private unitsPerMs = 0
  private current: BucketSpec
  private level: number
  /** Whole ms; a clock that steps back refills nothing and never rewinds this. */
  private refilledAt: number

  constructor(spec: BucketSpec, now: number) {
    this.current = spec
    this.configure(spec)
    this.level = this.capacityUnits
    this.refilledAt = Math.floor(now)
  }

  get spec(): BucketSpec {
    return this.current
  }

  take(now: number, cost = 1): boolean {
    this.refill(now)
    const units = costUnits(cost)
    if (units > this.level) return false
    this.level -= units
    return true
  }

  available(now: number): number {
    this.refill(now)
    return Math.floor(this.level / UNITS)
  }

  msUntil(now: number, cost = 1): number {
    this.refill(now)
    const units = costUnits(cost)
    if (units <= this.level) return 0
    if (units > this.capacityUnits || this.unitsPerMs === 0) return Number.POSITIVE_INFINITY
    return Math.ceil((units - this.level) / this.unitsPerMs)
  }

  retune(spec: BucketSpec, now: number): void {
    this.refill(now)
    this.configure(spec)
    this.level = Math.min(this.level, this.capacityUnits)
  }

  private configure(next: BucketSpec): void {
    this.capacityUnits = toUnits(next.capacity, UNITS, 'capacity')
    this.unitsPerMs = toUnits(next.refillPerSecond, UNITS / 1000, 'refillPerSecond')
    this.current = next
  }

  private refill(now: number): void {
    const at = Math.floor(now)
    if (!(at > this.refilledAt)) return
    const elapsed = at - this.refilledAt
    this.refilledAt = at
    const missing = this.capacityUnits - this.level
    if (missing <= 0 || this.unitsPerMs === 0) return
    // Filling up first keeps elapsed·rate below missing + rate, well inside 2^53,
    // even after a day idle at megabytes per second.
    this.level = elapsed >= Math.ceil(missing / this.unitsPerMs) ? this.capacityUnits : this.level + elapsed * this.unitsPerMs
  }
}

/** A negative, fractional or NaN cost is a caller bug; it is refused (shed) rather than minting tokens. */
function costUnits(cost: number): number {
  return Number.isSafeInteger(cost) && cost >= 0 && cost <= Number.MAX_SAFE_INTEGER / UNITS ? cost * UNITS : Number.POSITIVE_INFINITY
}

/** How much the local node trusts a peer; each tier gets at least the budgets of the one before. */
export type TrustTier = 'stranger' | 'contact' | 'chosenRelay'
export const TRUST_TIERS: readonly TrustTier[] = ['stranger', 'contact', 'chosenRelay']

/** Budgeted actions on one link. */
export type LinkAction = 'frames' | 'bytes' | 'envelopes' | 'announcements' | 'handshakes'
export const LINK_ACTIONS: readonly LinkAction[] = ['frames', 'bytes', 'envelopes', 'announcements', 'handshakes']
/** Budgeted actions per remote address, before any identity is known. */
export type AddressAction = 'connections' | 'handshakes'
export const ADDRESS_ACTIONS: readonly AddressAction[] = ['connections', 'handshakes']

export type BudgetTable<A extends string> = Readonly<Record<TrustTier, Readonly<Record<A, BucketSpec>>>>

const b = (capacity: number, refillPerSecond: number): BucketSpec => ({ capacity, refillPerSecond })
const KiB = 1024
const MiB = 1024 * KiB

/**
 * Per-link defaults. Why these numbers:
 * - envelopes: a relay serves anyone, so a stranger's budget is what one honest user
 *   can need at most: a fast conversation is a few envelopes a second (messages plus
 *   receipts), an outbox flushing after a day offline is hundreds at once. So a burst
 *   of 1,000 and 200/s sustained; measured (bench attack-flood): at the earlier
 *   20/s, an honest back-and-forth through a relay was shed and its p99 went to 1.1 s.
 *   A flood at 10× that is 2,000/s, a fraction of what a relay forwards (DESIGN.md §8),
 *   and costs the flooder its link within seconds (peerScore.ts).
 * - frames: a link coalesces several messages per frame and flushes once per tick
 *   (DESIGN.md §8); frames are cheap to shed but each costs a decrypt, so half the
 *   envelope rate.
 * - bytes: one link message may be 128 KiB (transport MAX_MESSAGE_BYTES), so a burst
 *   holds several; 1 MiB/s is a picture a second for a stranger, and contacts
 *   (direct links) and chosen relays (everyone's mail) get more.
 * - announcements: each costs an Ed25519 verify (~750/s in noble), so a stranger may
 *   cost at most ~0.1 % of a core.
 * - handshakes: on an open link only a rekey re-handshakes (hours apart); a few in a
 *   row, then one per 50 s for a stranger, caps the X25519 + Ed25519 cost of a loop.
 */
export const DEFAULT_LINK_BUDGETS: BudgetTable<LinkAction> = {
  stranger: { frames: b(500, 100), bytes: b(4 * MiB, 1 * MiB), envelopes: b(1_000, 200), announcements: b(10, 1), handshakes: b(2, 0.02) },
  contact: { frames: b(1_000, 400), bytes: b(16 * MiB, 4 * MiB), envelopes: b(2_000, 1_000), announcements: b(20, 5), handshakes: b(3, 0.05) },
  chosenRelay: {
    frames: b(4_000, 2_000),
    bytes: b(32 * MiB, 16 * MiB),
    envelopes: b(10_000, 5_000),
    announcements: b(50, 20),
    handshakes: b(5, 0.1),
  },
}

/**
 * Per-address defaults. An address's tier is the best tier of an identity the host
 * last authenticated from it (a stranger until then). Why: a half-open connection or
 * a Noise handshake costs a socket and ~3 X25519 + 1 Ed25519 operations, so a stranger
 * address gets a burst of 10 (a small NAT'd office) then one every 2 s, which bounds
 * churn and half-open floods from one address. Loopback tests, where every peer is
 * 127.0.0.1, raise these with `scaleBudgets` or key addresses by ip:port.
 */
export const DEFAULT_ADDRESS_BUDGETS: BudgetTable<AddressAction> = {
  stranger: { connections: b(10, 0.5), handshakes: b(10, 0.5) },
  contact: { connections: b(20, 2), handshakes: b(20, 2) },
  chosenRelay: { connections: b(50, 5), handshakes: b(50, 5) },
}

/** Every bucket of `table` scaled by `factor` (capacity rounded up, rate to 0.001/s): for loopback tests. */
export function scaleBudgets<A extends string>(table: BudgetTable<A>, factor: number): BudgetTable<A> {
  const scaleTier = (specs: Readonly<Record<A, BucketSpec>>): Record<A, BucketSpec> => {
    const out = {} as Record<A, BucketSpec>
    for (const action of Object.keys(specs) as A[]) {
      const spec = specs[action]
      out[action] = b(Math.ceil(spec.capacity * factor), Math.round(spec.refillPerSecond * factor * 1000) / 1000)
    }
    return out
  }
  return { stranger: scaleTier(table.stranger), contact: scaleTier(table.contact), chosenRelay: scaleTier(table.chosenRelay) }
}

/** Shed takes per action: how many, and their summed cost (e.g. bytes). */
export interface ShedCounts<A extends string> {
  readonly items: Readonly<Record<A, number>>
  readonly cost: Readonly<Record<A, number>>
}

/** A set of named buckets, one per action, at one trust tier. */
export interface Budgets<A extends string> {
  /** Spends `cost` (default 1) from the action's bucket; false = over budget: the caller sheds, and it is counted. */
  take(action: A, now: number, cost?: number): boolean
  available(action: A, now: number): number
  msUntil(action: A, now: number, cost?: number): number
  /** Moves to another tier's budgets from `now`; tokens already held are kept (up to the new capacity). */
  setTier(tier: TrustTier, now: number): void
  readonly tier: TrustTier
  /** A copy of the shed counters since creation. */
  shed(): ShedCounts<A>
}

export interface BudgetsInit<A extends string> {
  readonly table: BudgetTable<A>
  readonly tier: TrustTier
  readonly now: number
}

export function createBudgets<A extends string>(init: BudgetsInit<A>): Budgets<A> {
  return new BudgetSet(init)
}

/** A class for the reason Bucket is one; shed counters are made on the first shed (most links never shed). */
class BudgetSet<A extends string> implements Budgets<A> {
  private current: TrustTier
  private readonly table: BudgetTable<A>
  private readonly buckets: Record<string, TokenBucket>
  private shedItems: Record<string, number> | null = null
  private shedCost: Record<string, number> | null = null

  constructor(init: BudgetsInit<A>) {
    this.current = init.tier
    this.table = init.table
    const specs = init.table[init.tier]
    this.buckets = {}
    for (const action of Object.keys(specs) as A[]) this.buckets[action] = new Bucket(specs[action], init.now)
  }

  get tier(): TrustTier {
    return this.current
  }

  take(action: A, now: number, cost = 1): boolean {
    if (this.bucket(action).take(now, cost)) return true
    this.shedItems ??= this.zeros()
    this.shedCost ??= this.zeros()
    this.shedItems[action]! += 1
    if (Number.isFinite(cost) && cost > 0) this.shedCost[action]! += cost
    return false
  }

  available(action: A, now: number): number {
    return this.bucket(action).available(now)
  }

  msUntil(action: A, now: number, cost?: number): number {
    return this.bucket(action).msUntil(now, cost)
  }

  setTier(next: TrustTier, now: number): void {
    this.current = next
    for (const action of Object.keys(this.buckets) as A[]) this.buckets[action]!.retune(this.table[next][action], now)
  }

  shed(): ShedCounts<A> {
    const zeros = this.zeros()
    return { items: { ...zeros, ...this.shedItems } as Record<A, number>, cost: { ...zeros, ...this.shedCost } as Record<A, number> }
  }

  private bucket(action: A): TokenBucket {
    const found = Object.hasOwn(this.buckets, action) ? this.buckets[action] : undefined
    if (found === undefined) throw new RangeError(`no budget for action ${action}`)
    return found
  }

  private zeros(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const action of Object.keys(this.buckets)) out[action] = 0
    return out
  }
}

/** The budgets of one link (frames, bytes, envelopes, announcements, handshakes). */
export function linkBudgets(tier: TrustTier, now: number, table: BudgetTable<LinkAction> = DEFAULT_LINK_BUDGETS): Budgets<LinkAction> {
  return createBudgets({ table, tier, now })
}

/** The budgets of one remote address (connections, handshakes). */
export function addressBudgets(
  tier: TrustTier,
  now: number,
  table: BudgetTable<AddressAction> = DEFAULT_ADDRESS_BUDGETS,
): Budgets<AddressAction> {
  return createBudgets({ table, tier, now })
}

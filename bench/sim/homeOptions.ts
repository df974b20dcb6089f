/** What a home-relay simulation run takes (runHomeSim, homeSim.ts), and its defaults. */

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

/** The options with their defaults filled in: what the parts of the simulation read. */
export interface HomeConfig {
  readonly users: number
  readonly relays: number
  readonly hours: number
  readonly seed: number
  readonly rate: number
  readonly secondHome: number
  readonly contacts: readonly [number, number]
  readonly reconnect: number
  readonly offlineMs: readonly [number, number]
  readonly abruptFraction: number
  readonly failures: number
  readonly relayDownMs: readonly [number, number]
  readonly loseCustody: number
  readonly warmup: number
  readonly drain: number
  readonly sampleEvery: number
  readonly userDelayMs: readonly [number, number]
  readonly relayDelayMs: readonly [number, number]
  readonly poolLinks: number
  readonly local: number
  readonly contactRelayLinks: boolean
  readonly realAnnouncements: boolean
  readonly gcAtSamples: boolean
  readonly progress: (line: string) => void
}

export function resolveOptions(options: HomeSimOptions): HomeConfig {
  const users = options.users
  const relays = options.relays ?? Math.max(1, Math.round(users / 1000))
  const hours = options.hours ?? 1
  return {
    users,
    relays,
    hours,
    seed: options.seed ?? 1,
    rate: options.messagesPerUserHour ?? 1,
    secondHome: relays > 1 ? (options.secondHomeFraction ?? 0.3) : 0,
    contacts: options.contacts ?? [5, 20],
    reconnect: options.reconnectPerHour ?? 0.1,
    offlineMs: options.offlineMs ?? [60_000, 30 * 60_000],
    abruptFraction: options.abruptFraction ?? 0.5,
    // At least one, so that every scale sees a relay fail (at 10 relays that is 10 % per hour, not 2 %).
    failures: options.relayFailures ?? Math.max(1, Math.round(relays * (options.relayFailuresPerHour ?? 0.02) * hours)),
    relayDownMs: options.relayDownMs ?? [60_000, 10 * 60_000],
    loseCustody: options.loseCustodyFraction ?? 0,
    warmup: options.warmupMs ?? 60_000,
    drain: options.drainMs ?? 40 * 60_000,
    sampleEvery: options.sampleEveryMs ?? 5 * 60_000,
    userDelayMs: options.userDelayMs ?? [20, 100],
    relayDelayMs: options.relayDelayMs ?? [5, 50],
    poolLinks: options.relayPoolLinks ?? 64,
    local: options.localContacts ?? 0,
    contactRelayLinks: options.contactRelayLinks ?? false,
    realAnnouncements: options.routerAnnouncements === 'real',
    gcAtSamples: options.gcAtSamples ?? false,
    progress: options.progress ?? (() => undefined),
  }
}

/**
 * The home-relay simulator's users as data (homeSim.md, "Users are not engines"): keys, home
 * relays, signed reach records and mutual contacts, in typed arrays so that a million fit.
 */
import { toHex } from '../../engine/bytes.ts'
import type { HomeHint } from '../../engine/routing/index.ts'
import { MAX_REACH_LIFETIME_MS, signReachRecord } from '../../engine/reach/index.ts'
import { fakeIdentity, RELAY_TAG, USER_TAG, writeKey } from './homeCrypto.ts'
import type { HomeWorld } from './homeWorld.ts'
import { HOUR, T0 } from './homeWorld.ts'

/** A relay as users' records name it; its index is in its key. */
export interface RelayName {
  readonly index: number
  readonly key: Uint8Array
  readonly hex: string
  readonly address: string
}

export interface Population {
  readonly relays: readonly RelayName[]
  userKey(u: number): Uint8Array
  /** First home relay of each user; second, or -1. */
  readonly homeA: Int32Array
  readonly homeB: Int32Array
  isHomeOf(u: number, r: number): boolean
  /** `u`'s home relays, the first first. */
  homesOf(u: number): number[]
  /** `u`'s signed reach record. */
  recordOf(u: number): Uint8Array
  /** `u`'s home relays as a forwarder's hints. */
  hintsOf(u: number): HomeHint[]
  /** Contacts in CSR form: `u`'s are contactList[contactOffsets[u] .. contactOffsets[u + 1]). */
  readonly contactOffsets: Int32Array
  readonly contactList: Int32Array
  /** Distinct home relays of `u`'s contacts. */
  contactRelaysOf(u: number): number[]
}

export function createPopulation(world: HomeWorld): Population {
  const { rng, crypto } = world
  const { users: N, relays: R, secondHome, local } = world.config
  const [cMin, cMax] = world.config.contacts
  const userKeys = new Uint8Array(32 * N)
  for (let u = 0; u < N; u++) writeKey(userKeys, 32 * u, USER_TAG, u)
  const userKey = (u: number): Uint8Array => userKeys.subarray(32 * u, 32 * u + 32)
  const relays: RelayName[] = []
  for (let r = 0; r < R; r++) {
    const key = new Uint8Array(32)
    writeKey(key, 0, RELAY_TAG, r)
    relays.push({ index: r, key, hex: toHex(key), address: `ws://r${r}.sim` })
  }

  // First home: users spread evenly (users / relays each); second: another relay at random.
  const homeA = new Int32Array(N)
  const homeB = new Int32Array(N).fill(-1)
  for (let u = 0; u < N; u++) {
    homeA[u] = u % R
    if (rng.next() < secondHome) homeB[u] = (u % R + rng.int(1, R - 1)) % R
  }
  const isHomeOf = (u: number, r: number): boolean => homeA[u] === r || homeB[u] === r
  const homesOf = (u: number): number[] => (homeB[u]! >= 0 ? [homeA[u]!, homeB[u]!] : [homeA[u]!])

  // Signed reach records, one buffer for all (a relay's book keeps its own copy of what it accepts).
  const recordOffsets = new Int32Array(N + 1)
  const recordChunks: Uint8Array[] = []
  {
    const issuedAt = T0 - HOUR
    let total = 0
    for (let u = 0; u < N; u++) {
      const bytes = signReachRecord(crypto, fakeIdentity(userKey(u)), {
        seqno: issuedAt,
        issuedAt,
        expiresAt: issuedAt + MAX_REACH_LIFETIME_MS,
        relays: homesOf(u).map((r) => ({ identity: relays[r]!.key, address: relays[r]!.address })),
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

  return {
    relays,
    userKey,
    homeA,
    homeB,
    isHomeOf,
    homesOf,
    recordOf: (u) => recordBuffer.subarray(recordOffsets[u]!, recordOffsets[u + 1]!),
    hintsOf: (u) => {
      const hints = [{ id: relays[homeA[u]!]!.hex, address: relays[homeA[u]!]!.address }]
      if (homeB[u]! >= 0) hints.push({ id: relays[homeB[u]!]!.hex, address: relays[homeB[u]!]!.address })
      return hints
    },
    contactOffsets,
    contactList,
    contactRelaysOf: (u) => {
      const out = new Set<number>()
      for (let i = contactOffsets[u]!; i < contactOffsets[u + 1]!; i++) {
        const c = contactList[i]!
        out.add(homeA[c]!)
        if (homeB[c]! >= 0) out.add(homeB[c]!)
      }
      return [...out]
    },
  }
}

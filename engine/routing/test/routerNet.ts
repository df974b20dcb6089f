/**
 * A network of routers only, for the router tests: links are FIFO queues
 * drained synchronously (`settle`), time is a number the test moves. Names
 * ('A', 'B', …) stand for identities; peer ids are their hex keys.
 */
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { generateIdentity } from '../../identity/identity.ts'
import type { Identity } from '../../identity/identity.ts'
import type { Clock, Crypto } from '../../ports/index.ts'
import type { PublicSignedPrekey } from '../../session/prekeys.ts'
import { parseAnnouncement } from '../announcement.ts'
import { createRouter } from '../router.ts'
import type { Outgoing, Router, RouterInit } from '../router.ts'

export const T0 = 1_700_000_000_000
export const INTERVAL = 30_000

const identities = new Map<string, Identity>()
/** The same identity per name across tests (key generation is the slow part). */
export function identityOf(name: string, crypto: Crypto = nobleCrypto()): Identity {
  let identity = identities.get(name)
  if (!identity) identities.set(name, (identity = generateIdentity(crypto, seededRandom(`router-${name}`))))
  return identity
}

export interface Sent {
  readonly from: string
  readonly to: string
  readonly metric: number
  /** The name of the origin whose announcement the frame carried. */
  readonly origin: string
}

export interface RouterNet {
  readonly routers: Map<string, Router>
  readonly crypto: Crypto
  now: number
  /** Every announce frame delivered so far, by name. */
  readonly log: Sent[]
  id(name: string): string
  name(id: string | null): string | null
  router(name: string): Router
  link(a: string, b: string): void
  cut(a: string, b: string): void
  /** Delivers queued frames (and the frames they trigger) until none is left. */
  settle(afterEach?: () => void): void
  /** Empties the queue without delivering: the frames the routers wanted sent. */
  discard(): { from: string; out: Outgoing }[]
  /** Moves time by `ms` and ticks every router (or those named). */
  tick(ms: number, names?: readonly string[]): void
  /** Next hops from `from` to `to`, as names, until arrival, a dead end or a repeat. */
  path(from: string, to: string): string[]
  /** Sets a node's current prekey (read by its router at every announcement). */
  setPrekey(name: string, prekey: PublicSignedPrekey | null): void
}

export function routerNet(
  names: readonly string[],
  options: { crypto?: Crypto; custodians?: readonly string[]; init?: Partial<RouterInit> } = {},
): RouterNet {
  const crypto = options.crypto ?? nobleCrypto()
  const routers = new Map<string, Router>()
  const ids = new Map<string, string>()
  const byId = new Map<string, string>()
  const prekeys = new Map<string, PublicSignedPrekey | null>()
  const up = new Set<string>()
  const queue: { from: string; out: Outgoing }[] = []
  const key = (a: string, b: string): string => [a, b].sort().join('-')
  const net: RouterNet = {
    routers,
    crypto,
    now: T0,
    log: [],
    id: (name) => ids.get(name)!,
    name: (id) => (id === null ? null : (byId.get(id) ?? `?${id.slice(0, 6)}`)),
    router: (name) => routers.get(name)!,
    link(a, b) {
      up.add(key(a, b))
      for (const [x, y] of [[a, b], [b, a]] as const) push(x, net.router(x).linkUp(net.id(y)))
    },
    cut(a, b) {
      up.delete(key(a, b))
      for (const [x, y] of [[a, b], [b, a]] as const) push(x, net.router(x).linkDown(net.id(y)))
    },
    settle(afterEach) {
      for (let steps = 0; queue.length > 0; steps++) {
        if (steps > 100_000) throw new Error('the routers never went quiet')
        const { from, out } = queue.shift()!
        const to = net.name(out.to)!
        if (!up.has(key(from, to))) continue // the link dropped while the frame was queued
        const origin = net.name(toHex(parseAnnouncement(out.frame.announcement).announcement.origin))!
        net.log.push({ from, to, metric: out.frame.metric, origin })
        push(to, net.router(to).receive(net.id(from), out.frame.announcement, out.frame.metric))
        afterEach?.()
      }
    },
    discard: () => queue.splice(0),
    tick(ms, only = names) {
      net.now += ms
      for (const name of only) push(name, net.router(name).tick(net.now))
    },
    path(from, to) {
      const hops = [from]
      let at = from
      while (at !== to && hops.length <= names.length) {
        const next = net.name(net.router(at).nextHop(net.id(to)))
        if (next === null) break
        hops.push(next)
        at = next
      }
      return hops
    },
    setPrekey: (name, prekey) => void prekeys.set(name, prekey),
  }
  const push = (from: string, outs: readonly Outgoing[]): void => {
    for (const out of outs) queue.push({ from, out })
  }
  const clock: Clock = { now: () => net.now, setTimeout: () => 0, clearTimeout: () => undefined }
  for (const name of names) {
    const self = identityOf(name)
    ids.set(name, toHex(self.signingKey.publicKey))
    byId.set(toHex(self.signingKey.publicKey), name)
    routers.set(
      name,
      createRouter({
        self,
        crypto,
        clock,
        custodian: options.custodians?.includes(name) ?? false,
        prekey: () => prekeys.get(name) ?? null,
        announceIntervalMs: INTERVAL,
        ...options.init,
      }),
    )
  }
  return net
}

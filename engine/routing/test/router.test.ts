import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { SignatureContext, signWithContext } from '../../identity/contexts.ts'
import type { Crypto } from '../../ports/index.ts'
import { createAnnouncement, parseAnnouncement } from '../announcement.ts'
import { DEFAULT_ANNOUNCE_SCOPE } from '../router.ts'
import type { Outgoing } from '../router.ts'
import { RETRACTION_METRIC } from '../../wire/linkFrame.ts'
import { identityOf, INTERVAL, routerNet, T0 } from './routerNet.ts'
import type { RouterNet } from './routerNet.ts'

/** Links every pair in `edges` ('AB' links A and B), then lets the routers converge. */
function build(names: string, edges: readonly string[], options: Parameters<typeof routerNet>[1] = {}): RouterNet {
  const net = routerNet([...names], options)
  for (const [a, b] of edges) net.link(a!, b!)
  net.settle()
  return net
}

const metricOf = (net: RouterNet, from: string, to: string): number | undefined =>
  net.router(from).routes().find((r) => r.destination === net.id(to))?.metric

/** Destinations `from` has a route to, as sorted names. */
const routesOf = (net: RouterNet, from: string): string[] => net.router(from).routes().map((r) => net.name(r.destination)!).sort()

/** A signed prekey of `name` with id `id` (its announcements carry it). */
function prekeyOf(net: RouterNet, name: string, id: number): { id: number; publicKey: Uint8Array; signature: Uint8Array } {
  const spk = { id, publicKey: new Uint8Array(32).fill(id) }
  const message = Uint8Array.of(0, 0, 0, id, ...spk.publicKey)
  return { ...spk, signature: signWithContext(net.crypto, identityOf(name).signingKey.secretKey, SignatureContext.prekey, message) }
}

describe('router', () => {
  it('converges on a chain A–B–C–D: A reaches D through B in 3 hops', () => {
    const net = build('ABCD', ['AB', 'BC', 'CD'])
    expect(net.path('A', 'D')).toEqual(['A', 'B', 'C', 'D'])
    expect(net.path('D', 'A')).toEqual(['D', 'C', 'B', 'A'])
    expect(metricOf(net, 'A', 'D')).toBe(3)
    expect(net.router('A').routes().map((r) => net.name(r.destination)).sort()).toEqual(['B', 'C', 'D'])
    // A fresh seqno wave changes nothing but the seqnos.
    const before = net.router('A').routes().find((r) => r.destination === net.id('D'))!.seqno
    net.tick(INTERVAL)
    net.settle()
    expect(net.path('A', 'D')).toEqual(['A', 'B', 'C', 'D'])
    expect(net.router('A').routes().find((r) => r.destination === net.id('D'))!.seqno).toBeGreaterThan(before)
  })

  it('prefers the shorter of two paths and keeps the current one on a tie', () => {
    const net = build('ABCDE', ['AB', 'BD', 'AC', 'CE', 'ED'])
    expect(net.path('A', 'D')).toEqual(['A', 'B', 'D'])
    const first = net.path('D', 'A')
    for (let i = 0; i < 3; i++) {
      net.tick(INTERVAL)
      net.settle()
      expect(net.path('D', 'A')).toEqual(first)
    }
  })

  it('feasibility prevents the count-to-infinity loop in the classic triangle', () => {
    // A, B, C in a triangle; D hangs off C. When C–D fails, plain distance vector
    // has A and B route to D through each other with ever growing metrics.
    const net = build('ABCD', ['AB', 'BC', 'CA', 'CD'])
    expect([metricOf(net, 'A', 'D'), metricOf(net, 'B', 'D')]).toEqual([2, 2])
    const sent = net.log.length
    let loops = 0
    net.cut('C', 'D')
    net.settle(() => {
      for (const from of 'ABC') {
        const path = net.path(from, 'D')
        if (new Set(path).size !== path.length) loops++
      }
    })
    expect(loops).toBe(0)
    for (const from of 'ABC') expect(net.router(from).nextHop(net.id('D'))).toBeNull()
    // Nobody advertised D with a growing metric, and the exchange was short.
    const after = net.log.slice(sent)
    const finite = after.filter((s) => s.metric !== RETRACTION_METRIC)
    expect(Math.max(0, ...finite.map((s) => s.metric))).toBeLessThanOrEqual(2)
    expect(after.length).toBeLessThan(20)
    // D comes back on a new link to A: one hop from A, two from B and C.
    net.link('A', 'D')
    net.settle()
    expect([metricOf(net, 'A', 'D'), metricOf(net, 'B', 'D'), metricOf(net, 'C', 'D')]).toEqual([1, 2, 2])
  })

  it('propagates a retraction hop by hop when a link drops', () => {
    const net = build('ABCD', ['AB', 'BC', 'CD'])
    const sent = net.log.length
    net.cut('C', 'D')
    net.settle()
    const retractions = net.log.slice(sent).filter((s) => s.metric === RETRACTION_METRIC)
    expect(retractions.map((s) => `${s.from}>${s.to}`)).toEqual(expect.arrayContaining(['C>B', 'B>A']))
    for (const from of 'ABC') expect(net.router(from).nextHop(net.id('D'))).toBeNull()
    expect(net.path('A', 'C')).toEqual(['A', 'B', 'C']) // the rest of the chain is untouched
  })

  it('a new seqno from the origin recovers a route that feasibility starved', () => {
    // A reaches D through B (3 hops) and, longer, through C–X–Z (4 hops).
    const net = build('ABCDXYZ', ['AB', 'BY', 'YD', 'AC', 'CX', 'XZ', 'ZD'])
    expect(net.path('A', 'D')).toEqual(['A', 'B', 'Y', 'D'])
    // B–Y fails. A's remaining route (C advertises 3) is not below A's feasibility
    // distance (3), so taking it could loop: A has no route until D's next seqno.
    net.cut('B', 'Y')
    net.settle()
    expect(net.router('A').nextHop(net.id('D'))).toBeNull()
    net.tick(INTERVAL, ['D'])
    net.settle()
    expect(net.path('A', 'D')).toEqual(['A', 'C', 'X', 'Z', 'D'])
    expect(metricOf(net, 'A', 'D')).toBe(4)
  })

  it('an origin that loses a link re-announces at once, so its neighbours find the way round', () => {
    const net = build('ABC', ['AB', 'BC', 'CA'])
    net.cut('A', 'C')
    net.settle()
    expect(net.path('A', 'C')).toEqual(['A', 'B', 'C'])
    expect(net.path('C', 'A')).toEqual(['C', 'B', 'A'])
  })

  it('expires routes nobody refreshes, and retracts them', () => {
    const net = build('ABC', ['AB', 'BC'])
    expect(net.router('A').routes().length).toBe(2)
    // B and C fall silent (their links stay open): only A ticks, and nothing is delivered.
    const retracted: string[] = []
    for (let t = 0; t < 4; t++) {
      net.tick(INTERVAL, ['A'])
      for (const { out } of net.discard()) if (out.frame.metric === RETRACTION_METRIC) retracted.push(net.name(out.to)!)
    }
    expect(net.router('A').routes()).toEqual([])
    expect(retracted).toEqual(['B']) // A's route to C went through B: B hears it is gone
    expect(net.router('A').nextHop(net.id('B'))).toBe(net.id('B')) // still a neighbour
    expect(net.router('A').nextHop(net.id('C'))).toBeNull()
  })

  it('dumps every route to a new neighbour at once', () => {
    const net = build('ABCDE', ['AB', 'BC', 'CD'])
    expect(net.router('E').routes()).toEqual([])
    net.link('D', 'E')
    net.settle()
    expect(net.path('E', 'A')).toEqual(['E', 'D', 'C', 'B', 'A'])
    expect(net.path('A', 'E')).toEqual(['A', 'B', 'C', 'D', 'E'])
  })

  it('counts links per neighbour: a reconnect that opens before the old link closes keeps the routes', () => {
    const net = build('ABC', ['AB', 'BC'])
    net.routers.get('A')!.linkUp(net.id('B'))
    expect(net.router('A').linkDown(net.id('B'))).toEqual([])
    expect(net.path('A', 'C')).toEqual(['A', 'B', 'C'])
  })

  it('verifies each (origin, seqno) once per node, however many neighbours repeat it', () => {
    let verifies = 0
    const inner = nobleCrypto()
    const crypto: Crypto = { ...inner, ed25519Verify: (...args) => (verifies++, inner.ed25519Verify(...args)) }
    const net = build('ABCDE', ['AB', 'AC', 'AD', 'AE', 'BC', 'BD', 'BE', 'CD', 'CE', 'DE'], { crypto })
    // Full mesh of 5: every node hears every other origin from 4 neighbours.
    expect(verifies).toBe(5 * 4)
    verifies = 0
    net.tick(INTERVAL)
    net.settle()
    expect(verifies).toBe(5 * 4)
    expect(net.log.length).toBeGreaterThan(5 * 4 * 2)
  })

  it('lists custodians nearest first and keeps the latest prekey of each origin', () => {
    const net = routerNet([...'ABCD'], { custodians: ['B', 'D'] })
    const prekey = (id: number): ReturnType<typeof prekeyOf> => prekeyOf(net, 'D', id)
    net.setPrekey('D', prekey(1))
    // A relay passes no route on: D is two hops away over C, a plain mesh node, not over B.
    for (const [a, b] of ['AB', 'AC', 'CD']) net.link(a!, b!)
    net.settle()
    expect(net.router('A').custodians().map((id) => net.name(id))).toEqual(['B', 'D'])
    expect(metricOf(net, 'A', 'D')).toBe(2)
    expect(net.router('A').prekeyOf(net.id('D'))?.id).toBe(1)
    expect(net.router('A').prekeyOf(net.id('C'))).toBeNull()
    net.setPrekey('D', prekey(2))
    net.tick(1000) // a new prekey is announced at the next tick, not the next interval
    net.settle()
    expect(net.router('A').prekeyOf(net.id('D'))?.id).toBe(2)
  })

  it('refuses a forged announcement with a typed error and changes nothing', () => {
    const net = build('AB', ['AB'])
    const routes = net.router('A').routes()
    const forged = createAnnouncement(net.crypto, identityOf('C'), { seqno: 5, issuedAt: T0, custodian: true, prekey: null })
    forged.set(identityOf('D').signingKey.publicKey, 1) // claims to be D
    expect(() => net.router('A').receive(net.id('B'), forged, 1)).toThrow(
      expect.objectContaining({ name: 'BadAnnouncementSignatureError' }),
    )
    expect(() => net.router('A').receive(net.id('B'), forged.subarray(0, 50), 1)).toThrow(
      expect.objectContaining({ name: 'MalformedError' }),
    )
    expect(() => net.router('A').receive(net.id('B'), forged, 0x10000)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    expect(net.router('A').routes()).toEqual(routes)
    expect(net.router('A').nextHop(net.id('D'))).toBeNull()
  })

  it('keeps at most maxOrigins destinations: announcements from new origins past it are ignored', () => {
    const net = build('ABCD', ['AB', 'BC', 'CD'], { init: { maxOrigins: 2 } })
    expect(net.router('A').routes().map((r) => net.name(r.destination)).sort()).toEqual(['B', 'C'])
    expect(net.router('A').nextHop(net.id('D'))).toBeNull()
  })

  it('ignores frames from a peer with no open link, and its own announcement coming back', () => {
    const net = build('ABC', ['AB'])
    const fromC = createAnnouncement(net.crypto, identityOf('C'), { seqno: 1, issuedAt: T0, custodian: false, prekey: null })
    expect(net.router('A').receive(net.id('C'), fromC, 0)).toEqual([])
    const own = createAnnouncement(net.crypto, identityOf('A'), { seqno: 2 ** 32 - 1, issuedAt: T0, custodian: false, prekey: null })
    expect(net.router('A').receive(net.id('B'), own, 1)).toEqual([])
    expect(net.router('A').routes().map((r) => net.name(r.destination))).toEqual(['B'])
  })
})

describe('router scope (issue 11: a local mesh that stays local)', () => {
  it('a custodian announces itself, learns its neighbourhood and passes no other origin on: no dump, no update, no retraction', () => {
    // A – R – B – C, R a relay; E joins C later, D links to R later.
    const edges = ['AR', 'RB', 'BC']
    const plain = build('ABCDER', edges)
    expect(plain.path('A', 'C')).toEqual(['A', 'R', 'B', 'C']) // the same line of plain nodes routes end to end
    const net = build('ABCDER', edges, { custodians: ['R'] })
    const foreign = (): string[] => net.log.filter((s) => s.from === 'R' && s.origin !== 'R').map((s) => `${s.origin}>${s.to}`)
    expect(routesOf(net, 'R')).toEqual(['A', 'B', 'C'])
    expect(metricOf(net, 'R', 'C')).toBe(2)
    expect(routesOf(net, 'A')).toEqual(['R'])
    expect(routesOf(net, 'B')).toEqual(['C', 'R'])
    expect(net.router('A').nextHop(net.id('C'))).toBeNull()
    expect(net.router('C').nextHop(net.id('A'))).toBeNull()
    expect(foreign()).toEqual([])

    // A new neighbour's full dump is R's own announcement only.
    net.link('R', 'D')
    const dump = net.discard().filter((q) => q.from === 'R')
    expect(dump.length).toBeGreaterThan(0)
    expect(dump.map((q) => net.name(toHex(parseAnnouncement(q.out.frame.announcement).announcement.origin)))).toEqual(dump.map(() => 'R'))
    net.cut('R', 'D')
    net.link('R', 'D')
    net.settle()
    expect(routesOf(net, 'D')).toEqual(['R'])

    // A new origin behind B: R learns it (3 hops, in scope) and tells nobody.
    net.link('C', 'E')
    net.settle()
    expect(metricOf(net, 'R', 'E')).toBe(3)
    expect(net.router('A').nextHop(net.id('E'))).toBeNull()
    expect(net.router('D').nextHop(net.id('E'))).toBeNull()
    // A fresh seqno wave, then a lost link: R passes on neither, and retracts nothing it never advertised.
    net.tick(INTERVAL)
    net.settle()
    const sent = net.log.length
    net.cut('B', 'C')
    net.settle()
    expect(net.router('R').nextHop(net.id('C'))).toBeNull()
    expect(net.router('R').nextHop(net.id('E'))).toBeNull()
    expect(net.log.slice(sent).filter((s) => s.from === 'R')).toEqual([])
    expect(foreign()).toEqual([])
    expect(routesOf(net, 'A')).toEqual(['R'])
  })

  it('scope 2 on a line A–B–C–D: the ends keep no route to each other, the rest is selected and retracted when a link goes', () => {
    const net = build('ABCD', ['AB', 'BC', 'CD'], { init: { scopeHops: 2 } })
    expect(routesOf(net, 'A')).toEqual(['B', 'C'])
    expect(routesOf(net, 'D')).toEqual(['B', 'C'])
    expect(routesOf(net, 'B')).toEqual(['A', 'C', 'D'])
    expect(net.path('A', 'C')).toEqual(['A', 'B', 'C'])
    expect(metricOf(net, 'A', 'C')).toBe(2)
    expect(net.router('A').nextHop(net.id('D'))).toBeNull()
    expect(net.router('D').nextHop(net.id('A'))).toBeNull()
    // A route is passed on only below the scope, so that it arrives within it.
    const finite = net.log.filter((s) => s.metric !== RETRACTION_METRIC)
    expect(Math.max(...finite.map((s) => s.metric))).toBe(1)
    expect(finite.filter((s) => s.to === 'A' && s.origin === 'D')).toEqual([])

    const sent = net.log.length
    net.cut('B', 'C')
    net.settle()
    const retractions = net.log.slice(sent).filter((s) => s.metric === RETRACTION_METRIC)
    expect(retractions.map((s) => `${s.origin}:${s.from}>${s.to}`)).toEqual(expect.arrayContaining(['C:B>A', 'B:C>D']))
    // D's route was never advertised to A: nothing to retract there.
    expect(retractions.filter((s) => s.to === 'A' && s.origin === 'D')).toEqual([])
    expect(routesOf(net, 'A')).toEqual(['B'])
    expect(routesOf(net, 'D')).toEqual(['C'])
  })

  it('the default scope keeps an origin four hops away and drops one five hops away', () => {
    expect(DEFAULT_ANNOUNCE_SCOPE).toBe(4)
    const net = build('ABCDEF', ['AB', 'BC', 'CD', 'DE', 'EF'])
    expect(routesOf(net, 'A')).toEqual(['B', 'C', 'D', 'E'])
    expect(metricOf(net, 'A', 'E')).toBe(4)
    expect(net.router('A').nextHop(net.id('F'))).toBeNull()
    expect(net.router('F').nextHop(net.id('A'))).toBeNull()
  })

  it('a route that grows out of scope is retracted from the neighbours that had it, and one past scope is not kept', () => {
    // X hears O from N and passes it on to Y; O is not a router here, its announcements are made by hand.
    const net = routerNet([...'NXY'], { init: { scopeHops: 3 } })
    net.link('N', 'X')
    net.link('X', 'Y')
    net.settle()
    const x = net.router('X')
    const y = net.router('Y')
    const toY = (outs: Outgoing[]): Outgoing[] => outs.filter((o) => o.to === net.id('Y'))
    const deliver = (outs: Outgoing[]): void => {
      for (const o of toY(outs)) y.receive(net.id('X'), o.frame.announcement, o.frame.metric)
    }
    const announce = (seqno: number, custodian = false, prekey: ReturnType<typeof prekeyOf> | null = null): Uint8Array =>
      createAnnouncement(net.crypto, identityOf('O'), { seqno, issuedAt: net.now, custodian, prekey })
    const O = toHex(identityOf('O').signingKey.publicKey)

    let outs = x.receive(net.id('N'), announce(1), 1)
    expect(toY(outs).map((o) => o.frame.metric)).toEqual([2])
    deliver(outs)
    expect(y.nextHop(O)).toBe(net.id('X'))

    // A newer seqno over a longer way: 3 hops at X, its scope. X keeps it and uses it, but Y would
    // hear it at 4: X retracts what Y holds.
    outs = x.receive(net.id('N'), announce(2), 2)
    expect(x.nextHop(O)).toBe(net.id('N'))
    expect(toY(outs).map((o) => o.frame.metric)).toEqual([RETRACTION_METRIC])
    deliver(outs)
    expect(y.nextHop(O)).toBeNull()
    // Back within scope: every neighbour but the next hop hears it again.
    outs = x.receive(net.id('N'), announce(3), 1)
    expect(outs.map((o) => [net.name(o.to), o.frame.metric])).toEqual([['Y', 2]])
    deliver(outs)
    expect(y.nextHop(O)).toBe(net.id('X'))

    // Past scope (4 hops at X): like a retraction of N's route; nothing of it is kept, not its prekey.
    outs = x.receive(net.id('N'), announce(4, true, prekeyOf(net, 'O', 9)), 3)
    expect(x.nextHop(O)).toBeNull()
    expect(x.routes().some((r) => r.destination === O)).toBe(false)
    expect(x.prekeyOf(O)).toBeNull()
    expect(toY(outs).map((o) => o.frame.metric)).toEqual([RETRACTION_METRIC])
    deliver(outs)
    expect(y.nextHop(O)).toBeNull()
    // A route never advertised is not retracted: O at 3 hops, then lost.
    expect(toY(x.receive(net.id('N'), announce(5), 2))).toEqual([])
    expect(x.nextHop(O)).toBe(net.id('N'))
    const lost = x.linkDown(net.id('N')).filter((o) => o.frame.metric === RETRACTION_METRIC)
    expect(lost.map((o) => net.name(toHex(parseAnnouncement(o.frame.announcement).announcement.origin)))).toEqual(['N']) // N's own route only
  })

  it('refuses a scope that is not a hop count', () => {
    for (const scopeHops of [0, 1.5, RETRACTION_METRIC]) expect(() => routerNet(['A'], { init: { scopeHops } })).toThrow(RangeError)
  })
})

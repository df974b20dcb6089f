import { describe, expect, it } from 'vitest'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import { SignatureContext, signWithContext } from '../../identity/contexts.ts'
import type { Crypto } from '../../ports/index.ts'
import { createAnnouncement } from '../announcement.ts'
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
    const prekey = (id: number): { id: number; publicKey: Uint8Array; signature: Uint8Array } => {
      const spk = { id, publicKey: new Uint8Array(32).fill(id) }
      const message = Uint8Array.of(0, 0, 0, id, ...spk.publicKey)
      return { ...spk, signature: signWithContext(net.crypto, identityOf('D').signingKey.secretKey, SignatureContext.prekey, message) }
    }
    net.setPrekey('D', prekey(1))
    for (const [a, b] of ['AB', 'BC', 'CD']) net.link(a!, b!)
    net.settle()
    expect(net.router('A').custodians().map((id) => net.name(id))).toEqual(['B', 'D'])
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

/**
 * Random topologies, link churn, scopes and custodians: the next-hop graph
 * never has a loop, not even while updates are in flight, and once the links
 * stay put and the origins announce again every node reaches every other it
 * can by a shortest path (hop count), and none keeps a route to one it cannot.
 * "Can" is issue 11's rule: within `scopeHops` hops, over a path whose inner
 * nodes are plain mesh nodes (a custodian passes no route on).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeCrypto } from '../../../native/node/nodeCrypto.ts'
import { INTERVAL, routerNet } from './routerNet.ts'

const NAMES = [...'ABCDEF']
const PAIRS = NAMES.flatMap((a, i) => NAMES.slice(i + 1).map((b) => [a, b] as const))
const crypto = nodeCrypto()

/**
 * Hop counts from `from` over the links in `up` (breadth first), at most `scope`
 * hops and passing on from `from` itself and non-custodians only.
 */
function distances(from: string, up: ReadonlySet<string>, scope = Infinity, custodians: ReadonlySet<string> = new Set()): Map<string, number> {
  const dist = new Map([[from, 0]])
  const queue = [from]
  while (queue.length > 0) {
    const at = queue.shift()!
    if (dist.get(at)! >= scope || (at !== from && custodians.has(at))) continue
    for (const [a, b] of PAIRS) {
      if (!up.has(a + b)) continue
      const next = a === at ? b : b === at ? a : null
      if (next !== null && !dist.has(next)) {
        dist.set(next, dist.get(at)! + 1)
        queue.push(next)
      }
    }
  }
  return dist
}

const step = fc.oneof(
  fc.record({ op: fc.constant('toggle' as const), pair: fc.integer({ min: 0, max: PAIRS.length - 1 }) }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 500, max: 40_000 }) }),
)

describe('router properties', () => {
  it('never loops under churn, and converges to shortest paths', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: PAIRS.length - 1 }), { minLength: 4, maxLength: 10 }),
        fc.array(step, { maxLength: 14 }),
        // 5 spans any path of 6 nodes: the whole mesh; 1 only neighbours.
        fc.integer({ min: 1, max: 5 }),
        fc.subarray(NAMES, { maxLength: 3 }),
        (initial, steps, scopeHops, custodianList) => {
          const custodians = new Set(custodianList)
          const net = routerNet(NAMES, { crypto, custodians: custodianList, init: { scopeHops } })
          const up = new Set<string>()
          // Checked after every delivered frame, so plain code rather than expect().
          const noLoops = (): void => {
            for (const to of NAMES) {
              const id = net.id(to)
              const next = new Map(NAMES.map((n) => [n, n === to ? null : net.name(net.router(n).nextHop(id))]))
              for (const from of NAMES) {
                let at: string | null | undefined = from
                for (let hops = 0; at != null && at !== to; hops++) {
                  if (hops > NAMES.length) throw new Error(`routing loop toward ${to}: ${net.path(from, to).join(' ')}`)
                  at = next.get(at)
                }
              }
            }
          }
          const toggle = (index: number): void => {
            const [a, b] = PAIRS[index]!
            if (up.delete(a + b)) net.cut(a, b)
            else {
              up.add(a + b)
              net.link(a, b)
            }
          }
          for (const index of initial) toggle(index)
          net.settle(noLoops)
          for (const s of steps) {
            if (s.op === 'toggle') toggle(s.pair)
            else net.tick(s.ms)
            net.settle(noLoops)
          }
          // Quiet links for four intervals: past every route's expiry (3.5 intervals).
          for (let i = 0; i < 4; i++) {
            net.tick(INTERVAL)
            net.settle(noLoops)
          }
          for (const origin of NAMES) {
            // Routes run against announcements: from each origin outwards.
            const dist = distances(origin, up, scopeHops, custodians)
            for (const from of NAMES) {
              if (from === origin) continue
              const to = origin
              const route = net.router(from).routes().find((r) => r.destination === net.id(to))
              expect(route?.metric, `${from}→${to}`).toBe(dist.get(from))
              if (dist.has(from)) expect(net.path(from, to).at(-1)).toBe(to)
              else expect(net.router(from).nextHop(net.id(to))).toBeNull()
            }
          }
        },
      ),
      { numRuns: 40 },
    )
  })
})

/**
 * Chat over a chain of mesh nodes, as in test/integration/chain.test.ts: Alice
 * and Bob are engines at the two ends of k forwarding nodes (startMesh, not
 * custodians, listening on `mem://relay-i`, each dialling the next) on one
 * in-memory network. k nodes make a path of k + 1 links: k = 1 is the `memory`
 * scenario's shape (Alice – R1 – Bob), k = 4 is Alice – R1 – R2 – R3 – R4 – Bob.
 * Routes come from announcements; the timed phases start only once the nodes at
 * both ends have a next hop towards the far engine. Then the chat scenarios' own
 * throughput and latency phases (Bob → Alice), per k.
 *
 * The nodes are plain mesh nodes because the figure is hop-by-hop forwarding
 * along routes: a custodian (relay) passes no route but its own on (issue 11),
 * so a chain of relays would give the ends no route to each other. The end
 * nodes reach the far engine within the default announcement scope (k ≤ 4
 * hops); each engine's own mail goes to its node as its relay link.
 */
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import { createMemoryNetwork } from '../../engine/transport/index.ts'
import { DEFAULT_LINK_BUDGETS, scaleBudgets } from '../../engine/routing/tokenBucket.ts'
import { startMesh } from '../../workers/startMesh.ts'
import type { Mesh } from '../../workers/startMesh.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { createChatPair, waitUntil } from '../lib/chatPair.ts'
import { runChat } from '../lib/chatScenario.ts'
import type { ChatRaw } from '../lib/chatScenario.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { round } from '../lib/stats.ts'
import type { Metric } from '../lib/table.ts'

/** Relay counts; links on the Alice–Bob path = relays + 1. */
export const HOP_RELAYS = [1, 2, 4] as const
const CONVERGE_LIMIT_MS = 15_000

export interface HopsRun extends ChatRaw {
  readonly relays: number
  readonly links: number
  /** Untimed: from both engines' links open until the end relays had routes to the far engines. */
  readonly convergeMs: number
  /** Envelopes each relay forwarded over the whole run (Alice's and Bob's traffic, receipts included). */
  readonly forwarded: readonly number[]
}

export interface HopsRaw {
  readonly runs: readonly HopsRun[]
}

async function runChain(relayCount: number, quick: boolean): Promise<{ metrics: Metric[]; run: HopsRun }> {
  const network = createMemoryNetwork()
  const crypto = nobleCrypto()
  const random = systemRandom()
  const clock = systemClock()
  const relays: Mesh[] = []
  const listeners: Array<{ close(): Promise<void> | void }> = []
  try {
    for (let i = 1; i <= relayCount; i++) {
      const transport = network.transport()
      const mesh = startMesh({ crypto, random, clock, transport }, {
        identity: generateIdentity(crypto, random),
        // Not a custodian: a relay would pass on no route but its own (see the header).
        custodian: false,
        deliverLocal: () => {},
        // Budgets scaled ×100: the figure is forwarding, not the defence (see wsRelayChat.ts).
        defence: { budgets: scaleBudgets(DEFAULT_LINK_BUDGETS, 100) },
      })
      relays.push(mesh)
      listeners.push(await transport.listen!(`mem://relay-${i}`, (link) => mesh.accept(link)))
    }
    for (let i = 1; i < relayCount; i++) relays[i - 1]!.connect(`mem://relay-${i + 1}`)
    const first = relays[0]!
    const last = relays[relayCount - 1]!
    let convergeMs = 0
    const pair = await createChatPair(() => network.transport(), 'mem://relay-1', {
      bobRelay: `mem://relay-${relayCount}`,
      async ready({ aliceId, bobId }) {
        const start = performance.now()
        await waitUntil(
          `routes to converge over ${relayCount} relays`,
          () => first.plane.router.nextHop(bobId) !== null && last.plane.router.nextHop(aliceId) !== null,
          CONVERGE_LIMIT_MS,
        )
        convergeMs = performance.now() - start
      },
    })
    try {
      const { metrics, raw } = await runChat(pair, quick)
      const label = `${relayCount} relay${relayCount === 1 ? '' : 's'} (${relayCount + 1} links)`
      return {
        metrics: metrics.map((m) => ({ ...m, metric: `${label}: ${m.metric}` })),
        run: {
          ...raw,
          relays: relayCount,
          links: relayCount + 1,
          convergeMs: round(convergeMs),
          forwarded: relays.map((r) => r.forwarder.stats().forwarded),
        },
      }
    } finally {
      await pair.shutdown()
    }
  } finally {
    for (const r of relays) r.stop()
    for (const l of listeners) await l.close()
  }
}

export async function runHops(options: ScenarioOptions = {}): Promise<ScenarioResult<HopsRaw>> {
  const metrics: Metric[] = []
  const runs: HopsRun[] = []
  for (const k of HOP_RELAYS) {
    const r = await runChain(k, options.quick ?? false)
    metrics.push(...r.metrics)
    runs.push(r.run)
  }
  return { name: 'hops', metrics, raw: { runs } }
}

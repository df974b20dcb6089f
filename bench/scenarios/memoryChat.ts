/**
 * Two engines and a relay node in one process on the in-memory network: every
 * layer but sockets (sealing, link Noise, framing, routing, stores, events).
 */
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import type { Link, Transport } from '../../engine/ports/index.ts'
import { createMemoryNetwork } from '../../engine/transport/index.ts'
import { DEFAULT_LINK_BUDGETS, scaleBudgets } from '../../engine/routing/tokenBucket.ts'
import { startMesh } from '../../workers/startMesh.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { createChatPair } from '../lib/chatPair.ts'
import { runChat } from '../lib/chatScenario.ts'
import type { ChatRaw } from '../lib/chatScenario.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'

/** The address engines are given: `Engine.connect` takes ws:// addresses only. */
const RELAY_ADDRESS = 'ws://relay.bench/link'

/** A memory transport that dials `ws://<host>/…` as `mem://<host>`. */
function aliasWsToMemory(inner: Transport): Transport {
  return { dial: (address: string): Promise<Link> => inner.dial(`mem://${new URL(address).host}`) }
}

export async function runMemoryChat(options: ScenarioOptions = {}): Promise<ScenarioResult<ChatRaw>> {
  const network = createMemoryNetwork()
  const crypto = nobleCrypto()
  const random = systemRandom()
  const relayTransport = network.transport()
  const relay = startMesh(
    { crypto, random, clock: systemClock(), transport: relayTransport },
    // Budgets scaled ×100: the figure is forwarding, not the defence (see wsRelayChat.ts).
    { identity: generateIdentity(crypto, random), deliverLocal: () => {}, defence: { budgets: scaleBudgets(DEFAULT_LINK_BUDGETS, 100) } },
  )
  const listener = await relayTransport.listen!(`mem://${new URL(RELAY_ADDRESS).host}`, (link) => relay.accept(link))
  try {
    const pair = await createChatPair(() => aliasWsToMemory(network.transport()), RELAY_ADDRESS)
    try {
      const { metrics, raw } = await runChat(pair, options.quick ?? false)
      return { name: 'memory', metrics, raw }
    } finally {
      await pair.shutdown()
    }
  } finally {
    relay.stop()
    await listener.close()
  }
}

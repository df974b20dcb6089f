/**
 * The relay daemon in its own process; Alice and Bob in this one, on the Node ws
 * transport over 127.0.0.1. Adds sockets, ws framing and a second process (and
 * thus, on two cores, a second core) to the memory scenario.
 */
import { createWsTransport } from '../../native/node/wsTransport.ts'
import { createChatPair } from '../lib/chatPair.ts'
import { runChat } from '../lib/chatScenario.ts'
import type { ChatRaw } from '../lib/chatScenario.ts'
import { startRelayProcess } from '../lib/relayProcess.ts'
import type { RelayExit } from '../lib/relayProcess.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'

export interface WsRelayRaw extends ChatRaw {
  readonly relayExit: RelayExit
  /** The relay's /healthz after the run: its forwarding counters. */
  readonly relayHealth: unknown
}

export async function runWsRelayChat(options: ScenarioOptions = {}): Promise<ScenarioResult<WsRelayRaw>> {
  // One link here carries thousands of messages a second, far past a stranger's budget (200
  // envelopes/s, engine/routing/tokenBucket.ts): the budgets are scaled so the figure is the
  // relay's forwarding, not its defence (bench attack-flood measures that).
  const relay = await startRelayProcess(10_000, { LINK_BUDGET_SCALE: '100' })
  let chat: Awaited<ReturnType<typeof runChat>> | undefined
  let relayHealth: unknown = null
  let exit: RelayExit | undefined
  try {
    const pair = await createChatPair(() => createWsTransport(), relay.linkUrl)
    try {
      chat = await runChat(pair, options.quick ?? false)
      relayHealth = await fetch(`${relay.httpUrl}/healthz`).then((r) => r.json() as Promise<unknown>)
    } finally {
      await pair.shutdown()
    }
  } finally {
    exit = await relay.stop()
  }
  if (!exit.clean) throw new Error(`relay (pid ${relay.pid}) ignored SIGTERM and was killed`)
  return { name: 'ws-relay', metrics: chat.metrics, raw: { ...chat.raw, relayExit: exit, relayHealth } }
}

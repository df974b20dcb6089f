/**
 * End-to-end session throughput: 256-byte messages sealed by Alice and opened by
 * Bob through one established Double Ratchet session (X3DH done, first reply
 * received, so Alice sends ordinary ratchet messages on one chain), per Crypto
 * provider. Messages go in batches of 64, as link frames carry them; every one
 * has its own associated data, as the envelope header gives it. The timed region
 * is encryptMessage + decryptMessage only (no store, no link). A second mode
 * measures what the messenger does with a burst: 64 messages encoded as one
 * batch (encodeMessageBatch) sealed as one session message.
 */
import { equals } from '../../engine/bytes.ts'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import type { Identity } from '../../engine/identity/index.ts'
import type { Crypto } from '../../engine/ports/index.ts'
import {
  createOutboundSession,
  createPrekeySecrets,
  decryptMessage,
  encryptMessage,
  generateSignedPrekey,
  prekeyBundleOf,
} from '../../engine/session/index.ts'
import type { PrekeySecrets, SessionState } from '../../engine/session/index.ts'
import { decodeMessageBatch, encodeMessageBatch } from '../../engine/wire/index.ts'
import type { BatchedMessage } from '../../engine/wire/index.ts'
import { nodeCrypto } from '../../native/node/nodeCrypto.ts'
import { systemRandom } from '../../workers/systemPorts.ts'
import type { ScenarioOptions, ScenarioResult } from '../lib/result.ts'
import { median, round } from '../lib/stats.ts'

const BATCH = 64
const TEXT_BYTES = 256
const TIME_LIMIT_MS = 8_000

export interface SessionRaw {
  readonly providers: Record<string, { messages: number; sealMs: number; openMs: number; batchMsgPerSec: number[] }>
  /** The messenger's way: a burst of 64 messages sealed as one envelope (one ratchet message). */
  readonly enveloped: Record<string, { messages: number; batchMsgPerSec: number[] }>
}

interface Pair {
  alice: SessionState
  bob: SessionState
  bobIdentity: Identity
  bobSecrets: PrekeySecrets
}

/** Alice starts from Bob's bundle; Bob answers once so Alice's next messages are plain ratchet messages. */
function establish(crypto: Crypto): Pair {
  const random = systemRandom()
  const aliceIdentity = generateIdentity(crypto, random)
  const bobIdentity = generateIdentity(crypto, random)
  const bobSecrets = createPrekeySecrets(generateSignedPrekey(crypto, random, bobIdentity, 1))
  const ad = new Uint8Array(56)
  let alice = createOutboundSession(crypto, random, aliceIdentity, prekeyBundleOf(bobIdentity, bobSecrets, 0))
  const first = encryptMessage(crypto, random, alice, new Uint8Array(8), ad)
  alice = first.state
  const opened = decryptMessage(crypto, random, bobIdentity, bobSecrets, { candidates: () => [] }, first.message, ad)
  const reply = encryptMessage(crypto, random, opened.state, new Uint8Array(8), ad)
  const back = decryptMessage(crypto, random, aliceIdentity, createPrekeySecrets(generateSignedPrekey(crypto, random, aliceIdentity, 1)), { candidates: () => [alice] }, reply.message, ad)
  return { alice: back.state, bob: reply.state, bobIdentity, bobSecrets }
}

function measure(crypto: Crypto, total: number): SessionRaw['providers'][string] {
  const random = systemRandom()
  const pair = establish(crypto)
  const text = random.bytes(TEXT_BYTES)
  const ads = Array.from({ length: BATCH }, (_, i) => Uint8Array.of(1, i, ...random.bytes(54)))
  let sealMs = 0
  let openMs = 0
  let messages = 0
  const batchMsgPerSec: number[] = []
  const start = performance.now()
  while (messages < total && performance.now() - start < TIME_LIMIT_MS) {
    const t0 = performance.now()
    const sealed: Uint8Array[] = []
    for (const ad of ads) {
      const out = encryptMessage(crypto, random, pair.alice, text, ad)
      pair.alice = out.state
      sealed.push(out.message)
    }
    const t1 = performance.now()
    for (let i = 0; i < sealed.length; i++) {
      const out = decryptMessage(crypto, random, pair.bobIdentity, pair.bobSecrets, { candidates: () => [pair.bob] }, sealed[i]!, ads[i]!)
      if (!equals(out.plaintext, text)) throw new Error('session: opened a different plaintext')
      pair.bob = out.state
    }
    const t2 = performance.now()
    sealMs += t1 - t0
    openMs += t2 - t1
    messages += BATCH
    batchMsgPerSec.push((BATCH / (t2 - t0)) * 1000)
  }
  return { messages, sealMs: round(sealMs), openMs: round(openMs), batchMsgPerSec: batchMsgPerSec.map((v) => round(v, 0)) }
}

/** 64 text bodies per session message, encoded and decoded as the messenger does (encodeMessageBatch). */
function measureEnveloped(crypto: Crypto, total: number): SessionRaw['enveloped'][string] {
  const random = systemRandom()
  const pair = establish(crypto)
  const sender = { identity: random.bytes(32), binding: random.bytes(64) }
  const text = 'x'.repeat(TEXT_BYTES)
  const items: BatchedMessage[] = Array.from({ length: BATCH }, () => ({
    id: random.bytes(16),
    body: { type: 'text', sender, sentAt: Date.now(), text },
  }))
  const ad = random.bytes(56)
  let messages = 0
  const batchMsgPerSec: number[] = []
  const start = performance.now()
  while (messages < total && performance.now() - start < TIME_LIMIT_MS) {
    const t0 = performance.now()
    const out = encryptMessage(crypto, random, pair.alice, encodeMessageBatch(items), ad)
    pair.alice = out.state
    const opened = decryptMessage(crypto, random, pair.bobIdentity, pair.bobSecrets, { candidates: () => [pair.bob] }, out.message, ad)
    pair.bob = opened.state
    if (decodeMessageBatch(opened.plaintext).length !== BATCH) throw new Error('session: lost messages in a batch')
    batchMsgPerSec.push((BATCH / (performance.now() - t0)) * 1000)
    messages += BATCH
  }
  return { messages, batchMsgPerSec: batchMsgPerSec.map((v) => round(v, 0)) }
}

export async function runSession(options: ScenarioOptions = {}): Promise<ScenarioResult<SessionRaw>> {
  const total = options.quick ? BATCH * 4 : BATCH * 400
  const providers: SessionRaw['providers'] = {}
  const enveloped: SessionRaw['enveloped'] = {}
  const metrics = []
  for (const crypto of (process.env.PROVIDER === 'node' ? [nodeCrypto()] : [nodeCrypto(), nobleCrypto()])) {
    const r = measure(crypto, total)
    providers[crypto.name] = r
    metrics.push(
      { metric: `${crypto.name}: sealed+opened, median of batches`, value: median(r.batchMsgPerSec), unit: 'msg/s' },
      { metric: `${crypto.name}: seal only`, value: (r.messages / r.sealMs) * 1000, unit: 'msg/s' },
      { metric: `${crypto.name}: open only`, value: (r.messages / r.openMs) * 1000, unit: 'msg/s' },
    )
    const e = measureEnveloped(crypto, total * 4)
    enveloped[crypto.name] = e
    metrics.push({ metric: `${crypto.name}: sealed+opened, 64 per envelope`, value: median(e.batchMsgPerSec), unit: 'msg/s' })
  }
  return { name: 'session', metrics, raw: { providers, enveloped } }
}

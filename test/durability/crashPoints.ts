/**
 * Crash points for the kill -9 test: wrappers around the sender's Store, Transport
 * and Crypto ports that count the four steps of a message's way out and kill this
 * process with a real SIGKILL at the n-th occurrence of the chosen one. Nothing in
 * the engine knows about them: they sit where the host hands the engine its ports.
 *
 *   before-outbox-write  a store.batch that creates an `outbox/` record, before it is applied
 *   after-outbox-write   that batch, after it resolved (durable, maybe not yet sent)
 *   after-send           a link `send` of a frame carrying one of our outbox envelopes, after it returned
 *   after-receipt        a store.batch deleting an `outbox/` record (an end-to-end receipt), after it resolved
 *
 * "Creates" means a key not held before: the outbox record is also rewritten on
 * every attempt (its counter) and on custody (relayed); those rewrites are not
 * the durable enqueue this step is about, so they do not count.
 */
import { toHex } from '../../engine/bytes.ts'
import type { Crypto, Link, Store, StoreOp, Transport } from '../../engine/ports/index.ts'
import { decodeEnvelope, decodeLinkFrame } from '../../engine/wire/index.ts'

export type CrashStep = 'before-outbox-write' | 'after-outbox-write' | 'after-send' | 'after-receipt'

export const CRASH_STEPS: readonly CrashStep[] = ['before-outbox-write', 'after-outbox-write', 'after-send', 'after-receipt']

export interface CrashPlan {
  readonly step: CrashStep
  /** 1-based occurrence of `step` at which the process dies. */
  readonly n: number
}

/** `CRASH_AT=<step>:<n>`; null when unset or empty (a run without a crash point). */
export function parseCrashAt(value: string | undefined): CrashPlan | null {
  if (!value) return null
  const [step, count] = value.split(':')
  const n = Number(count)
  if (!CRASH_STEPS.includes(step as CrashStep) || !Number.isInteger(n) || n < 1) {
    throw new Error(`CRASH_AT must be <step>:<n> with a step of ${CRASH_STEPS.join(', ')}`)
  }
  return { step: step as CrashStep, n }
}

export interface CrashPointsInit {
  readonly plan: CrashPlan | null
  /** Outbox keys the store held when it was opened. */
  readonly outboxKeys: readonly string[]
  /** Writes one progress line; must be synchronous (stdout on a pipe is, on Linux), or the line dies with the process. */
  readonly report: (line: Record<string, unknown>) => void
  /** False: steps are not counted until `arm()` (a run first writes its backlog, then may die). Default true. */
  readonly armed?: boolean
}

export interface TransmitCounts {
  /** Frames that carried at least one of our outbox envelopes. */
  readonly frames: number
  /** Envelopes in them sent for the first time by this process and written by it. */
  readonly first: number
  /**
   * Envelopes in them sent again: retries, and envelopes restored from the store
   * (an earlier run may or may not have sent them; the attempt byte cannot tell,
   * since a first attempt is not recorded and so repeats after a restart).
   */
  readonly retries: number
}

export interface CrashPoints {
  store(inner: Store): Store
  transport(inner: Transport): Transport
  crypto(inner: Crypto): Crypto
  /** Starts counting steps toward the crash point. */
  arm(): void
  /** Outbox records the store holds now, as this wrapper saw them written. */
  outboxSize(): number
  transmitted(): TransmitCounts
}

const OUTBOX_PREFIX = 'outbox/'
/** engine/wire/linkFrame.ts: version 1, type 1 = envelopes. */
const LINK_VERSION = 1
const FRAME_ENVELOPES = 1

export function createCrashPoints(init: CrashPointsInit): CrashPoints {
  const outbox = new Set(init.outboxKeys)
  const idOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1)
  /** Envelope ids this process has sent, or found in the store when it started. */
  const sentBefore = new Set(init.outboxKeys.map(idOf))
  const seen = new Map<CrashStep, number>(CRASH_STEPS.map((s) => [s, 0]))
  const counts = { frames: 0, first: 0, retries: 0 }
  /** Plaintext of the latest AEAD seal when it looked like an envelopes frame (see `crypto`). */
  let lastFrame: Uint8Array | null = null
  let armed = init.armed ?? true

  const reached = (step: CrashStep): void => {
    if (!armed) return
    const n = seen.get(step)! + 1
    seen.set(step, n)
    if (init.plan?.step !== step || init.plan.n !== n) return
    init.report({ ev: 'crash', step, n, ...counts, outbox: outbox.size })
    // kill(2) on oneself with an unblockable signal: POSIX delivers it before the
    // call returns, so no line after this one runs (a real kill -9, no exit hooks).
    process.kill(process.pid, 'SIGKILL')
  }

  /** Ids of our outbox envelopes in the frame just sealed. */
  const carried = (frame: Uint8Array): string[] => {
    let decoded: ReturnType<typeof decodeLinkFrame>
    try {
      decoded = decodeLinkFrame(frame)
    } catch {
      return []
    }
    if (decoded.type !== 'envelopes') return []
    const ours = new Set([...outbox].map(idOf))
    const ids: string[] = []
    for (const bytes of decoded.envelopes) {
      try {
        const id = toHex(decodeEnvelope(bytes).header.id)
        if (ours.has(id)) ids.push(id)
      } catch {
        // Not an envelope of ours: not counted.
      }
    }
    return ids
  }

  const wrapLink = (link: Link): Link => ({
    label: link.label,
    get bufferedAmount() {
      return link.bufferedAmount
    },
    send(bytes) {
      const frame = lastFrame
      lastFrame = null
      link.send(bytes)
      const ids = frame ? carried(frame) : []
      if (ids.length === 0) return
      counts.frames++
      const retries = ids.filter((id) => sentBefore.has(id)).length
      counts.retries += retries
      counts.first += ids.length - retries
      for (const id of ids) sentBefore.add(id)
      init.report({ ev: 'sent', envelopes: ids.length, retries })
      reached('after-send')
    },
    onMessage: (handler) => link.onMessage(handler),
    onClose: (handler) => link.onClose(handler),
    close: (reason) => link.close(reason),
  })

  return {
    store(inner) {
      return {
        get: (key) => inner.get(key),
        set: (key, value) => inner.set(key, value),
        delete: (key) => inner.delete(key),
        keys: (prefix) => inner.keys(prefix),
        async batch(ops: readonly StoreOp[]) {
          const creates = ops.some((op) => op.type === 'set' && op.key.startsWith(OUTBOX_PREFIX) && !outbox.has(op.key))
          const receipts = ops.filter((op) => op.type === 'delete' && op.key.startsWith(OUTBOX_PREFIX) && outbox.has(op.key)).length
          if (creates) reached('before-outbox-write')
          await inner.batch(ops)
          for (const op of ops) {
            if (!op.key.startsWith(OUTBOX_PREFIX)) continue
            if (op.type === 'set') outbox.add(op.key)
            else outbox.delete(op.key)
          }
          if (creates) reached('after-outbox-write')
          if (receipts > 0) {
            init.report({ ev: 'receipt', deleted: receipts, outbox: outbox.size })
            reached('after-receipt')
          }
        },
      }
    },
    transport(inner) {
      const { listen } = inner
      return {
        dial: async (address) => wrapLink(await inner.dial(address)),
        ...(listen ? { listen: (address: string, onLink: (link: Link) => void) => listen.call(inner, address, (link) => onLink(wrapLink(link))) } : {}),
      }
    },
    crypto(inner) {
      // A link frame is sealed (Noise transport message, one aeadSeal) and handed to
      // link.send in the same synchronous step (machines/linkActors.ts createHop): the
      // latest seal before a send is that frame's plaintext. Frames are ciphertext on
      // the link, so this is the only place the step "a frame carrying envelopes" shows.
      return {
        ...inner,
        aeadSeal(key, nonce, plaintext, ad) {
          lastFrame = plaintext[0] === LINK_VERSION && plaintext[1] === FRAME_ENVELOPES ? plaintext.slice() : null
          return inner.aeadSeal(key, nonce, plaintext, ad)
        },
      }
    },
    arm: () => void (armed = true),
    outboxSize: () => outbox.size,
    transmitted: () => ({ ...counts }),
  }
}

/**
 * Link churn against a relay (issue 10: 5,000 connect/handshake/close cycles left the
 * relay +93 MB): each cycle opens a raw `ws` socket, completes the initiator side of the
 * Noise link handshake (as machines/linkActors.ts handshakeActor does), closes, and waits
 * for the close. Shared by the churn test (a short budget) and `npm run bench` relay-churn.
 */
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import type { Identity } from '../../../engine/identity/index.ts'
import { createLinkHandshake } from '../../../engine/noise/index.ts'
import type { Crypto, Random } from '../../../engine/ports/index.ts'

export interface ChurnInit {
  readonly url: string
  readonly identity: Identity
  readonly crypto: Crypto
  readonly random: Random
  readonly cycles: number
  /** Cycles in flight at once. */
  readonly concurrency: number
  /** One cycle's hang detector. */
  readonly timeoutMs: number
}

export interface ChurnResult {
  readonly completed: number
  /** Cycles that failed, by short reason (no keys, no ids). */
  readonly failed: Record<string, number>
}

const toBytes = (data: RawData): Uint8Array =>
  data instanceof ArrayBuffer ? new Uint8Array(data) : Array.isArray(data) ? Buffer.concat(data) : data

/** One connect → handshake → close; resolves once the socket is closed. */
export function churnCycle(init: Omit<ChurnInit, 'cycles' | 'concurrency'>): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(init.url, { perMessageDeflate: false, handshakeTimeout: init.timeoutMs })
    const handshake = createLinkHandshake({ crypto: init.crypto, random: init.random, identity: init.identity, initiator: true })
    let done = false
    let failure: string | undefined
    const timer = setTimeout(() => {
      failure ??= 'timeout'
      ws.terminate()
    }, init.timeoutMs)
    ws.on('open', () => ws.send(handshake.start()!))
    ws.on('message', (data: RawData) => {
      if (done) return
      try {
        const step = handshake.receive(toBytes(data))
        if (step.reply) ws.send(step.reply)
        if (step.session) {
          done = true
          ws.close(1000, 'churn')
        }
      } catch (error) {
        failure ??= `handshake: ${(error as Error).name}`
        ws.terminate()
      }
    })
    ws.on('unexpected-response', (_req, res) => {
      failure ??= `http ${res.statusCode ?? 0}`
      ws.terminate()
    })
    ws.on('error', (error: Error) => {
      failure ??= (error as NodeJS.ErrnoException).code ?? 'ws error'
    })
    ws.on('close', () => {
      clearTimeout(timer)
      if (done && failure === undefined) resolve()
      else reject(new Error(failure ?? 'closed before the handshake completed'))
    })
  })
}

/** `cycles` cycles, `concurrency` at a time. */
export async function runChurn(init: ChurnInit): Promise<ChurnResult> {
  let next = 0
  let completed = 0
  const failed: Record<string, number> = {}
  const lane = async (): Promise<void> => {
    while (next < init.cycles) {
      next++
      try {
        await churnCycle(init)
        completed++
      } catch (error) {
        const reason = (error as Error).message
        failed[reason] = (failed[reason] ?? 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(init.concurrency, init.cycles)) }, lane))
  return { completed, failed }
}

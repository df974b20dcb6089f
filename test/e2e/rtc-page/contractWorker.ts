/**
 * The contract worker: one bridged WebRTC transport whose Link ends the test
 * drives by number (test/e2e/rtcContract.test.ts proxies each as a Link).
 * Handlers are set on a link only when the test sets its own, so that bytes
 * and closes that come first are queued by the real link, not by the proxy.
 */
import type { Link, Listener } from '../../../engine/ports/transport.ts'
import { decodeRtcSignal, encodeRtcSignal } from '../../../engine/transport/rtcSignalling.ts'
import type { RtcSignal, RtcTransport } from '../../../engine/transport/rtcSignalling.ts'
import { createBridgedRtcTransport } from '../../../workers/rtcTransport.ts'
import type { ContractCommand, ContractEvent } from './contractProtocol.ts'

const scope = self as unknown as DedicatedWorkerGlobalScope

let outbox: ContractEvent[] = []
function post(event: ContractEvent): void {
  // One postMessage per task's worth of events (a bridge batch of messages, a burst of sends).
  if (outbox.length === 0) queueMicrotask(flush)
  outbox.push(event)
}
function flush(): void {
  const events = outbox
  outbox = []
  scope.postMessage(events)
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

let port: MessagePort | undefined
let transport: RtcTransport | undefined
let listener: Listener | undefined
let onSignal: ((peerId: string, signal: RtcSignal) => void) | undefined
const links = new Map<number, Link>()
let nextLink = 1

function keep(link: Link): number {
  const id = nextLink++
  links.set(id, link)
  return id
}

/** Reports the link's bufferedAmount now and, while it is above zero, every 20 ms until it is. */
const polling = new Set<number>()
function reportBuffered(id: number): void {
  const link = links.get(id)
  if (!link) return
  const amount = link.bufferedAmount
  post({ ev: 'buffered', link: id, amount })
  if (amount > 0 && !polling.has(id)) {
    polling.add(id)
    setTimeout(() => {
      polling.delete(id)
      reportBuffered(id)
    }, 20)
  }
}

async function run(command: ContractCommand): Promise<void> {
  switch (command.op) {
    case 'init':
      transport = createBridgedRtcTransport({
        port: port!,
        selfId: command.selfId,
        dialTimeoutMs: command.dialTimeoutMs,
        signaller: {
          send: (peerId, signal) => post({ ev: 'signal', to: peerId, bytes: [...encodeRtcSignal(signal)] }),
          onSignal: (handler) => {
            onSignal = handler
          },
        },
      })
      return post({ ev: 'ready' })
    case 'signal':
      return onSignal?.(command.from, decodeRtcSignal(Uint8Array.from(command.bytes)))
    case 'listen':
      listener = await transport!.listen('rtc:', (link) => post({ ev: 'accepted', link: keep(link), label: link.label }))
      return post({ ev: 'listening' })
    case 'stopListening':
      await listener?.close()
      return post({ ev: 'stopped' })
    case 'dial':
      try {
        const link = await transport!.dial(command.address, command.timeoutMs !== undefined ? { timeoutMs: command.timeoutMs } : {})
        return post({ ev: 'dialled', req: command.req, link: keep(link), label: link.label })
      } catch (err) {
        return post({ ev: 'dialFailed', req: command.req, name: (err as Error).name, message: (err as Error).message })
      }
    case 'onMessage': {
      const id = command.link
      return links.get(id)!.onMessage((bytes) => post({ ev: 'message', link: id, data: toBase64(bytes) }))
    }
    case 'onClose': {
      const id = command.link
      return links.get(id)!.onClose((reason) => post({ ev: 'closed', link: id, reason }))
    }
    case 'send': {
      const link = links.get(command.link)!
      for (const data of command.data) link.send(fromBase64(data))
      return reportBuffered(command.link)
    }
    case 'close':
      return links.get(command.link)!.close(command.reason)
  }
}

scope.onmessage = (message: MessageEvent<ContractCommand[] | { op: 'port' }>) => {
  const data = message.data
  if (!Array.isArray(data)) {
    port = message.ports[0]
    return
  }
  // In order: each command's synchronous part runs before the next one's.
  for (const command of data) run(command).catch((err: Error) => post({ ev: 'error', name: err.name, message: err.message }))
}

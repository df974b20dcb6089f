/**
 * The page: starts the worker, gives it a MessagePort to the WebRTC bridge,
 * and lets the test drive the worker (`window.rtcTest`). Signals go out
 * through `window.relaySignal`, which the test exposes before the page loads.
 */
import { attachRtcBridge } from '../../../workers/rtcBridge.ts'
import type { TestCommand, TestEvent } from './protocol.ts'

declare global {
  interface Window {
    relaySignal(to: string, bytes: number[]): Promise<void>
    rtcTest: { readonly events: TestEvent[]; command(command: TestCommand): void; detach(): void }
  }
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })
const bridge = new MessageChannel()
const detach = attachRtcBridge(bridge.port1)
worker.postMessage({ op: 'port' }, [bridge.port2])

const events: TestEvent[] = []
worker.onmessage = (message: MessageEvent<TestEvent>) => {
  const event = message.data
  if (event.ev === 'signal') void window.relaySignal(event.to, event.bytes)
  else events.push(event)
}
worker.onerror = (event) => events.push({ ev: 'error', name: 'WorkerError', message: event.message })

window.rtcTest = {
  events,
  command: (command) => worker.postMessage(command),
  detach,
}

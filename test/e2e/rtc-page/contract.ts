/**
 * The contract page: starts the contract worker, gives it a MessagePort to the
 * WebRTC bridge, passes commands from the test to it (`window.rtcContract`)
 * and hands every batch of its events to the test (`window.contractEvents`,
 * exposed by the test before the page loads), numbered so that the test can
 * keep their order.
 */
import { attachRtcBridge } from '../../../workers/rtcBridge.ts'
import type { ContractCommand, ContractEvent } from './contractProtocol.ts'

declare global {
  interface Window {
    contractEvents(seq: number, events: ContractEvent[]): Promise<void>
    rtcContract: { command(commands: ContractCommand[]): void; detach(): void }
  }
}

const worker = new Worker(new URL('./contractWorker.ts', import.meta.url), { type: 'module' })
const bridge = new MessageChannel()
const detach = attachRtcBridge(bridge.port1)
worker.postMessage({ op: 'port' }, [bridge.port2])

let seq = 0
worker.onmessage = (message: MessageEvent<ContractEvent[]>) => {
  void window.contractEvents(seq++, message.data)
}
worker.onerror = (event) => {
  void window.contractEvents(seq++, [{ ev: 'error', name: 'WorkerError', message: event.message }])
}

window.rtcContract = {
  command: (commands) => worker.postMessage(commands),
  detach,
}

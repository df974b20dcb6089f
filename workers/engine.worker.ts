/**
 * The browser's engine worker: builds the engine from the browser's ports
 * (IndexedDB, WebSocket, Web Crypto randomness, WebRTC through the page's bridge)
 * and exposes it through Comlink. Solid never enters this bundle.
 */
import * as Comlink from 'comlink'
import { nobleCrypto } from '../engine/crypto/index.ts'
import { createEngine } from './createEngine.ts'
import { deferredApi } from './deferredApi.ts'
import { RTC_PORT_MESSAGE } from './engine.worker.protocol.ts'
import type { RtcPortMessage } from './engine.worker.protocol.ts'
import { createIdbStore } from './idbStore.ts'
import { createBridgedRtcTransport } from './rtcTransport.ts'
import { systemClock, systemRandom } from './systemPorts.ts'
import { createBrowserWsTransport } from './wsTransport.ts'

/** The page posts the bridge port first thing; a page that never does gets no direct links. */
const PORT_WAIT_MS = 2_000

const rtcPort = new Promise<MessagePort | null>((resolve) => {
  const timer = setTimeout(() => resolve(null), PORT_WAIT_MS)
  self.addEventListener('message', function onPort(event: MessageEvent) {
    const data = event.data as Partial<RtcPortMessage> | null
    if (data?.type !== RTC_PORT_MESSAGE) return
    clearTimeout(timer)
    self.removeEventListener('message', onPort)
    resolve(data.port ?? null)
  })
})

const ready = rtcPort.then((port) =>
  createEngine({
    crypto: nobleCrypto(),
    random: systemRandom(),
    clock: systemClock(),
    store: createIdbStore({ dbName: 'sovereign' }),
    transport: createBrowserWsTransport(),
    ...(port ? { rtc: (signaller, selfId) => createBridgedRtcTransport({ port, signaller, selfId }) } : {}),
  }),
)

Comlink.expose(deferredApi(ready), self as unknown as Comlink.Endpoint)

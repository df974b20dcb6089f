/**
 * The browser's engine worker: builds the engine from the browser's ports
 * (IndexedDB, WebSocket, Web Crypto randomness) and exposes it through Comlink.
 * Solid never enters this bundle.
 */
import * as Comlink from 'comlink'
import { nobleCrypto } from '../engine/crypto/index.ts'
import { createEngine } from './createEngine.ts'
import { deferredApi } from './deferredApi.ts'
import { createIdbStore } from './idbStore.ts'
import { systemClock, systemRandom } from './systemPorts.ts'
import { createBrowserWsTransport } from './wsTransport.ts'

const ready = createEngine({
  crypto: nobleCrypto(),
  random: systemRandom(),
  clock: systemClock(),
  store: createIdbStore({ dbName: 'sovereign' }),
  transport: createBrowserWsTransport(),
})

Comlink.expose(deferredApi(ready), self as unknown as Comlink.Endpoint)

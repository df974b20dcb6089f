/**
 * The engine in a Node worker_threads worker: the same createEngine as the
 * browser worker, on Node's ports (file store, ws), exposed through Comlink.
 * workerData: { dataDir: string }.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as Comlink from 'comlink'
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs'
import { nodeCrypto } from './nodeCrypto.ts'
import { createEngine } from '../../workers/createEngine.ts'
import { deferredApi } from '../../workers/deferredApi.ts'
import { systemClock, systemRandom } from '../../workers/systemPorts.ts'
import { openFileStore } from './fileStore.ts'
import { createWsTransport } from './wsTransport.ts'

const { dataDir } = workerData as { dataDir: string }
if (!parentPort) throw new Error('engineWorker.ts runs as a worker_threads worker')

const ready = openFileStore(dataDir).then((store) =>
  createEngine({
    crypto: nodeCrypto(),
    random: systemRandom(),
    clock: systemClock(),
    store,
    transport: createWsTransport(),
  }),
)

Comlink.expose(deferredApi(ready), nodeEndpoint(parentPort))

/**
 * The engine in a Node worker_threads worker: the same createEngine as the
 * browser worker, on Node's ports (file store, ws), exposed through Comlink.
 * workerData: { dataDir: string, outboxPolicy?: OutboxPolicy } (tests shorten the retry schedule).
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
import type { OutboxPolicy } from '../../machines/outbox.ts'

const { dataDir, outboxPolicy } = workerData as { dataDir: string; outboxPolicy?: OutboxPolicy }
if (!parentPort) throw new Error('engineWorker.ts runs as a worker_threads worker')

const ready = openFileStore(dataDir).then((store) =>
  createEngine({
    crypto: nodeCrypto(),
    random: systemRandom(),
    clock: systemClock(),
    store,
    transport: createWsTransport(),
    ...(outboxPolicy ? { outboxPolicy } : {}),
  }),
)

Comlink.expose(deferredApi(ready), nodeEndpoint(parentPort))

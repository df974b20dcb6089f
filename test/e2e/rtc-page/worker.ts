/**
 * A stand-in for the engine worker: one bridged WebRTC transport, whose
 * signaller hands signals to the page, and one link at a time.
 */
import type { Link } from '../../../engine/ports/transport.ts'
import { decodeRtcSignal, encodeRtcSignal } from '../../../engine/transport/rtcSignalling.ts'
import type { RtcSignal } from '../../../engine/transport/rtcSignalling.ts'
import type { RtcTransport } from '../../../engine/transport/rtcSignalling.ts'
import { createBridgedRtcTransport } from '../../../workers/rtcTransport.ts'
import { FLOOD_TAG } from './protocol.ts'
import type { TestCommand, TestEvent } from './protocol.ts'

const scope = self as unknown as DedicatedWorkerGlobalScope
const post = (event: TestEvent): void => scope.postMessage(event)
const encoder = new TextEncoder()
const decoder = new TextDecoder()

let port: MessagePort | undefined
let transport: RtcTransport | undefined
let onSignal: ((peerId: string, signal: RtcSignal) => void) | undefined
let link: Link | undefined
let expected = 0
let floodReceived = 0
let floodStarted = 0

function use(next: Link, how: 'dialled' | 'accepted', openMs: number): void {
  link = next
  next.onMessage((bytes) => {
    if (bytes[0] === FLOOD_TAG) {
      if (floodReceived === 0) floodStarted = performance.now()
      floodReceived += bytes.length
      if (expected > 0 && floodReceived >= expected) post({ ev: 'drained', bytes: floodReceived, ms: performance.now() - floodStarted })
      return
    }
    post({ ev: 'message', text: decoder.decode(bytes) })
  })
  next.onClose((reason) => post({ ev: 'closed', reason }))
  post({ ev: 'link', how, label: next.label, openMs })
}

/** The flood pauses while the link holds more than this (bufferedAmount backpressure). */
const HIGH_WATER = 1024 * 1024

async function flood(total: number, size: number): Promise<void> {
  const chunk = new Uint8Array(size).fill(1)
  chunk[0] = FLOOD_TAG
  const started = performance.now()
  let maxBuffered = 0
  for (let sent = 0; sent < total; sent += size) {
    while (link!.bufferedAmount > HIGH_WATER) await new Promise((resolve) => setTimeout(resolve, 1))
    link!.send(chunk)
    maxBuffered = Math.max(maxBuffered, link!.bufferedAmount)
  }
  post({ ev: 'flooded', ms: performance.now() - started, maxBuffered })
}

async function run(command: TestCommand): Promise<void> {
  switch (command.op) {
    case 'init':
      transport = createBridgedRtcTransport({
        port: port!,
        selfId: command.selfId,
        ...(command.dialTimeoutMs !== undefined ? { dialTimeoutMs: command.dialTimeoutMs } : {}),
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
      await transport!.listen('rtc:', (accepted) => use(accepted, 'accepted', 0))
      return post({ ev: 'listening' })
    case 'dial': {
      const started = performance.now()
      const dialled = await transport!.dial(`rtc:${command.peer}`)
      return use(dialled, 'dialled', performance.now() - started)
    }
    case 'send':
      for (const text of command.texts) link!.send(encoder.encode(text))
      return
    case 'close':
      return link!.close(command.reason)
    case 'flood':
      return flood(command.total, command.size)
    case 'expect':
      expected = command.total
      floodReceived = 0
      return
  }
}

scope.onmessage = (message: MessageEvent<TestCommand | { op: 'port' }>) => {
  const command = message.data
  if (command.op === 'port') {
    port = message.ports[0]
    return
  }
  run(command).catch((err: Error) => post({ ev: 'error', name: err.name, message: err.message }))
}

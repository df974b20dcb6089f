import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import type { WebSocket as NodeWebSocket } from 'ws'
import { acceptQueue, probe, transportContract } from '../../engine/ports/test/transportContract.ts'
import { MAX_MESSAGE_BYTES } from '../../engine/transport/index.ts'
import { createWsTransport } from '../../native/node/wsTransport.ts'
import { createBrowserWsTransport } from '../wsTransport.ts'

// Node 22's global WebSocket (undici) stands in for the browser's.

async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function errorOf(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (err: Error) => err,
  )
}

/** A raw ws server, to send what our transport never would. */
async function rawServer(): Promise<{ url: string; next(): Promise<NodeWebSocket>; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => wss.once('listening', resolve))
  const sockets: NodeWebSocket[] = []
  wss.on('connection', (ws) => sockets.push(ws))
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    async next() {
      while (sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 2))
      return sockets.shift()!
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate()
        wss.close(() => resolve())
      }),
  }
}

transportContract('browser WebSocket dial → node ws listen', async () => {
  const transport = createBrowserWsTransport()
  const accepted = acceptQueue()
  const listener = await createWsTransport().listen!('ws://127.0.0.1:0/link', accepted.onLink)
  const dead = await deadPort()
  return {
    async connect() {
      const dialer = await transport.dial(listener.address)
      return { dialer, acceptor: await accepted.next() }
    },
    dial: (address) => transport.dial(address),
    listenAddress: listener.address,
    deadAddress: `ws://127.0.0.1:${dead}/link`,
    stopListening: () => listener.close(),
    cleanup: () => listener.close(),
  }
})

describe('createBrowserWsTransport', () => {
  it('cannot listen', () => {
    expect(createBrowserWsTransport().listen).toBeUndefined()
  })

  it('rejects bad addresses and keeps paths and queries out of dial errors', async () => {
    const transport = createBrowserWsTransport()
    expect((await errorOf(transport.dial('https://127.0.0.1/')))?.name).toBe('DialError')
    expect((await errorOf(transport.dial('nonsense')))?.name).toBe('DialError')
    const port = await deadPort()
    const err = await errorOf(transport.dial(`ws://127.0.0.1:${port}/link?token=secret`))
    expect(err?.name).toBe('DialError')
    expect(err?.message).toContain(`127.0.0.1:${port}`)
    expect(err?.message).not.toContain('secret')
  })

  it('times out a dial that never opens', async () => {
    // A TCP server that accepts and never answers the HTTP upgrade.
    const server = createServer(() => {})
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const started = Date.now()
    const err = await errorOf(createBrowserWsTransport({ dialTimeoutMs: 100 }).dial(`ws://127.0.0.1:${port}/`))
    expect(err?.name).toBe('DialError')
    expect(err?.message).toContain('timed out')
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('closes the link on a text frame, with a protocol reason', async () => {
    const server = await rawServer()
    const link = probe(await createBrowserWsTransport().dial(server.url))
    const remote = await server.next()
    const remoteClosed = new Promise<[number, string]>((resolve) => remote.on('close', (code, reason) => resolve([code, reason.toString()])))
    remote.send('hello')
    expect(await link.closed()).toBe('protocol: text frame')
    expect(await remoteClosed).toEqual([4003, 'protocol: text frame'])
    expect(link.messages).toEqual([])
    await server.close()
  })

  it('closes the link on a message above the link limit', async () => {
    const server = await rawServer()
    const link = probe(await createBrowserWsTransport().dial(server.url))
    const remote = await server.next()
    remote.send(new Uint8Array(MAX_MESSAGE_BYTES + 1))
    expect(await link.closed()).toBe('protocol: message too large')
    expect(link.messages).toEqual([])
    await server.close()
  })

  it('reports a peer that vanishes without a close frame', async () => {
    const server = await rawServer()
    const link = probe(await createBrowserWsTransport().dial(server.url))
    const remote = await server.next()
    remote.terminate()
    expect(await link.closed()).toMatch(/code 1006|connection error/)
    await server.close()
  })
})

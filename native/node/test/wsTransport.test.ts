import { createServer, request } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { acceptQueue, probe, transportContract } from '../../../engine/ports/test/transportContract.ts'
import { MAX_MESSAGE_BYTES } from '../../../engine/transport/index.ts'
import { attachWsLinks, createWsTransport } from '../wsTransport.ts'

/** A port that nothing listens on: bound once, then released. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function httpServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('relay ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

async function errorOf(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (err: Error) => err,
  )
}

transportContract('ws dial ↔ ws listen', async () => {
  const transport = createWsTransport()
  const accepted = acceptQueue()
  const listener = await transport.listen!('ws://127.0.0.1:0/link', accepted.onLink)
  const dead = await deadPort()
  return {
    async connect() {
      const dialer = await transport.dial(listener.address)
      return { dialer, acceptor: await accepted.next() }
    },
    dial: (address) => transport.dial(address),
    deadAddress: `ws://127.0.0.1:${dead}/link`,
    listenAddress: listener.address,
    stopListening: () => listener.close(),
    cleanup: () => listener.close(),
  }
})

transportContract('ws dial ↔ attachWsLinks on an http server', async () => {
  const transport = createWsTransport()
  const accepted = acceptQueue()
  const { server, port } = await httpServer()
  const attachment = attachWsLinks(server, '/link', accepted.onLink)
  return {
    async connect() {
      const dialer = await transport.dial(`ws://127.0.0.1:${port}/link?room=1`)
      return { dialer, acceptor: await accepted.next() }
    },
    dial: (address) => transport.dial(address),
    deadAddress: `ws://127.0.0.1:${port}/elsewhere`,
    listenAddress: `ws://127.0.0.1:${port}/link?room=1`,
    stopListening: async () => attachment.close(),
    async cleanup() {
      attachment.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
})

describe('createWsTransport', () => {
  it('reports the bound port and labels links by host and port', async () => {
    const transport = createWsTransport()
    const accepted = acceptQueue()
    const listener = await transport.listen!('ws://127.0.0.1:0/link', accepted.onLink)
    expect(listener.address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link$/)
    const port = listener.address.split(':')[2]!.split('/')[0]!
    const dialer = await transport.dial(listener.address)
    const acceptor = await accepted.next()
    expect(dialer.label).toBe(`ws:127.0.0.1:${port}`)
    expect(acceptor.label).toMatch(/^ws:127\.0\.0\.1:\d+$/)
    await listener.close()
  })

  it('refuses a second listener on a port in use', async () => {
    const transport = createWsTransport()
    const listener = await transport.listen!('ws://127.0.0.1:0/a', () => {})
    const taken = listener.address.replace('/a', '/b')
    expect((await errorOf(transport.listen!(taken, () => {})))?.name).toBe('AddressInUseError')
    expect((await errorOf(transport.listen!('wss://127.0.0.1:0/x', () => {})))?.name).toBe('InvalidAddressError')
    await listener.close()
  })

  it('keeps paths and queries out of dial errors', async () => {
    const port = await deadPort()
    const err = await errorOf(createWsTransport().dial(`ws://user:secret@127.0.0.1:${port}/link?token=secret`))
    expect(err?.name).toBe('DialError')
    expect(err?.message).toContain(`127.0.0.1:${port}`)
    expect(err?.message).not.toContain('secret')
    expect((await errorOf(createWsTransport().dial('http://127.0.0.1:1/')))?.name).toBe('DialError')
    expect((await errorOf(createWsTransport().dial('not a url')))?.name).toBe('DialError')
  })

  it('times out a dial that never opens', async () => {
    // Accepts TCP and never answers the HTTP upgrade.
    const server = createServer(() => {})
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const err = await errorOf(createWsTransport({ dialTimeoutMs: 100 }).dial(`ws://127.0.0.1:${port}/`))
    expect(err?.name).toBe('DialError')
    expect(err?.message).toMatch(/timed out/i)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('closes a link that receives a text frame, with a protocol reason', async () => {
    const accepted = acceptQueue()
    const listener = await createWsTransport().listen!('ws://127.0.0.1:0/link', accepted.onLink)
    const raw = new WebSocket(listener.address)
    const rawClosed = new Promise<[number, string]>((resolve) => raw.on('close', (code, reason) => resolve([code, reason.toString()])))
    await new Promise((resolve) => raw.once('open', resolve))
    const acceptor = probe(await accepted.next())
    raw.send('hello')
    expect(await acceptor.closed()).toBe('protocol: text frame')
    expect(await rawClosed).toEqual([1003, 'protocol: text frame'])
    expect(acceptor.messages).toEqual([])
    await listener.close()
  })

  it(`closes a link whose peer sends more than ${MAX_MESSAGE_BYTES} bytes`, async () => {
    const accepted = acceptQueue()
    const listener = await createWsTransport().listen!('ws://127.0.0.1:0/link', accepted.onLink)
    const raw = new WebSocket(listener.address)
    const rawClosed = new Promise<number>((resolve) => raw.on('close', (code) => resolve(code)))
    await new Promise((resolve) => raw.once('open', resolve))
    const acceptor = probe(await accepted.next())
    raw.send(new Uint8Array(MAX_MESSAGE_BYTES + 1))
    expect(await acceptor.closed()).toMatch(/payload/i)
    expect(await rawClosed).toBe(1009)
    expect(acceptor.messages).toEqual([])
    await listener.close()
  })

  it('passes a long or non-ASCII close reason intact up to the frame limit', async () => {
    const transport = createWsTransport()
    const accepted = acceptQueue()
    const listener = await transport.listen!('ws://127.0.0.1:0/link', accepted.onLink)
    const dialer = probe(await transport.dial(listener.address))
    const acceptor = await accepted.next()
    const atAcceptor = probe(acceptor)
    acceptor.close('é'.repeat(100))
    expect(await dialer.closed()).toBe('é'.repeat(61))
    expect(await atAcceptor.closed()).toBe('é'.repeat(100))
    await listener.close()
  })
})

describe('attachWsLinks', () => {
  it('serves HTTP on the same port and answers other upgrade paths with 404', async () => {
    const { server, port } = await httpServer()
    const attachment = attachWsLinks(server, '/link', () => {})
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () => resolve(text))
      })
        .on('error', reject)
        .end()
    })
    expect(body).toBe('relay ok')
    const err = await errorOf(createWsTransport().dial(`ws://127.0.0.1:${port}/other`))
    expect(err?.name).toBe('DialError')
    expect(err?.message).toContain('404')
    expect(() => attachWsLinks(server, '/link', () => {})).toThrow(expect.objectContaining({ name: 'AddressInUseError' }))
    expect(() => attachWsLinks(server, 'link', () => {})).toThrow(expect.objectContaining({ name: 'InvalidAddressError' }))
    attachment.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('routes two paths on one server to their own listeners', async () => {
    const { server, port } = await httpServer()
    const a = acceptQueue()
    const b = acceptQueue()
    const first = attachWsLinks(server, '/a', a.onLink)
    const second = attachWsLinks(server, '/b', b.onLink)
    const transport = createWsTransport()
    const toB = await transport.dial(`ws://127.0.0.1:${port}/b`)
    const atB = probe(await b.next())
    toB.send(Uint8Array.of(2))
    expect(await atB.received(1)).toEqual([Uint8Array.of(2)])
    first.close()
    expect((await errorOf(transport.dial(`ws://127.0.0.1:${port}/a`)))?.name).toBe('DialError')
    const toB2 = await transport.dial(`ws://127.0.0.1:${port}/b`)
    expect(toB2.label).toBe(`ws:127.0.0.1:${port}`)
    second.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
})

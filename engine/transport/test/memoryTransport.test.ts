import { describe, expect, it } from 'vitest'
import { acceptQueue, probe, transportContract } from '../../ports/test/transportContract.ts'
import { createMemoryNetwork } from '../memoryTransport.ts'

transportContract('memory', async () => {
  const network = createMemoryNetwork()
  const transport = network.transport()
  const accepted = acceptQueue()
  const listener = await transport.listen!('mem://relay', accepted.onLink)
  return {
    async connect() {
      const dialer = await network.transport().dial(listener.address)
      return { dialer, acceptor: await accepted.next() }
    },
    dial: (address) => transport.dial(address),
    deadAddress: 'mem://nobody',
    listenAddress: listener.address,
    stopListening: () => listener.close(),
    cleanup: () => listener.close(),
  }
})

async function errorName(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: Error) => err.name,
  )
}

describe('createMemoryNetwork', () => {
  it('refuses a second listener on a name and frees it on close', async () => {
    const transport = createMemoryNetwork().transport()
    const first = await transport.listen!('mem://a', () => {})
    expect(first.address).toBe('mem://a')
    expect(await errorName(transport.listen!('mem://a', () => {}))).toBe('AddressInUseError')
    await first.close()
    const second = await transport.listen!('mem://a', () => {})
    await second.close()
  })

  it('refuses addresses of another scheme', async () => {
    const transport = createMemoryNetwork().transport()
    expect(await errorName(transport.listen!('ws://127.0.0.1:1/x', () => {}))).toBe('InvalidAddressError')
    expect(await errorName(transport.listen!('mem://', () => {}))).toBe('InvalidAddressError')
    expect(await errorName(transport.dial('tcp://x'))).toBe('DialError')
  })

  it('keeps networks apart', async () => {
    const one = createMemoryNetwork()
    const two = createMemoryNetwork()
    const listener = await one.transport().listen!('mem://x', () => {})
    expect(await errorName(two.transport().dial('mem://x'))).toBe('DialError')
    await listener.close()
  })

  it('counts bytes in flight as buffered until they are delivered', async () => {
    const network = createMemoryNetwork()
    const accepted = acceptQueue()
    await network.transport().listen!('mem://b', accepted.onLink)
    const dialer = await network.transport().dial('mem://b')
    const atAcceptor = probe(await accepted.next())
    dialer.send(new Uint8Array(100))
    dialer.send(new Uint8Array(20))
    expect(dialer.bufferedAmount).toBe(120)
    await atAcceptor.received(2)
    expect(dialer.bufferedAmount).toBe(0)
  })

  it('copies sent bytes so the sender may reuse its buffer', async () => {
    const network = createMemoryNetwork()
    const accepted = acceptQueue()
    await network.transport().listen!('mem://c', accepted.onLink)
    const dialer = await network.transport().dial('mem://c')
    const atAcceptor = probe(await accepted.next())
    const buffer = Uint8Array.of(1, 2)
    dialer.send(buffer)
    buffer[0] = 9
    expect(await atAcceptor.received(1)).toEqual([Uint8Array.of(1, 2)])
  })

  it('closes the link when the listener throws from onLink', async () => {
    const transport = createMemoryNetwork().transport()
    await transport.listen!('mem://d', () => {
      throw new Error('no')
    })
    expect(await errorName(transport.dial('mem://d'))).toBe('DialError')
  })
})

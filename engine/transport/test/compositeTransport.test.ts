import { describe, expect, it } from 'vitest'
import { createCompositeTransport } from '../compositeTransport.ts'
import { createMemoryNetwork } from '../memoryTransport.ts'

describe('compositeTransport', () => {
  it('dials and listens through the transport of the address scheme', async () => {
    const network = createMemoryNetwork()
    const composite = createCompositeTransport({ mem: network.transport() })
    const accepted: unknown[] = []
    await composite.listen!('mem://a', (link) => accepted.push(link))
    const link = await composite.dial('MEM://a'.toLowerCase())
    await new Promise((r) => setTimeout(r, 0))
    expect(accepted).toHaveLength(1)
    link.close()
  })

  it('hands schemes it does not name to the fallback', async () => {
    const network = createMemoryNetwork()
    const composite = createCompositeTransport({}, network.transport())
    await composite.listen!('mem://b', () => {})
    await expect(composite.dial('mem://b')).resolves.toBeDefined()
  })

  it('refuses an address no transport serves with a typed error', async () => {
    const composite = createCompositeTransport({ mem: createMemoryNetwork().transport() })
    await expect(composite.dial('rtc:abcd')).rejects.toMatchObject({ name: 'DialError' })
    await expect(composite.dial('no-scheme')).rejects.toMatchObject({ name: 'DialError' })
    await expect(composite.listen!('ws://127.0.0.1:1/link', () => {})).rejects.toMatchObject({ name: 'DialError' })
  })
})

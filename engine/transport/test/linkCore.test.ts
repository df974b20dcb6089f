import { describe, expect, it } from 'vitest'
import { createLinkCore } from '../linkCore.ts'
import type { LinkCore } from '../linkCore.ts'

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

function core(): { core: LinkCore; sent: Uint8Array[]; closedWith: string[] } {
  const sent: Uint8Array[] = []
  const closedWith: string[] = []
  return {
    core: createLinkCore({
      label: 'test:1',
      send: (bytes) => sent.push(bytes),
      close: (reason) => closedWith.push(reason),
      bufferedAmount: () => 5,
    }),
    sent,
    closedWith,
  }
}

describe('createLinkCore', () => {
  it('delivers queued messages before a close that arrived after them', async () => {
    const { core: c } = core()
    c.receive(Uint8Array.of(1))
    c.receive(Uint8Array.of(2))
    c.ended('gone')
    const seen: string[] = []
    c.link.onClose((reason) => seen.push(`close:${reason}`))
    c.link.onMessage((bytes) => seen.push(`msg:${bytes[0]}`))
    await tick()
    expect(seen).toEqual(['msg:1', 'msg:2', 'close:gone'])
  })

  it('still reports the close when nobody ever reads the queued messages', async () => {
    const { core: c } = core()
    c.receive(Uint8Array.of(1))
    c.ended('gone')
    const closes: string[] = []
    c.link.onClose((reason) => closes.push(reason))
    await tick()
    expect(closes).toEqual(['gone'])
  })

  it('keeps delivering after a handler throws', async () => {
    const { core: c } = core()
    const errors: unknown[] = []
    const onRejection = (err: unknown): void => {
      errors.push(err)
    }
    process.on('unhandledRejection', onRejection)
    try {
      c.receive(Uint8Array.of(1))
      c.receive(Uint8Array.of(2))
      const seen: number[] = []
      c.link.onMessage((bytes) => {
        seen.push(bytes[0]!)
        if (bytes[0] === 1) throw new Error('handler bug')
      })
      await tick()
      await tick()
      expect(seen).toEqual([1, 2])
      expect(errors).toHaveLength(1)
    } finally {
      process.off('unhandledRejection', onRejection)
    }
  })

  it('drops queued input on a local close and closes the channel once', async () => {
    const { core: c, closedWith } = core()
    c.receive(Uint8Array.of(1))
    c.link.close('done')
    c.link.close('twice')
    c.ended('remote')
    c.receive(Uint8Array.of(2))
    const seen: Uint8Array[] = []
    const closes: string[] = []
    c.link.onMessage((bytes) => seen.push(bytes))
    c.link.onClose((reason) => closes.push(reason))
    await tick()
    expect(seen).toEqual([])
    expect(closes).toEqual(['done'])
    expect(closedWith).toEqual(['done'])
    expect(c.closed).toBe(true)
  })

  it('never calls back inside send or close', () => {
    const { core: c, sent } = core()
    const closes: string[] = []
    c.link.onClose((reason) => closes.push(reason))
    c.link.send(Uint8Array.of(1))
    c.link.close()
    expect(closes).toEqual([])
    expect(sent).toEqual([Uint8Array.of(1)])
    expect(c.link.bufferedAmount).toBe(0)
    expect(() => c.link.send('text' as unknown as Uint8Array)).toThrow(expect.objectContaining({ name: 'LinkClosedError' }))
  })

  it('refuses a non-byte message', () => {
    const { core: c } = core()
    expect(() => c.link.send('text' as unknown as Uint8Array)).toThrow(TypeError)
    expect(c.link.bufferedAmount).toBe(5)
  })
})

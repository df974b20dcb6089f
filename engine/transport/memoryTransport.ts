import type { Link, Listener, Transport } from '../ports/transport.ts'
import { AddressInUseError, DialError, InvalidAddressError } from './errors.ts'
import { createLinkCore } from './linkCore.ts'
import type { LinkCore } from './linkCore.ts'

/**
 * An in-process network for tests and the simulator. Every transport it
 * hands out shares one address space of `mem://<name>` listeners.
 */
export interface MemoryNetwork {
  transport(): Transport
}

interface Entry {
  readonly onLink: (link: Link) => void
  readonly accepted: Set<LinkCore>
}

const SCHEME = 'mem://'

export function createMemoryNetwork(): MemoryNetwork {
  const listeners = new Map<string, Entry>()
  let connections = 0

  function connect(name: string, entry: Entry): { dialer: LinkCore; acceptor: LinkCore } {
    const label = `mem:${name}#${++connections}`
    // Each side delivers to the other one microtask later, so delivery is
    // asynchronous like a socket's, and a message sent before close() arrives
    // before the close, because microtasks run in order.
    const half = (peer: () => LinkCore, onEnded?: () => void): LinkCore => {
      let inFlight = 0
      return createLinkCore({
        label,
        send(bytes: Uint8Array): void {
          const copy = new Uint8Array(bytes)
          inFlight += copy.length
          void Promise.resolve().then(() => {
            inFlight -= copy.length
            peer().receive(copy)
          })
        },
        close(reason: string): void {
          void Promise.resolve().then(() => peer().ended(reason))
        },
        bufferedAmount: () => inFlight,
        ...(onEnded ? { onEnded } : {}),
      })
    }
    const dialer: LinkCore = half(() => acceptor)
    const acceptor: LinkCore = half(() => dialer, () => entry.accepted.delete(acceptor))
    entry.accepted.add(acceptor)
    return { dialer, acceptor }
  }

  function transport(): Transport {
    return {
      async dial(address: string): Promise<Link> {
        const name = parse(address)
        if (name === undefined) throw new DialError('not a mem:// address')
        const entry = listeners.get(name)
        if (!entry) throw new DialError(`nothing listens at ${SCHEME}${name}`)
        const { dialer, acceptor } = connect(name, entry)
        // The listener learns of the link before the dialer can use it.
        await Promise.resolve()
        try {
          entry.onLink(acceptor.link)
        } catch {
          acceptor.link.close('listener refused the link')
          throw new DialError(`listener at ${SCHEME}${name} refused the link`)
        }
        return dialer.link
      },

      async listen(address: string, onLink: (link: Link) => void): Promise<Listener> {
        const name = parse(address)
        if (name === undefined) throw new InvalidAddressError('not a mem:// address')
        if (listeners.has(name)) throw new AddressInUseError(`${SCHEME}${name} is already in use`)
        const entry: Entry = { onLink, accepted: new Set() }
        listeners.set(name, entry)
        return {
          address: `${SCHEME}${name}`,
          async close(): Promise<void> {
            if (listeners.get(name) === entry) listeners.delete(name)
            for (const core of [...entry.accepted]) core.link.close('listener closed')
          },
        }
      },
    }
  }

  return { transport }
}

function parse(address: string): string | undefined {
  if (typeof address !== 'string' || !address.startsWith(SCHEME)) return undefined
  const name = address.slice(SCHEME.length)
  return name.length > 0 ? name : undefined
}

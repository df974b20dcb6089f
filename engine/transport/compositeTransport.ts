/**
 * One Transport over several, chosen by the address scheme (`ws:`/`wss:` to
 * relays, `rtc:` to a contact directly, `mem:` in tests), so a mesh node can
 * hold links of every kind at once.
 */
import type { Link, Listener, Transport } from '../ports/index.ts'
import { DialError } from './errors.ts'

/** `fallback` serves every scheme not named in `bySchemes` (the host's main transport). */
export function createCompositeTransport(bySchemes: Readonly<Record<string, Transport>>, fallback?: Transport): Transport {
  const pick = (address: string): Transport | undefined => {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(address)?.[1]?.toLowerCase()
    return scheme === undefined ? undefined : (bySchemes[scheme] ?? fallback)
  }
  return {
    async dial(address: string): Promise<Link> {
      const transport = pick(address)
      if (!transport) throw new DialError('this device has no transport for that kind of address')
      return transport.dial(address)
    },
    async listen(address: string, onLink: (link: Link) => void): Promise<Listener> {
      const transport = pick(address)
      if (!transport?.listen) throw new DialError('this device cannot listen on that kind of address')
      return transport.listen(address, onLink)
    },
  }
}

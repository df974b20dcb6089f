/**
 * Which relay addresses this relay may dial on demand (issue 11). Addresses come from
 * reach records, which anyone can sign: without a rule, one record could make a relay on
 * the public internet open connections into its own private network (loopback, RFC 1918,
 * link-local, unique-local). So a relay dials private and loopback addresses only when it
 * listens on one itself (a test bed, a LAN, a mesh inside one network); a host name is
 * dialed as named (resolving it here would not stop a name that changes its answer later;
 * the dial is bounded by the pool either way).
 */
import { BlockList, isIP } from 'node:net'

const PRIVATE = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6')
}

/** True for an IP literal in a loopback, private, link-local or unspecified range (IPv4-mapped IPv6 included). */
export function isPrivateAddress(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1]
  const ip = mapped ?? bare
  const family = isIP(ip)
  if (family === 0) return bare.toLowerCase() === 'localhost'
  return PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/** The rule for a relay listening on `listenHost`: a function of a ws:// or wss:// address. */
export function dialPolicy(listenHost: string): (address: string) => boolean {
  // A relay on a private or loopback address lives beside such peers; one on every address does not.
  const local = isPrivateAddress(listenHost) && listenHost !== '0.0.0.0' && listenHost !== '::'
  return (address) => {
    let host: string
    try {
      host = new URL(address).hostname
    } catch {
      return false
    }
    return local || !isPrivateAddress(host)
  }
}

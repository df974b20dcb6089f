import { describe, expect, it } from 'vitest'
import { dialPolicy, isPrivateAddress } from '../dialPolicy.ts'

describe('which relays a relay dials on demand', () => {
  it('knows private, loopback and link-local literals, mapped IPv6 included', () => {
    for (const host of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '::1', '[::1]', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', 'localhost']) {
      expect(isPrivateAddress(host), host).toBe(true)
    }
    for (const host of ['8.8.8.8', '172.32.0.1', '2001:db8::1', 'relay.example.org']) expect(isPrivateAddress(host), host).toBe(false)
  })

  it('a relay listening on every address never dials into a private network a record names', () => {
    const allowed = dialPolicy('0.0.0.0')
    expect(allowed('wss://relay.example.org/link')).toBe(true)
    expect(allowed('ws://93.184.216.34:8080/link')).toBe(true)
    expect(allowed('ws://127.0.0.1:22/link')).toBe(false)
    expect(allowed('ws://[::1]:8080/link')).toBe(false)
    expect(allowed('ws://169.254.169.254/link')).toBe(false)
    expect(allowed('not a url')).toBe(false)
  })

  it('a relay on a loopback or private address dials its neighbours there', () => {
    expect(dialPolicy('127.0.0.1')('ws://127.0.0.1:9000/link')).toBe(true)
    expect(dialPolicy('10.0.0.5')('ws://10.0.0.6:9000/link')).toBe(true)
  })
})

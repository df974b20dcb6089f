import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { byteReader } from '../byteReader.ts'
import { byteWriter } from '../byteWriter.ts'
import {
  displayNameProblem,
  MAX_DISPLAY_NAME_CHARS,
  readProfile,
  relayListProblem,
  relayUrlProblem,
  writeProfile,
} from '../profileFields.ts'
import type { Profile } from '../profileFields.ts'
import { displayNameArb, relaysArb } from './arbitraries.ts'

describe('displayNameProblem', () => {
  it('accepts ordinary names, emoji sequences and non-Latin scripts', () => {
    for (const name of ['Ada', 'Ada Lovelace', 'Zoë', '李小龙', 'محمد', '👩‍💻 dev', 'a'.repeat(64), '😀'.repeat(64)]) {
      expect(displayNameProblem(name)).toBeUndefined()
    }
  })

  it('rejects empty and whitespace-only names', () => {
    expect(displayNameProblem('')).toBe('display name is empty')
    expect(displayNameProblem(' \t\u00a0')).toBe('display name is empty')
  })

  it('rejects untrimmed names: the wire carries the canonical form only', () => {
    expect(displayNameProblem(' Ada')).toMatch(/whitespace/)
    expect(displayNameProblem('Ada\n')).toMatch(/whitespace/)
  })

  it('counts characters (code points), not UTF-16 units', () => {
    expect(displayNameProblem('😀'.repeat(MAX_DISPLAY_NAME_CHARS))).toBeUndefined()
    expect(displayNameProblem('a'.repeat(MAX_DISPLAY_NAME_CHARS + 1))).toMatch(/longer than 64/)
  })

  it('rejects control, separator and bidi override characters', () => {
    for (const bad of ['A\u0000B', 'A\nB', 'A\u007fB', 'A\u0085B', 'A\u2028B', 'A\u202eB', 'A\u2066B']) {
      expect(displayNameProblem(bad)).toMatch(/control character/)
    }
  })

  it('rejects a lone surrogate', () => {
    expect(displayNameProblem('A\ud800')).toMatch(/well-formed/)
  })
})

describe('relayUrlProblem', () => {
  it('accepts ws and wss URLs with host, port, path and query', () => {
    for (const url of [
      'ws://localhost',
      'wss://relay.example.org',
      'wss://relay.example.org:8443/mesh',
      'ws://192.168.1.20:8080',
      'ws://[::1]:9000/',
      'wss://relay.example.org/a%20b?room=1&x=y',
    ]) {
      expect(relayUrlProblem(url)).toBeUndefined()
    }
  })

  it('rejects other schemes and non-URLs', () => {
    for (const url of ['https://relay.example.org', 'WSS://relay.example.org', 'relay.example.org', 'wss://', 'javascript:alert(1)']) {
      expect(relayUrlProblem(url)).toMatch(/not a ws:\/\/ or wss:\/\/ URL/)
    }
  })

  it('rejects userinfo, fragments, spaces, bad escapes and bad ports', () => {
    for (const url of [
      'wss://good.example@evil.example',
      'wss://relay.example.org/#frag',
      'wss://relay example.org',
      'wss://relay.example.org/a b',
      'wss://relay.example.org/%zz',
      'wss://relay.example.org:0',
      'wss://-bad.example.org',
    ]) {
      expect(relayUrlProblem(url)).toBeDefined()
    }
    expect(relayUrlProblem('wss://relay.example.org:65536')).toMatch(/port/)
    expect(relayUrlProblem('wss://relay.example.org:65535')).toBeUndefined()
  })

  it('caps the length at 256 bytes', () => {
    const base = 'wss://relay.example.org/'
    expect(relayUrlProblem(base + 'a'.repeat(256 - base.length))).toBeUndefined()
    expect(relayUrlProblem(base + 'a'.repeat(257 - base.length))).toMatch(/longer than 256 bytes/)
  })
})

describe('relayListProblem', () => {
  it('allows 0..4 distinct relays', () => {
    expect(relayListProblem([])).toBeUndefined()
    expect(relayListProblem(['wss://a', 'wss://b', 'wss://c', 'wss://d'])).toBeUndefined()
    expect(relayListProblem(['wss://a', 'wss://b', 'wss://c', 'wss://d', 'wss://e'])).toMatch(/more than 4/)
    expect(relayListProblem(['wss://a', 'wss://a'])).toMatch(/duplicate/)
  })
})

describe('writeProfile / readProfile', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(displayNameArb, relaysArb, (displayName, relays) => {
        const w = byteWriter()
        writeProfile(w, { displayName, relays })
        const r = byteReader(w.finish())
        expect(readProfile(r)).toEqual({ displayName, relays })
        r.end('profile')
      }),
    )
  })

  it('reads back only what it would write', () => {
    const write = (p: Profile): Uint8Array => {
      const w = byteWriter()
      w.utf8(p.displayName, 'n', 0, 1000)
      w.u8(p.relays.length, 'c')
      for (const relay of p.relays) w.utf8(relay, 'r', 0, 1000)
      return w.finish()
    }
    const read = (bytes: Uint8Array): Profile => readProfile(byteReader(bytes))
    expect(() => read(write({ displayName: ' Ada', relays: [] }))).toThrow(/whitespace/)
    expect(() => read(write({ displayName: 'Ada', relays: ['http://x'] }))).toThrow(/not a ws/)
    expect(() => read(write({ displayName: 'Ada', relays: ['ws://x', 'ws://x'] }))).toThrow(/duplicate/)
    expect(() => read(write({ displayName: 'Ada', relays: ['ws://x', '', 'ws://z'] }))).toThrow(/relay address length 0/)
  })
})

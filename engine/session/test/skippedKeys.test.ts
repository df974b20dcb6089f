import { describe, expect, it } from 'vitest'
import { equals, utf8Decode } from '../../bytes.ts'
import { kdfCk } from '../kdf.ts'
import { encodeSessionState, MAX_RETIRED_HEADER_KEYS, MAX_SKIP, MAX_SKIPPED_KEYS } from '../ratchetState.ts'
import { contains, crypto, errorName, establishedPair, pair, text } from './harness.ts'
import type { Device } from './harness.ts'

function sendMany(from: Device, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => from.send(text(i)))
}

/** Alice sends `count` messages in a new chain; Bob gets only the last; Bob's reply closes the chain. */
function chainWithGap(alice: Device, bob: Device, count: number): Uint8Array[] {
  const chain = sendMany(alice, count)
  expect(utf8Decode(bob.receive(chain[count - 1]!))).toBe(`m${count - 1}`)
  alice.receive(bob.send(text(0, 'ack')))
  return chain
}

describe('skipped message keys', () => {
  it(`a counter jump past MAX_SKIP (${MAX_SKIP}) is TooManySkippedError, changes nothing, and the session goes on`, () => {
    const { alice, bob } = establishedPair('max-skip')
    const chain = sendMany(alice, MAX_SKIP + 2)
    const before = bob.snapshot()
    expect(errorName(() => bob.receive(chain[MAX_SKIP + 1]!))).toBe('TooManySkippedError')
    expect(bob.snapshot()).toBe(before)
    expect(utf8Decode(bob.receive(chain[0]!))).toBe('m0')
    // From receiveCount 1, message MAX_SKIP + 1 is exactly MAX_SKIP ahead: allowed.
    expect(utf8Decode(bob.receive(chain[MAX_SKIP + 1]!))).toBe(`m${MAX_SKIP + 1}`)
    expect(utf8Decode(bob.receive(chain[500]!))).toBe('m500')
  })

  it('a previous-chain length (pn) past MAX_SKIP is refused the same way', () => {
    const { alice, bob } = establishedPair('max-skip-pn')
    const chain = sendMany(alice, MAX_SKIP + 2)
    bob.receive(chain[0]!)
    alice.receive(bob.send(text(0, 'ack')))
    const next = alice.send(text(0, 'next chain'))
    const before = bob.snapshot()
    expect(errorName(() => bob.receive(next))).toBe('TooManySkippedError')
    expect(bob.snapshot()).toBe(before)
  })

  it(`at most ${MAX_SKIPPED_KEYS} are kept: the oldest are evicted, then reading them is DuplicateOrExpiredError`, () => {
    const { alice, bob } = establishedPair('evict')
    const chain1 = chainWithGap(alice, bob, MAX_SKIP + 1)
    const chain2 = chainWithGap(alice, bob, MAX_SKIP + 1)
    expect(bob.sessions[0]!.skippedKeys).toHaveLength(2 * MAX_SKIP)
    const chain3 = sendMany(alice, 11)
    bob.receive(chain3[10]!)
    expect(bob.sessions[0]!.skippedKeys).toHaveLength(MAX_SKIPPED_KEYS)
    // Chain 1's first ten keys went first.
    const before = bob.snapshot()
    for (const i of [0, 9]) expect(errorName(() => bob.receive(chain1[i]!))).toBe('DuplicateOrExpiredError')
    expect(bob.snapshot()).toBe(before)
    expect(utf8Decode(bob.receive(chain1[10]!))).toBe('m10')
    expect(utf8Decode(bob.receive(chain2[0]!))).toBe('m0')
    expect(utf8Decode(bob.receive(chain3[3]!))).toBe('m3')

    // Evict the rest of chain 1: its header key survives among the retired ones, so its
    // messages are still recognised as expired rather than as someone else's.
    const chain1HeaderKey = bob.sessions[0]!.skippedKeys[0]!.headerKey
    const chain4 = chainWithGap(alice, bob, MAX_SKIP + 1)
    expect(bob.sessions[0]!.skippedKeys.some((k) => equals(k.headerKey, chain1HeaderKey))).toBe(false)
    expect(bob.sessions[0]!.retiredHeaderKeys.some((k) => equals(k, chain1HeaderKey))).toBe(true)
    expect(errorName(() => bob.receive(chain1[500]!))).toBe('DuplicateOrExpiredError')
    expect(utf8Decode(bob.receive(chain4[7]!))).toBe('m7')
  })

  it('a replayed message is DuplicateOrExpiredError and changes nothing, in the current and in past chains', () => {
    const { alice, bob } = establishedPair('replay')
    const old = alice.send(text(1))
    bob.receive(old)
    const before = bob.snapshot()
    expect(errorName(() => bob.receive(old))).toBe('DuplicateOrExpiredError')
    expect(bob.snapshot()).toBe(before)
    for (let turn = 0; turn < 3; turn++) {
      alice.receive(bob.send(text(turn)))
      bob.receive(alice.send(text(turn)))
    }
    const later = bob.snapshot()
    expect(errorName(() => bob.receive(old))).toBe('DuplicateOrExpiredError')
    expect(bob.snapshot()).toBe(later)
  })

  it(`a replay from more than ${MAX_RETIRED_HEADER_KEYS} chains ago matches no session (NoSessionError)`, () => {
    const { alice, bob } = establishedPair('replay-ancient')
    const old = alice.send(text(1))
    bob.receive(old)
    for (let turn = 0; turn <= MAX_RETIRED_HEADER_KEYS; turn++) {
      alice.receive(bob.send(text(turn)))
      bob.receive(alice.send(text(turn)))
    }
    expect(errorName(() => bob.receive(old))).toBe('NoSessionError')
  })

  it('a replayed prekey message, after the session started, is DuplicateOrExpiredError', () => {
    const { alice, bob } = pair('replay-prekey')
    const first = alice.send(text(1))
    bob.receive(first)
    const before = bob.snapshot()
    expect(errorName(() => bob.receive(first))).toBe('DuplicateOrExpiredError')
    expect(bob.snapshot()).toBe(before)
    alice.receive(bob.send(text(2)))
    bob.receive(alice.send(text(3)))
    expect(errorName(() => bob.receive(first))).toBe('DuplicateOrExpiredError')
  })

  it('used message keys and chain keys are gone from the stored state', () => {
    const { alice, bob } = establishedPair('gone')
    const m0 = alice.send(text(0))
    const m1 = alice.send(text(1))
    const chainKey = alice.sessions[0]!.sendingChainKey!
    const m2 = alice.send(text(2))
    const key2 = kdfCk(crypto, chainKey).messageKey
    bob.receive(m1)
    const skipped = bob.sessions[0]!.skippedKeys
    expect(skipped).toHaveLength(1)
    const key0 = skipped[0]!.messageKey
    expect(contains(encodeSessionState(bob.sessions[0]!), key0)).toBe(true)
    bob.receive(m0)
    expect(bob.sessions[0]!.skippedKeys).toHaveLength(0)
    expect(contains(encodeSessionState(bob.sessions[0]!), key0)).toBe(false)
    bob.receive(m2)
    const stored = encodeSessionState(bob.sessions[0]!)
    expect(contains(stored, key2)).toBe(false)
    expect(contains(stored, chainKey)).toBe(false)
  })
})

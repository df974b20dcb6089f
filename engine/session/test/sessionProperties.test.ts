/**
 * Two parties over a hostile network: random interleavings of sends both
 * ways, drops, duplicates, reorders and bit flips. Every delivery either
 * returns exactly the plaintext that was sent (and only the first time) or
 * throws one of the typed errors, leaving every stored byte as it was; and
 * every message that was not dropped opens in the end.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { utf8Decode, utf8Encode } from '../../bytes.ts'
import { Device, typedError } from './harness.ts'

interface InFlight {
  readonly bytes: Uint8Array
  readonly plaintext: string
  delivered: boolean
}

type Command =
  | { readonly kind: 'send'; readonly from: 0 | 1 }
  | { readonly kind: 'deliver'; readonly to: 0 | 1; readonly pick: number; readonly keepCopy: boolean }
  | { readonly kind: 'drop'; readonly to: 0 | 1; readonly pick: number }
  | { readonly kind: 'tamper'; readonly to: 0 | 1; readonly pick: number; readonly bit: number }

const side = fc.constantFrom<0 | 1>(0, 1)
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('send' as const), from: side }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), to: side, pick: fc.nat(), keepCopy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), to: side, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tamper' as const), to: side, pick: fc.nat(), bit: fc.nat() }) },
)

function run(commands: readonly Command[], seed: number): void {
  const alice = new Device(`prop/${seed}/alice`)
  const bob = new Device(`prop/${seed}/bob`)
  alice.startSession(bob.bundle())
  const devices = [alice, bob] as const
  const inFlight: [InFlight[], InFlight[]] = [[], []]
  let counter = 0
  for (const c of commands) {
    if (c.kind === 'send') {
      const from = devices[c.from]
      if (from.sessions.length === 0) continue
      const plaintext = `m${counter++}`
      inFlight[c.from === 0 ? 1 : 0].push({ bytes: from.send(utf8Encode(plaintext)), plaintext, delivered: false })
      continue
    }
    const queue = inFlight[c.to]
    if (queue.length === 0) continue
    const index = c.pick % queue.length
    const m = queue[index]!
    const to = devices[c.to]
    const before = to.snapshot()
    if (c.kind === 'drop') {
      queue.splice(index, 1)
    } else if (c.kind === 'tamper') {
      const bad = m.bytes.slice()
      const bit = c.bit % (bad.length * 8)
      bad[bit >> 3]! ^= 1 << (bit & 7)
      typedError(() => to.receive(bad))
      expect(to.snapshot()).toBe(before)
    } else if (m.delivered) {
      expect(['DuplicateOrExpiredError', 'NoSessionError', 'DecryptError']).toContain(typedError(() => to.receive(m.bytes)))
      expect(to.snapshot()).toBe(before)
    } else {
      expect(utf8Decode(to.receive(m.bytes))).toBe(m.plaintext)
      m.delivered = true
      if (!c.keepCopy) queue.splice(index, 1)
    }
  }
  // Whatever is still in flight and was never delivered opens now, in the order it sits.
  for (const [to, queue] of inFlight.entries()) {
    for (const m of queue) if (!m.delivered) expect(utf8Decode(devices[to]!.receive(m.bytes))).toBe(m.plaintext)
  }
}

describe('session properties', () => {
  it('never a wrong plaintext, never an untyped exception, never a state change on failure', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 20, maxLength: 80 }), fc.nat(1_000_000), (commands, seed) => run(commands, seed)),
      { numRuns: 60 },
    )
  })
})

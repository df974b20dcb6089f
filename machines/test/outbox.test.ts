/**
 * The outbox on XState's SimulatedClock: when envelopes are (re)transmitted, when they
 * park, expire or fail, and a property over arbitrary event sequences.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SimulatedClock, createActor } from 'xstate'
import { DEFAULT_OUTBOX_POLICY, backoffDelay, outboxMachine } from '../outbox.ts'
import type { OutboxEvent, OutboxInput, OutboxItem, OutboxPolicy } from '../outbox.ts'

const POLICY: OutboxPolicy = { baseMs: 1_000, capMs: 8_000, maxAttempts: 20 }
const FAR = 1e12

const item = (envelopeId: string, fields: Partial<OutboxItem> = {}): OutboxItem => ({
  envelopeId,
  expiresAt: FAR,
  attempts: 0,
  relayed: false,
  ...fields,
})

/** An outbox on a simulated clock that records every callback as a line of text. */
function harness(input: Partial<OutboxInput> = {}) {
  const clock = new SimulatedClock()
  const log: string[] = []
  const sentAt: number[] = []
  const actor = createActor(outboxMachine, {
    clock,
    input: {
      destination: 'ab'.repeat(32),
      policy: POLICY,
      jitter: () => 0.5,
      transmit: (id, attempt) => {
        sentAt.push(clock.now())
        log.push(`transmit ${id} ${attempt}`)
      },
      attempted: (id, attempts) => log.push(`attempted ${id} ${attempts}`),
      failed: (id, reason) => log.push(`failed ${id} ${reason}`),
      ...input,
    },
  }).start()
  const transmits = (): string[] => log.filter((line) => line.startsWith('transmit'))
  const failures = (): string[] => log.filter((line) => line.startsWith('failed'))
  const send = (event: OutboxEvent): void => actor.send(event)
  const state = (): string => String(actor.getSnapshot().value)
  const items = () => actor.getSnapshot().context.items
  return { clock, actor, log, sentAt, transmits, failures, send, state, items }
}

describe('backoffDelay', () => {
  it('doubles from the base up to the cap; jitter 0.5 gives the step exactly', () => {
    const steps = [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(POLICY, n, 0.5))
    expect(steps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000])
    expect(backoffDelay(DEFAULT_OUTBOX_POLICY, 9, 0.5)).toBe(256_000)
    expect(backoffDelay(DEFAULT_OUTBOX_POLICY, 10, 0.5)).toBe(300_000)
    expect(backoffDelay(DEFAULT_OUTBOX_POLICY, 2_000, 0.5)).toBe(300_000)
  })

  it('keeps jitter within ±50 % of the step', () => {
    expect(backoffDelay(POLICY, 1, 0)).toBe(500)
    expect(backoffDelay(POLICY, 2, 0.999_999)).toBe(3_000)
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, j) => {
        const step = Math.min(POLICY.capMs, POLICY.baseMs * 2 ** (n - 1))
        const delay = backoffDelay(POLICY, n, j)
        return delay >= step / 2 && delay <= Math.round(step * 1.5)
      }),
    )
  })
})

describe('outbox', () => {
  it('transmits a new item at once with attempt 0 and schedules the retry a base step later', () => {
    const h = harness()
    expect(h.state()).toBe('idle')
    h.send({ type: 'ENQUEUE', item: item('aa') })
    expect(h.log).toEqual(['transmit aa 0', 'attempted aa 1'])
    expect(h.state()).toBe('active')
    expect(h.items()).toEqual([{ envelopeId: 'aa', expiresAt: FAR, attempts: 1, relayed: false, sendable: true, dueAt: 1_000, backoffFrom: 0 }])
    h.actor.stop()
  })

  it('retries after 1 s, 2 s, 4 s … capped, with rising attempt numbers and running counts', () => {
    const h = harness()
    h.send({ type: 'ENQUEUE', item: item('aa') })
    for (const at of [1_000, 3_000, 7_000, 15_000, 23_000, 31_000]) {
      h.clock.set(at - 1)
      h.clock.set(at)
    }
    expect(h.sentAt).toEqual([0, 1_000, 3_000, 7_000, 15_000, 23_000, 31_000])
    expect(h.transmits()).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => `transmit aa ${n}`))
    expect(h.log.filter((line) => line.startsWith('attempted'))).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `attempted aa ${n}`))
    h.actor.stop()
  })

  it('draws a fresh jitter for every retry', () => {
    const draws = [0, 0.999_999]
    const h = harness({ jitter: () => draws.shift() ?? 0.5 })
    h.send({ type: 'ENQUEUE', item: item('aa') })
    h.clock.set(499)
    expect(h.sentAt).toEqual([0])
    h.clock.set(500)
    h.clock.set(500 + 2_999)
    expect(h.sentAt).toEqual([0, 500])
    h.clock.set(500 + 3_000)
    expect(h.sentAt).toEqual([0, 500, 3_500])
    h.actor.stop()
  })

  it('stops for good on DELIVERED and goes back to idle', () => {
    const h = harness()
    h.send({ type: 'ENQUEUE', item: item('aa') })
    h.clock.set(1_000)
    h.send({ type: 'DELIVERED', envelopeId: 'aa' })
    expect(h.state()).toBe('idle')
    h.clock.set(100_000)
    expect(h.sentAt).toEqual([0, 1_000])
    expect(h.failures()).toEqual([])
    h.actor.stop()
  })

  it('parks a relayed item after maxAttempts, then fails it expired at expiresAt', () => {
    const h = harness({ policy: { ...POLICY, maxAttempts: 3 } })
    h.send({ type: 'ENQUEUE', item: item('aa', { expiresAt: 60_000 }) })
    h.send({ type: 'RELAYED', envelopeId: 'aa' })
    for (const at of [1_000, 3_000, 7_000, 30_000]) h.clock.set(at)
    expect(h.sentAt).toEqual([0, 1_000, 3_000])
    expect(h.items()[0]).toMatchObject({ attempts: 3, relayed: true, dueAt: null })
    expect(h.failures()).toEqual([])
    h.clock.set(59_999)
    expect(h.state()).toBe('active')
    h.clock.set(60_000)
    expect(h.failures()).toEqual(['failed aa expired'])
    expect(h.state()).toBe('idle')
    h.actor.stop()
  })

  it('fails an unrelayed item unreachable when its attempt after the last would be due', () => {
    const h = harness({ policy: { ...POLICY, maxAttempts: 3 } })
    h.send({ type: 'ENQUEUE', item: item('aa') })
    for (const at of [1_000, 3_000, 6_999]) h.clock.set(at)
    expect(h.failures()).toEqual([])
    h.clock.set(7_000)
    expect(h.failures()).toEqual(['failed aa unreachable'])
    expect(h.sentAt).toEqual([0, 1_000, 3_000])
    expect(h.state()).toBe('idle')
    h.actor.stop()
  })

  it('expires an item in the middle of its backoff', () => {
    const h = harness()
    h.send({ type: 'ENQUEUE', item: item('aa', { expiresAt: 2_500 }) })
    h.clock.set(1_000)
    h.clock.set(2_500)
    expect(h.log.slice(-1)).toEqual(['failed aa expired'])
    expect(h.sentAt).toEqual([0, 1_000])
    expect(h.state()).toBe('idle')
    h.actor.stop()
  })

  it('on REACHABLE transmits every waiting sendable item now and restarts their backoff', () => {
    const h = harness({ items: [item('aa', { attempts: 3 }), item('nb', { sendable: false }), item('bb')] })
    expect(h.transmits()).toEqual(['transmit aa 3', 'transmit bb 0'])
    h.clock.set(500)
    h.send({ type: 'REACHABLE' })
    expect(h.transmits().slice(2)).toEqual(['transmit aa 4', 'transmit bb 1'])
    // Both wait one base step again, not the 16 s / 2 s their counts would give.
    h.clock.set(1_499)
    expect(h.sentAt).toEqual([0, 0, 500, 500])
    h.clock.set(1_500)
    h.clock.set(3_500)
    expect(h.sentAt).toEqual([0, 0, 500, 500, 1_500, 1_500, 3_500, 3_500])
    expect(h.transmits().slice(-2)).toEqual(['transmit aa 6', 'transmit bb 3'])
    h.actor.stop()
  })

  it('on REACHABLE sends a parked item once more, and parks it again when the retry falls due', () => {
    const h = harness({ items: [item('aa', { attempts: 12, relayed: true })], policy: { ...POLICY, maxAttempts: 12 } })
    expect(h.transmits()).toEqual([])
    h.send({ type: 'REACHABLE' })
    expect(h.transmits()).toEqual(['transmit aa 12'])
    h.clock.set(1_000)
    h.clock.set(50_000)
    expect(h.transmits()).toEqual(['transmit aa 12'])
    expect(h.items()[0]).toMatchObject({ attempts: 13, dueAt: null })
    h.actor.stop()
  })

  it('resumes restored items at once in their order, failing or parking the exhausted ones', () => {
    const h = harness({
      policy: { ...POLICY, maxAttempts: 12 },
      items: [
        item('aa', { attempts: 2 }),
        item('dd', { attempts: 12 }),
        item('cc', { attempts: 12, relayed: true }),
        item('bb'),
        item('ee', { expiresAt: 0 }),
      ],
    })
    expect(h.log).toEqual([
      'transmit aa 2',
      'attempted aa 3',
      'failed dd unreachable',
      'transmit bb 0',
      'attempted bb 1',
      'failed ee expired',
    ])
    expect(h.items().map((i) => [i.envelopeId, i.dueAt])).toEqual([
      ['aa', 4_000],
      ['cc', null],
      ['bb', 1_000],
    ])
    h.actor.stop()
  })

  it('never transmits an item that is not sendable; it waits for its receipt or its expiry', () => {
    const h = harness({ items: [item('aa', { sendable: false, expiresAt: 10_000 }), item('bb', { sendable: false })] })
    expect(h.state()).toBe('active')
    h.send({ type: 'REACHABLE' })
    h.send({ type: 'DELIVERED', envelopeId: 'bb' })
    h.clock.set(10_000)
    expect(h.log).toEqual(['failed aa expired'])
    expect(h.state()).toBe('idle')
    h.actor.stop()
  })

  it('ignores a second ENQUEUE of a queued id, and DELIVERED or REMOVE of unknown ids', () => {
    const h = harness()
    h.send({ type: 'ENQUEUE', item: item('aa') })
    h.send({ type: 'ENQUEUE', item: item('aa') })
    h.send({ type: 'DELIVERED', envelopeId: 'zz' })
    h.send({ type: 'REMOVE', envelopeId: 'zz' })
    expect(h.transmits()).toEqual(['transmit aa 0'])
    expect(h.items()).toHaveLength(1)
    h.clock.set(1_000)
    expect(h.transmits()).toEqual(['transmit aa 0', 'transmit aa 1'])
    h.send({ type: 'REMOVE', envelopeId: 'aa' })
    expect(h.state()).toBe('idle')
    expect(h.failures()).toEqual([])
    h.actor.stop()
  })

  it('takes now from the input when given (epoch ms) and keeps retrying when transmit throws', () => {
    const epoch = 1_700_000_000_000
    const clock = new SimulatedClock()
    const attempts: number[] = []
    const actor = createActor(outboxMachine, {
      clock,
      input: {
        destination: 'cd',
        policy: POLICY,
        jitter: () => 0.5,
        now: () => epoch + clock.now(),
        transmit: () => {
          throw new Error('link gone')
        },
        attempted: (_, n) => attempts.push(n),
        failed: () => {},
      },
    }).start()
    actor.send({ type: 'ENQUEUE', item: item('aa', { expiresAt: epoch + 5_000 }) })
    expect(actor.getSnapshot().context.items[0]?.dueAt).toBe(epoch + 1_000)
    clock.set(1_000)
    clock.set(3_000)
    expect(attempts).toEqual([1, 2, 3])
    clock.set(5_000)
    expect(actor.getSnapshot().value).toBe('idle')
    expect(actor.getSnapshot().status).toBe('active')
    actor.stop()
  })
})

type Step =
  | { kind: 'enqueue'; relayed: boolean; sendable: boolean; ttl: number }
  | { kind: 'delivered' | 'relayed' | 'remove'; pick: number }
  | { kind: 'reachable' }
  | { kind: 'advance'; ms: number }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('enqueue' as const), relayed: fc.boolean(), sendable: fc.boolean(), ttl: fc.integer({ min: 0, max: 40_000 }) }),
  fc.record({ kind: fc.constantFrom('delivered' as const, 'relayed' as const, 'remove' as const), pick: fc.nat(12) }),
  fc.constant({ kind: 'reachable' as const }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 5_000 }) }),
)

describe('outbox property', () => {
  it('transmits at most maxAttempts + REACHABLE times, never after DELIVERED, and fails each item at most once', () => {
    const policy: OutboxPolicy = { baseMs: 100, capMs: 1_000, maxAttempts: 3 }
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
        fc.array(stepArb, { maxLength: 60 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 8 }),
        (restored, steps, draws) => {
          let draw = 0
          const h = harness({
            policy,
            jitter: () => draws[draw++ % draws.length]!,
            items: restored.map((attempts, i) => item(`r${i}`, { attempts, expiresAt: 30_000 })),
          })
          const ids = restored.map((_, i) => `r${i}`)
          const budget = new Map(restored.map((attempts, i) => [`r${i}`, Math.max(0, policy.maxAttempts - attempts)]))
          const sent = new Map<string, number>()
          const failedTimes = new Map<string, number>()
          const delivered = new Set<string>()
          const removed = new Set<string>()
          const count = (map: Map<string, number>, id: string): void => void map.set(id, (map.get(id) ?? 0) + 1)
          let reachable = 0
          const check = (): void => {
            for (const line of h.log.splice(0)) {
              const [what, id] = line.split(' ') as [string, string]
              if (what === 'transmit') {
                expect(delivered.has(id) || removed.has(id) || failedTimes.has(id)).toBe(false)
                count(sent, id)
              } else if (what === 'failed') {
                expect(delivered.has(id) || removed.has(id)).toBe(false)
                count(failedTimes, id)
              }
            }
          }
          for (const step of steps) {
            check()
            if (step.kind === 'enqueue') {
              const id = `e${ids.length}`
              ids.push(id)
              budget.set(id, policy.maxAttempts)
              h.send({ type: 'ENQUEUE', item: item(id, { relayed: step.relayed, sendable: step.sendable, expiresAt: h.clock.now() + step.ttl }) })
            } else if (step.kind === 'reachable') {
              reachable++
              h.send({ type: 'REACHABLE' })
            } else if (step.kind === 'advance') {
              h.clock.increment(step.ms)
            } else {
              const id = ids[step.pick] ?? 'unknown'
              const queued = h.items().some((i) => i.envelopeId === id)
              if (step.kind === 'delivered' && queued) delivered.add(id)
              if (step.kind === 'remove' && queued) removed.add(id)
              h.send({ type: step.kind === 'delivered' ? 'DELIVERED' : step.kind === 'relayed' ? 'RELAYED' : 'REMOVE', envelopeId: id })
            }
          }
          // Past every expiry, each item has been delivered, removed or failed exactly once.
          h.clock.increment(1e6)
          check()
          expect(h.state()).toBe('idle')
          for (const id of ids) {
            expect(sent.get(id) ?? 0).toBeLessThanOrEqual(budget.get(id)! + reachable)
            expect(failedTimes.get(id) ?? 0).toBe(delivered.has(id) || removed.has(id) ? 0 : 1)
          }
          h.actor.stop()
        },
      ),
      { numRuns: 300 },
    )
  })
})

import { describe, expect, test } from 'vitest'
import { failureText, problemDetail, statusDetail, statusLabel } from '../delivery.ts'

describe('delivery status in words', () => {
  test('every outgoing state has a short label', () => {
    for (const [status, label] of [
      ['queued', 'Queued'],
      ['sent', 'Sent'],
      ['relayed', 'Relayed'],
      ['delivered', 'Delivered'],
      ['read', 'Read'],
      ['failed', 'Not delivered'],
    ] as const) {
      expect(statusLabel(status)).toBe(label)
    }
  })

  test('says the reason of a failure when the engine gave a known one, and never guesses', () => {
    expect(failureText('expired')).toBe('Not delivered — expired')
    expect(failureText(undefined)).toBe('Not delivered')
    expect(failureText('something-new')).toBe('Not delivered')
    expect(statusDetail({ status: 'failed', failure: 'expired' }, 'Bob')).toContain('expired')
  })

  test('only a receipt from the contact says delivered or read', () => {
    expect(statusDetail({ status: 'relayed' }, 'Bob')).toBe('Relayed — a relay holds it until Bob is online')
    expect(statusDetail({ status: 'delivered' }, 'Bob')).toBe("Delivered to Bob's device")
    expect(statusDetail({ status: 'read' }, 'Bob')).toBe('Read by Bob')
  })

  test("says why a message still waits when a relay told us, and only while it waits", () => {
    expect(statusDetail({ status: 'sent', problem: 'home-unreachable' }, 'Bob')).toBe(
      "Sent — left this device — Bob's relays cannot be reached right now. It stays on this device and is sent again.",
    )
    expect(statusDetail({ status: 'sent', problem: 'destination-full' }, 'Bob')).toContain("Bob's relay is full")
    expect(statusDetail({ status: 'sent' }, 'Bob')).toBe('Sent — left this device')
    for (const problem of ['home-unreachable', 'no-custody', 'destination-full', 'sender-over-quota', 'too-large', 'expired'] as const) {
      expect(problemDetail(problem, 'Bob').length).toBeGreaterThan(20)
    }
  })
})

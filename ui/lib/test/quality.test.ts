import { describe, expect, test } from 'vitest'
import { gradeText, qualityDetails } from '../quality.ts'

const base = { rttMs: 23.4, jitterMs: 3.6, loss: 0, throughputBps: { up: 0, down: 0 }, grade: 'excellent' as const }

describe('link quality in words', () => {
  test('lists round trip, jitter and loss, rounded', () => {
    expect(qualityDetails(base)).toBe('Round trip 23 ms · jitter 4 ms · loss 0 %')
    expect(qualityDetails({ ...base, loss: 0.005 })).toBe('Round trip 23 ms · jitter 4 ms · loss 0.5 %')
    expect(qualityDetails({ ...base, loss: 0.126 })).toBe('Round trip 23 ms · jitter 4 ms · loss 13 %')
  })

  test('leaves out what is not measured yet', () => {
    expect(qualityDetails({ ...base, rttMs: null, jitterMs: null })).toBe('Loss 0 %')
    expect(qualityDetails({ ...base, jitterMs: null })).toBe('Round trip 23 ms · loss 0 %')
  })

  test('an open link that stopped answering is not called "offline" next to "Online"', () => {
    expect(gradeText('offline')).toBe('not responding')
    expect(gradeText('good')).toBe('good')
  })
})

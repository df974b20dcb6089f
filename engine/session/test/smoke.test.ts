import { it, expect } from 'vitest'
import { pair, text } from './harness.ts'
it('smoke', () => {
  const { alice, bob } = pair('smoke')
  const m = alice.send(text(1))
  expect(new TextDecoder().decode(bob.receive(m))).toBe('m1')
  const r = bob.send(text(2))
  expect(new TextDecoder().decode(alice.receive(r))).toBe('m2')
  const m3 = alice.send(text(3))
  expect(m3[1]).toBe(2)
  expect(new TextDecoder().decode(bob.receive(m3))).toBe('m3')
})

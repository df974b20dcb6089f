/**
 * A small seeded generator (mulberry32) for the kill test's choices: crash steps,
 * occurrence numbers, chunk sizes, on/off periods. Printing the seed makes the
 * schedule of a failing run replayable (the timing of the processes is not).
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number
}

export function prng(seed: number): Prng {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) }
}

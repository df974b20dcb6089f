/**
 * The simulator's plumbing: a seeded PRNG, a virtual clock with an event queue
 * (no real timers: time jumps from one event to the next), and a random
 * connected topology.
 */
import type { Clock, Random } from '../../engine/ports/index.ts'

/** mulberry32: small, fast and seeded. Not for real keys; the simulator needs repeatability. */
export interface Prng extends Random {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
}

export function prng(seed: number): Prng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)]!,
    bytes: (n) => Uint8Array.from({ length: n }, () => int(0, 255)),
  }
}

/** Events at virtual times, run in time order (ties in scheduling order). */
export interface EventLoop {
  readonly clock: Clock
  readonly now: number
  at(time: number, run: () => void): void
  /** Runs events until none is left before `end`; the clock then reads `end`. */
  runUntil(end: number): void
}

interface Event {
  readonly time: number
  readonly order: number
  readonly run: () => void
}

export function eventLoop(start: number): EventLoop {
  const heap: Event[] = []
  let now = start
  let order = 0
  const before = (a: Event, b: Event): boolean => a.time < b.time || (a.time === b.time && a.order < b.order)
  const push = (e: Event): void => {
    heap.push(e)
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if (!before(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }
  const pop = (): Event => {
    const top = heap[0]!
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2]
        let least = i
        if (l < heap.length && before(heap[l]!, heap[least]!)) least = l
        if (r < heap.length && before(heap[r]!, heap[least]!)) least = r
        if (least === i) break
        ;[heap[i], heap[least]] = [heap[least]!, heap[i]!]
        i = least
      }
    }
    return top
  }
  const loop: EventLoop = {
    clock: {
      now: () => now,
      setTimeout: (fn, ms) => loop.at(now + ms, fn),
      clearTimeout: () => {
        throw new Error('the simulator clock does not cancel timers')
      },
    },
    get now() {
      return now
    },
    at(time, run) {
      push({ time: Math.max(time, now), order: order++, run })
    },
    runUntil(end) {
      while (heap.length > 0 && heap[0]!.time <= end) {
        const event = pop()
        now = event.time
        event.run()
      }
      now = end
    },
  }
  return loop
}

/** A random connected graph on `n` nodes: a random spanning tree plus extra edges up to an average degree. */
export function randomTopology(rng: Prng, n: number, averageDegree: number): [number, number][] {
  const edges = new Set<string>()
  const out: [number, number][] = []
  const add = (a: number, b: number): void => {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`
    if (a === b || edges.has(key)) return
    edges.add(key)
    out.push(a < b ? [a, b] : [b, a])
  }
  for (let i = 1; i < n; i++) add(i, rng.int(0, i - 1))
  const target = Math.min(Math.round((n * averageDegree) / 2), (n * (n - 1)) / 2)
  while (out.length < target) add(rng.int(0, n - 1), rng.int(0, n - 1))
  return out
}

/** Hop counts from `from` over the edges that are up (breadth first). */
export function hopCounts(from: number, neighbours: (node: number) => Iterable<number>): Map<number, number> {
  const dist = new Map([[from, 0]])
  const queue = [from]
  for (let head = 0; head < queue.length; head++) {
    const at = queue[head]!
    for (const next of neighbours(at)) {
      if (!dist.has(next)) {
        dist.set(next, dist.get(at)! + 1)
        queue.push(next)
      }
    }
  }
  return dist
}

/**
 * Random and Clock from the Web platform globals, which browsers, workers and
 * Node 22 all provide. QuickJS hosts supply their own (TOOLING.md).
 */
import type { Clock, Random } from '../engine/ports/index.ts'

/** getRandomValues fills at most 65,536 bytes per call (Web Crypto §10.1.1). */
const MAX_RANDOM_CHUNK = 65_536

export function systemRandom(): Random {
  return {
    bytes(n) {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i += MAX_RANDOM_CHUNK) {
        globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + MAX_RANDOM_CHUNK)))
      }
      return out
    },
  }
}

export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  }
}

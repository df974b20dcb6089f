/** Deterministic `Random` for tests: SHA-256 in counter mode over a seed. Never for real keys. */
import { concat } from '../../bytes.ts'
import type { Random } from '../../ports/random.ts'
import { nobleCrypto } from '../nobleCrypto.ts'

const crypto = nobleCrypto()

export function seededRandom(seed: number | string): Random {
  const seedBytes = Uint8Array.from(String(seed), (c) => c.charCodeAt(0) & 0xff)
  let counter = 0
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n)
      for (let offset = 0; offset < n; offset += 32) {
        const block = crypto.sha256(concat(seedBytes, Uint8Array.of(0), new Uint8Array(new Uint32Array([counter++]).buffer)))
        out.set(block.subarray(0, Math.min(32, n - offset)), offset)
      }
      return out
    },
  }
}

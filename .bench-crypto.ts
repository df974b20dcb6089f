import { nobleCrypto } from './engine/crypto/nobleCrypto.ts'
import { nodeCrypto } from './native/node/nodeCrypto.ts'
import { randomBytes } from 'node:crypto'
function bench(fn: () => unknown, ms = 1000): number {
  const w = performance.now(); while (performance.now() - w < 200) fn()
  let n = 0; const t0 = performance.now(); let t = t0
  while (t - t0 < ms) { for (let i = 0; i < 20; i++) fn(); n += 20; t = performance.now() }
  return Math.round(n / ((t - t0) / 1000))
}
const rows: Record<string, Record<string, number>> = {}
for (const p of [nobleCrypto(), nodeCrypto()]) {
  const key = randomBytes(32), nonce = randomBytes(12), pt = randomBytes(256), ad = randomBytes(16)
  const sk = randomBytes(32), pk = p.x25519PublicKey(randomBytes(32))
  const seed = randomBytes(32), msg = randomBytes(256)
  const edPub = p.ed25519PublicKey(seed), sig = p.ed25519Sign(seed, msg)
  const badMsg = Uint8Array.from(msg); badMsg[0]! ^= 1
  const sealed = p.aeadSeal(key, nonce, pt, ad)
  const freshSecrets = Array.from({ length: 4096 }, () => randomBytes(32)); let i = 0
  rows[p.name] = {
    'aeadSeal 256 B': bench(() => p.aeadSeal(key, nonce, pt, ad)),
    'aeadOpen 256 B': bench(() => p.aeadOpen(key, nonce, sealed, ad)),
    'x25519 (cached keys)': bench(() => p.x25519(sk, pk)),
    'x25519 (fresh secret)': bench(() => p.x25519(freshSecrets[i++ & 4095]!, pk)),
    'x25519PublicKey (fresh)': bench(() => p.x25519PublicKey(freshSecrets[i++ & 4095]!)),
    'ed25519Sign 256 B': bench(() => p.ed25519Sign(seed, msg)),
    'ed25519Verify 256 B valid': bench(() => p.ed25519Verify(sig, msg, edPub)),
    'ed25519Verify 256 B tampered': bench(() => p.ed25519Verify(sig, badMsg, edPub)),
    'sha256 64 B': bench(() => p.sha256(ad)),
    'hkdf 64 B out': bench(() => p.hkdfSha256(key, ad, ad, 64)),
  }
}
const names = Object.keys(rows.noble!)
console.log('op'.padEnd(32), 'noble'.padStart(12), 'node'.padStart(12), 'ratio'.padStart(8))
for (const n of names) console.log(n.padEnd(32), rows.noble![n]!.toLocaleString('en').padStart(12), rows.node![n]!.toLocaleString('en').padStart(12), (rows.node![n]! / rows.noble![n]!).toFixed(1).padStart(8))

import * as c from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
const hex = (h) => Buffer.from(h, 'hex')
const ED_SPKI = hex('302a300506032b6570032100')
const nodeVerify = (sig, msg, pk) => {
  try { const key = c.createPublicKey({ key: Buffer.concat([ED_SPKI, pk]), format: 'der', type: 'spki' }); return c.verify(null, msg, key, sig) } catch (e) { return 'throw ' + e.message }
}
const nobleVerify = (sig, msg, pk) => { try { return ed25519.verify(sig, msg, pk, { zip215: false }) } catch (e) { return 'throw' } }
const Point = ed25519.Point
const L = Point.Fn.ORDER
const le = (n) => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(n & 255n); n >>= 8n } return b }
const fromLe = (b) => { let n = 0n; for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]); return n }
const msg = new TextEncoder().encode('hello')
const cases = []
const idEnc = hex('0100000000000000000000000000000000000000000000000000000000000000')
const zeroS = new Uint8Array(32)
cases.push(['A=identity, R=identity, S=0', Buffer.concat([idEnc, zeroS]), idEnc])
// small order points list
const torsion = []
{ let T = null
  // find an 8-torsion generator: take random point, multiply by L
  const P = Point.fromBytes(hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'))
  T = P.multiply ? P.multiplyUnsafe(L) : null
  let Q = Point.ZERO
  for (let i = 0; i < 8; i++) { torsion.push(Q); Q = Q.add(T) }
}
console.log('torsion orders distinct', new Set(torsion.map(p => p.toHex())).size)
for (const [i, T] of torsion.entries()) {
  const A = T.toBytes()
  // R = identity, S = 0 => SB - kA = -kA; accept if encode(-kA) == R; with R = -kA... choose R = identity works when kA = 0
  cases.push([`small-order A #${i}, R=id, S=0`, Buffer.concat([idEnc, zeroS]), A])
}
// non-canonical A encodings
const p = 2n ** 255n - 19n
cases.push(['A non-canonical y=p+1 (identity)', Buffer.concat([idEnc, zeroS]), le(p + 1n)])
const xs = le(1n); xs[31] |= 0x80
cases.push(['A = y=1 with sign bit', Buffer.concat([idEnc, zeroS]), xs])
// S >= L
const seed = new Uint8Array(32).fill(3)
const pk = ed25519.getPublicKey(seed)
const sig = ed25519.sign(msg, seed)
const S = fromLe(sig.subarray(32))
cases.push(['valid', Buffer.from(sig), pk])
cases.push(['S + L', Buffer.concat([sig.subarray(0, 32), le(S + L)]), pk])
// mixed-order R: R = rB + T
const { scalar } = ed25519.utils.getExtendedPublicKey(seed)
const modL = (n) => ((n % L) + L) % L
for (const [i, T] of torsion.entries()) {
  if (i === 0) continue
  const r = 12345678901234567890n
  const R = Point.BASE.multiply(r).add(T).toBytes()
  const k = modL(fromLe(sha512(Buffer.concat([R, pk, msg]))))
  const s = modL(r + k * scalar)
  cases.push([`mixed-order R (T#${i})`, Buffer.concat([R, le(s)]), pk])
}
// mixed-order A: A = aB + T (sign with scalar a, publish A')
for (const [i, T] of torsion.entries()) {
  if (i === 0) continue
  const A2 = Point.BASE.multiply(scalar).add(T).toBytes()
  const r = 98765432109876543210n
  const R = Point.BASE.multiply(r).toBytes()
  const k = modL(fromLe(sha512(Buffer.concat([R, A2, msg]))))
  const s = modL(r + k * scalar)
  cases.push([`mixed-order A (T#${i}) k%8=${k % 8n}`, Buffer.concat([R, le(s)]), A2])
}
for (const [name, s, a] of cases) console.log(name.padEnd(40), 'node', nodeVerify(s, msg, Buffer.from(a)), 'noble', nobleVerify(s, msg, a))

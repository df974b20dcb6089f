/**
 * Identities and signatures in the home-relay simulator (homeSim.ts), cheap enough for a
 * million users: keys that carry the user's or relay's index (so the simulator needs no
 * lookup tables), and a Crypto port whose Ed25519 is a stand-in (homeSim.md, "Crypto").
 */
import type { Identity } from '../../engine/identity/index.ts'
import type { Crypto } from '../../engine/ports/index.ts'

/** Tag bytes of user and relay keys: a key's first hex pair tells which it is. */
export const USER_TAG = 0x75
export const RELAY_TAG = 0x72

/** Counts of the stand-in signatures, for the figures. */
export interface ModelCrypto extends Crypto {
  readonly counts: { signatures: number; verifications: number }
}

/**
 * The Crypto port with Ed25519 replaced by a cheap deterministic stand-in: the
 * "public key" is the 32-byte secret itself, a signature is that key followed by a
 * 32-bit FNV-1a of the signed bytes (context included) and zeros, and verification
 * recomputes both. Every byte the engine signs is still built, hashed and checked
 * by the real code paths (signWithContext / verifyWithContext, the record and
 * receipt codecs, times and names); only the arithmetic is fake, and anyone could
 * forge it, so the simulator models no adversary. Nothing else of the port is used.
 */
export function modelCrypto(): ModelCrypto {
  const counts = { signatures: 0, verifications: 0 }
  const digest = (message: Uint8Array): number => {
    let h = 0x811c9dc5
    for (let i = 0; i < message.length; i++) h = Math.imul(h ^ message[i]!, 0x01000193)
    return h >>> 0
  }
  const unused = (): never => {
    throw new Error('modelCrypto: only Ed25519 is modelled')
  }
  return {
    name: 'model',
    counts,
    sha256: unused,
    hmacSha256: unused,
    hkdfSha256: unused,
    x25519PublicKey: unused,
    x25519: unused,
    aeadSeal: unused,
    aeadOpen: unused,
    xaeadSeal: unused,
    xaeadOpen: unused,
    ed25519PublicKey: (secretKey) => secretKey.slice(0, 32),
    ed25519Sign(secretKey, message) {
      counts.signatures++
      const signature = new Uint8Array(64)
      signature.set(secretKey.subarray(0, 32))
      const h = digest(message)
      signature[32] = h >>> 24
      signature[33] = (h >>> 16) & 0xff
      signature[34] = (h >>> 8) & 0xff
      signature[35] = h & 0xff
      return signature
    },
    ed25519Verify(signature, message, publicKey) {
      counts.verifications++
      if (signature.length !== 64 || publicKey.length !== 32) return false
      for (let i = 0; i < 32; i++) if (signature[i] !== publicKey[i]) return false
      const h = digest(message)
      return signature[32] === h >>> 24 && signature[33] === ((h >>> 16) & 0xff) && signature[34] === ((h >>> 8) & 0xff) && signature[35] === (h & 0xff)
    },
  }
}

/** 32-byte identity key: a tag byte, the index (u32) and filler; the simulator reads the index back from the key. */
export function writeKey(out: Uint8Array, offset: number, tag: number, index: number): void {
  out[offset] = tag
  out[offset + 1] = index >>> 24
  out[offset + 2] = (index >>> 16) & 0xff
  out[offset + 3] = (index >>> 8) & 0xff
  out[offset + 4] = index & 0xff
  let h = Math.imul(index + 0x9e3779b9, 0x85ebca6b) ^ tag
  for (let i = 5; i < 32; i++) {
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    out[offset + i] = h & 0xff
  }
}
/** The index a key (or an envelope id, homeMail.ts) carries in bytes 1–4. */
export const indexOf = (bytes: Uint8Array): number => ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0
export const hexIndex = (hex: string): number => parseInt(hex.slice(2, 10), 16)
export const isUserHex = (hex: string): boolean => hex.charCodeAt(0) === 0x37 && hex.charCodeAt(1) === 0x35 // '75'

/** An Identity whose every key is `key`: enough for the signing the simulator does (modelCrypto). */
export function fakeIdentity(key: Uint8Array): Identity {
  return { signingKey: { publicKey: key, secretKey: key }, staticKey: { publicKey: key, secretKey: key }, binding: new Uint8Array(64) }
}

/**
 * The primitives the engine uses, all standard so every provider yields identical
 * bytes (DESIGN.md §2). Synchronous: noble and node:crypto both are, and Noise
 * state machines are simpler without awaits. Providers never log key material.
 */
export interface Crypto {
  /** Provider name for benchmarks and test titles ('noble', 'node'). */
  readonly name: string
  sha256(data: Uint8Array): Uint8Array
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array
  /** X25519 public key of a 32-byte secret. */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array
  /** X25519 shared secret; throws `WeakKeyError` when it is all zero (low-order point). */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array
  /** ChaCha20-Poly1305 (RFC 8439, 12-byte nonce): ciphertext || 16-byte tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array
  /** Inverse of `aeadSeal`; throws `DecryptError` on any authentication failure. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array
  /**
   * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha, 24-byte nonce): ciphertext || 16-byte tag.
   * The long nonce may be chosen at random (encrypted backups). Throws
   * `InvalidLengthError` unless the key is 32 bytes and the nonce 24.
   */
  xaeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array
  /** Inverse of `xaeadSeal`; throws `DecryptError` on any authentication failure. */
  xaeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array
  /** Ed25519 public key of a 32-byte seed. */
  ed25519PublicKey(secretKey: Uint8Array): Uint8Array
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array
  /** Strict RFC 8032 verification (ZIP-215 off); false on any malformed input. */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
}

/** Cryptographically secure randomness, injected so known-answer tests can fix it. */
export interface Random {
  /** Returns `n` fresh random bytes. */
  bytes(n: number): Uint8Array
}

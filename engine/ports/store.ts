/**
 * Durable key-value storage. Keys are strings whose `/`-separated prefixes group
 * records of one kind (`contact/<id>`, `msg/<contact>/<bucket>/<id>`); values are
 * bytes (the engine encodes its records itself).
 */
export interface Store {
  get(key: string): Promise<Uint8Array | undefined>
  set(key: string, value: Uint8Array): Promise<void>
  delete(key: string): Promise<void>
  /** Every key that starts with `prefix`, sorted ascending (byte order of UTF-16 code units). */
  keys(prefix: string): Promise<string[]>
  /** Applies all operations or none. */
  batch(ops: readonly StoreOp[]): Promise<void>
}

export type StoreOp =
  | { readonly type: 'set'; readonly key: string; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: string }

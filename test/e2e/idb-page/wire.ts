/**
 * Values as they cross between the test and the page. Playwright sends
 * arguments as JSON over a UTF-8 pipe, which would turn a lone surrogate in a
 * key into U+FFFD (and so a key the store must refuse into one it accepts) and
 * cannot tell a Uint8Array from an array: strings travel as UTF-16 code units
 * and bytes are tagged, one byte per char (U+0000-U+00FF are never
 * surrogates; a 1 MiB value as an array of numbers takes Playwright seconds).
 */
export type Wire =
  | { readonly t: 'u8'; readonly v: string }
  | { readonly t: 's'; readonly v: number[] }
  | { readonly t: 'a'; readonly v: Wire[] }
  | { readonly t: 'o'; readonly v: [string, Wire][] }
  | { readonly t: 'j'; readonly v: number | boolean | null }
  | { readonly t: 'u' }

export function toWire(value: unknown): Wire {
  if (value instanceof Uint8Array) return { t: 'u8', v: bytesToChars(value) }
  if (typeof value === 'string') return { t: 's', v: Array.from({ length: value.length }, (_, i) => value.charCodeAt(i)) }
  if (Array.isArray(value)) return { t: 'a', v: value.map(toWire) }
  if (value === undefined) return { t: 'u' }
  if (typeof value === 'object' && value !== null) return { t: 'o', v: Object.entries(value).map(([k, v]) => [k, toWire(v)]) }
  return { t: 'j', v: value as number | boolean | null }
}

export function fromWire(wire: Wire): unknown {
  switch (wire.t) {
    case 'u8':
      return Uint8Array.from(wire.v, (char) => char.charCodeAt(0))
    case 's':
      return String.fromCharCode(...wire.v)
    case 'a':
      return wire.v.map(fromWire)
    case 'o':
      return Object.fromEntries(wire.v.map(([k, v]) => [k, fromWire(v)]))
    case 'j':
      return wire.v
    case 'u':
      return undefined
  }
}

/** A call's outcome; an error keeps its name and the typed fields tests check. */
export type Outcome =
  | { readonly ok: true; readonly value: Wire }
  | { readonly ok: false; readonly name: string; readonly message: string; readonly fields: Wire }

/** What the page offers the test as `window.idbPage`. */
export interface IdbPage {
  /** A new Store handle on `dbName` (opening is lazy, as in the app). */
  open(dbName: string, blockedTimeoutMs?: number): number
  call(handle: number, method: string, args: Wire): Promise<Outcome>
  /** Writes `entries` the way the previous build did: idb-keyval's createStore(dbName, 'kv'), whose connection stays open. */
  seedLegacy(dbName: string, entries: Wire): Promise<void>
  /** Creates `dbName` at `version` with one object store 'future' holding one record. */
  seedNewer(dbName: string, version: number): Promise<void>
  /** Opens `dbName` at `version` as a newer build would; says whether it was blocked. */
  upgradeTo(dbName: string, version: number): Promise<{ blocked: boolean }>
  /** Version, and every object store with its records, read without a version. */
  dump(dbName: string): Promise<Wire>
  /** Transactions opened since the last call: their scope, mode and durability as the browser reports it. */
  transactions(): { stores: string[]; mode: string; durability: string }[]
}

function bytesToChars(bytes: Uint8Array): string {
  let out = ''
  // Chunked: fromCharCode's arguments are limited by the stack.
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192))
  return out
}

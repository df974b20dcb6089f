/**
 * What the test (through the page) and the test worker say to each other.
 * Signals cross as plain number arrays so that the test can relay them
 * between pages with `page.evaluate`.
 */
export type TestCommand =
  | { readonly op: 'init'; readonly selfId: string; readonly dialTimeoutMs?: number }
  | { readonly op: 'signal'; readonly from: string; readonly bytes: number[] }
  | { readonly op: 'listen' }
  | { readonly op: 'dial'; readonly peer: string }
  | { readonly op: 'send'; readonly texts: string[] }
  | { readonly op: 'close'; readonly reason: string }
  /** Sends `total` bytes in `size`-byte messages, pausing while bufferedAmount is over 1 MiB. */
  | { readonly op: 'flood'; readonly total: number; readonly size: number }
  /** Reports 'drained' once `total` flood bytes have arrived. */
  | { readonly op: 'expect'; readonly total: number }

export type TestEvent =
  | { readonly ev: 'signal'; readonly to: string; readonly bytes: number[] }
  | { readonly ev: 'ready' }
  | { readonly ev: 'listening' }
  | { readonly ev: 'link'; readonly how: 'dialled' | 'accepted'; readonly label: string; readonly openMs: number }
  | { readonly ev: 'message'; readonly text: string }
  | { readonly ev: 'closed'; readonly reason: string }
  | { readonly ev: 'error'; readonly name: string; readonly message: string }
  | { readonly ev: 'flooded'; readonly ms: number; readonly maxBuffered: number }
  | { readonly ev: 'drained'; readonly bytes: number; readonly ms: number }

/** First byte of a flood message; text messages never start with it (0xff is not UTF-8). */
export const FLOOD_TAG = 0xff

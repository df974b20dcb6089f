/**
 * How a safety number is shown: 5-digit groups for the eye and a QR code for a
 * side-by-side look. Both come from the digits alone, so two screens showing the
 * same number draw the same groups and the same code.
 */
import { encode } from 'uqr'

/** Versioned, so a future derivation (engine/identity/safetyNumber.ts) never matches this one. */
export const SAFETY_QR_PREFIX = 'SOVSN1:'

/** Quiet zone around the code, in modules (ISO/IEC 18004 §6.3.8 asks for 4). */
const QUIET_ZONE = 4

/** The digits with spacing and anything else stripped. */
export function safetyDigits(safetyNumber: string): string {
  return safetyNumber.replace(/\D/g, '')
}

/** The number as 5-digit groups (12 for a well-formed 60-digit number). */
export function safetyGroups(safetyNumber: string): string[] {
  return safetyDigits(safetyNumber).match(/\d{1,5}/g) ?? []
}

/** What the QR code carries: `SOVSN1:` and the 60 digits without spaces. */
export function safetyQrPayload(safetyNumber: string): string {
  return SAFETY_QR_PREFIX + safetyDigits(safetyNumber)
}

export interface QrDrawing {
  /** Side of the square viewBox, quiet zone included, in modules. */
  readonly size: number
  /** One SVG path of all dark modules, merged into horizontal runs. */
  readonly path: string
}

/** A QR code for `text` as a single SVG path, so the page never parses markup from a library. */
export function qrDrawing(text: string): QrDrawing {
  // Medium error correction: still a small code for 67 characters, and survives glare on a screen.
  const qr = encode(text, { ecc: 'M', border: 0 })
  let path = ''
  qr.data.forEach((row, y) => {
    let x = 0
    while (x < row.length) {
      if (!row[x]) {
        x++
        continue
      }
      const start = x
      while (x < row.length && row[x]) x++
      path += `M${start + QUIET_ZONE} ${y + QUIET_ZONE}h${x - start}v1h${start - x}z`
    }
  })
  return { size: qr.size + 2 * QUIET_ZONE, path }
}

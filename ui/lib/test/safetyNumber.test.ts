import { describe, expect, test } from 'vitest'
import { qrDrawing, safetyDigits, safetyGroups, safetyQrPayload } from '../safetyNumber.ts'

const NUMBER = '31415 92653 58979 32384 62643 38327 95028 84197 16939 93751 05820 97494'

/** Dark modules of a drawing, back from its path (runs `M x y h n v1 h-n z`). */
function darkModules(path: string): Set<string> {
  const dark = new Set<string>()
  for (const [, x, y, n] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let i = 0; i < Number(n); i++) dark.add(`${Number(x) + i},${y}`)
  }
  return dark
}

describe('safety number display', () => {
  test('shows 12 groups of 5 digits, leading zeros kept', () => {
    const groups = safetyGroups(NUMBER)
    expect(groups).toHaveLength(12)
    expect(groups[10]).toBe('05820')
    expect(groups.join(' ')).toBe(NUMBER)
  })

  test('spacing and line breaks do not change the digits or the QR payload', () => {
    const messy = NUMBER.replace(/ /g, '\n  ')
    expect(safetyDigits(messy)).toBe(NUMBER.replace(/ /g, ''))
    expect(safetyQrPayload(messy)).toBe(`SOVSN1:${NUMBER.replace(/ /g, '')}`)
  })

  test('the QR code is deterministic, square and framed by a quiet zone', () => {
    const a = qrDrawing(safetyQrPayload(NUMBER))
    expect(qrDrawing(safetyQrPayload(NUMBER))).toEqual(a)
    // 67 alphanumeric characters at level M fit version 4 (33 modules), plus 4 on each side.
    expect(a.size).toBe(33 + 8)
    const dark = darkModules(a.path)
    for (const cell of dark) {
      const [x, y] = cell.split(',').map(Number) as [number, number]
      expect(x >= 4 && x < a.size - 4 && y >= 4 && y < a.size - 4).toBe(true)
    }
    // Finder pattern corners (ISO/IEC 18004 §6.3.3) where a reader looks for them.
    for (const [x, y] of [[4, 4], [10, 10], [a.size - 5, 4], [4, a.size - 5]] as const) {
      expect(dark.has(`${x},${y}`)).toBe(true)
    }
  })

  test('a different number draws a different code', () => {
    const other = NUMBER.replace('31415', '31416')
    expect(qrDrawing(safetyQrPayload(other)).path).not.toBe(qrDrawing(safetyQrPayload(NUMBER)).path)
  })
})

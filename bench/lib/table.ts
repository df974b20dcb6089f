/** One figure of a scenario, as printed in the table and written to results/latest.json. */
export interface Metric {
  readonly metric: string
  readonly value: number
  readonly unit: string
}

export interface TableRow extends Metric {
  readonly scenario: string
}

const formatValue = (value: number): string => {
  if (!Number.isFinite(value)) return String(value)
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** A plain-text table: scenario | metric | value | unit, values right-aligned. */
export function formatTable(rows: readonly TableRow[]): string {
  const header = ['scenario', 'metric', 'value', 'unit']
  const cells = rows.map((r) => [r.scenario, r.metric, formatValue(r.value), r.unit])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: readonly string[]): string =>
    c.map((v, i) => (i === 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n')
}

import type { Metric } from './table.ts'

/** What every scenario returns: the table's figures plus the raw numbers behind them. */
export interface ScenarioResult<Raw extends object = Record<string, unknown>> {
  readonly name: string
  readonly metrics: readonly Metric[]
  readonly raw: Raw
}

export interface ScenarioOptions {
  /** Smaller counts, for a smoke test. */
  readonly quick?: boolean
}

/**
 * Progress of a backup or restore, for a progress bar: `done` of `total` within
 * `phase`. Phases come in order ('reading' then 'sealing' for a backup;
 * 'opening', 'checking', 'writing' for a restore) and within a phase `done`
 * strictly increases up to `total`. 'sealing' and 'opening' are almost all
 * scrypt and count in thousandths.
 */
export interface BackupProgress {
  (phase: 'reading' | 'sealing' | 'opening' | 'checking' | 'writing', done: number, total: number): void
}

export type BackupPhase = Parameters<BackupProgress>[0]

/** Thousandths: scrypt reports fractions far more often than a bar can show. */
export const FRACTION_STEPS = 1000

/** A reporter for one phase that drops repeats, so `done` strictly increases. */
export function phaseReporter(onProgress: BackupProgress | undefined, phase: BackupPhase): (done: number, total: number) => void {
  let last = -1
  return (done: number, total: number): void => {
    if (onProgress && done > last) {
      last = done
      onProgress(phase, done, total)
    }
  }
}

/** As `phaseReporter`, for a phase measured as a fraction in [0, 1]. */
export function fractionReporter(onProgress: BackupProgress | undefined, phase: BackupPhase): (fraction: number) => void {
  const report = phaseReporter(onProgress, phase)
  return (fraction: number): void => report(Math.round(fraction * FRACTION_STEPS), FRACTION_STEPS)
}

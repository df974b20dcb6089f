/**
 * The longest a test waits for any one thing to happen: a deadline for a hung
 * test on a busy 2-core machine (two `yes` processes on both cores; issue 9),
 * never a performance assertion. Waiting ends as soon as the thing happens.
 */
export const WAIT_MS = 60_000

/** Polls `probe` until it returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T> | T, timeoutMs = WAIT_MS): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

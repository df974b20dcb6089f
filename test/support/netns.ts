/**
 * WebRTC tests run only inside a network namespace that has nothing but
 * loopback (TOOLING.md), so no traffic can leave 127.0.0.1. `npm test` runs
 * them under `unshare -n`; anywhere else they skip loudly with the command.
 */
import { networkInterfaces } from 'node:os'

/** TOOLING.md, Real browser tests: loopback candidates need both flags. */
export const WEBRTC_FLAGS: readonly string[] = ['--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream']

export function netnsCommand(testFile: string): string {
  return `unshare -n sh -c 'ip link set lo up && exec npx vitest run ${testFile}'`
}

/** True inside `unshare -n` with lo up (every interface loopback, 127.0.0.1 present); warns loudly otherwise. */
export function onlyLoopback(testFile: string): boolean {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? [])
  const isolated = addresses.length > 0 && addresses.every((a) => a.internal) && addresses.some((a) => a.address === '127.0.0.1')
  if (!isolated) {
    console.warn(
      `\n!!! SKIPPING ${testFile}: WebRTC tests run only in a network namespace with nothing but loopback.\n` +
        `!!! Run: ${netnsCommand(testFile)}\n`,
    )
  }
  return isolated
}

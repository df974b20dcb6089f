/**
 * Headless Chromium for real-browser tests, driven by playwright-core against the
 * system browser (no browser download: TOOLING.md, Real browser tests).
 * Each person in a test gets `browser.newContext()`: its own IndexedDB, cookies
 * and storage, as separate devices would have.
 */
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface LaunchChromiumInit {
  /** Extra command-line flags, e.g. the WebRTC loopback ones (tests that pass them run inside `unshare -n`). */
  readonly args?: readonly string[]
}

/**
 * Without WebRTC flags a test runs on the host's network: WebRTC would gather
 * candidates on every interface and pages could link over eth0. Tests send
 * nothing but to 127.0.0.1, so there WebRTC gets no UDP path and pages talk
 * through the local relay.
 */
const NO_WEBRTC_OFF_LOOPBACK = ['--webrtc-ip-handling-policy=disable_non_proxied_udp']

/** Playwright gives every launch a fresh temporary user-data-dir and removes it on close. */
export async function launchChromium(init: LaunchChromiumInit = {}): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...(init.args ?? NO_WEBRTC_OFF_LOOPBACK)],
    })
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n', 1)[0] : String(err)
    throw new Error(
      `Chromium did not start from ${executablePath} (${reason}). ` +
        'Install it with `apt-get install -y chromium` or set CHROMIUM_PATH.',
    )
  }
}

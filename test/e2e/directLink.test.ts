/**
 * The whole app in Chromium: two pages meet through the relay, upgrade to a
 * direct WebRTC link (signalled end to end through the mesh; RTCPeerConnection on
 * the page, bridged to the engine worker), and keep chatting after the relay is
 * stopped. WebRTC runs only inside a network namespace with nothing but loopback
 * (TOOLING.md): `npm test` runs this file under `unshare -n`.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { launchChromium } from '../support/chromium.ts'
import { onlyLoopback, WEBRTC_FLAGS } from '../support/netns.ts'
import { WAIT_MS } from '../support/waitFor.ts'

const DIST = resolve(import.meta.dirname, '..', '..', 'dist')
const WAIT = WAIT_MS
const isolated = onlyLoopback('test/e2e/directLink.test.ts')

describe.skipIf(!isolated)('direct WebRTC link in Chromium', () => {
  let browser: Browser
  let relay: RelayHandle
  let dataDir: string

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/index.html is missing: run `npx vite build` first.')
    dataDir = await mkdtemp(join(tmpdir(), 'sovereign-e2e-direct-'))
    relay = await startRelay({ host: '127.0.0.1', port: 0, dataDir, staticDir: DIST })
    browser = await launchChromium({ args: WEBRTC_FLAGS })
  })
  afterAll(async () => {
    await browser?.close()
    await relay?.close().catch(() => undefined)
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  const onboard = async (name: string): Promise<Page> => {
    const page = await (await browser.newContext()).newPage()
    page.setDefaultTimeout(WAIT)
    await page.goto(relay.httpUrl)
    await page.getByTestId('display-name-input').fill(name)
    await page.getByTestId('onboard-submit').click()
    await page.getByTestId('my-offer').waitFor()
    await page.locator('[data-testid="connection-status"][data-state="open"]').waitFor()
    return page
  }
  const send = async (page: Page, text: string): Promise<void> => {
    await page.getByTestId('message-input').fill(text)
    await page.getByTestId('message-input').press('Enter')
  }
  const arrived = (page: Page, text: string) =>
    page.locator('[data-testid="message"][data-direction="in"]').filter({ hasText: text }).waitFor()

  it('meets through the relay, goes direct, and keeps chatting after the relay stops', async () => {
    const alice = await onboard('Alice')
    const bob = await onboard('Bob')
    await bob.getByTestId('offer-input').fill(await alice.getByTestId('my-offer').inputValue())
    await bob.getByTestId('add-contact').click()
    await alice.getByTestId('contact-item').filter({ hasText: 'Bob' }).click()
    await bob.getByTestId('contact-item').filter({ hasText: 'Alice' }).click()

    await send(bob, 'hello through the relay')
    await arrived(alice, 'hello through the relay')
    await send(alice, 'hi back')
    await arrived(bob, 'hi back')

    // Hearing from each other, the lower id dials rtc: — both headers turn direct.
    await alice.locator('[data-testid="contact-path"][data-path="direct"]').waitFor()
    await bob.locator('[data-testid="contact-path"][data-path="direct"]').waitFor()

    await relay.close()
    await send(alice, 'the relay is gone')
    await arrived(bob, 'the relay is gone')
    await send(bob, 'and we are still talking')
    await arrived(alice, 'and we are still talking')
    expect(await alice.locator('[data-testid="message"][data-direction="in"]').count()).toBe(2)
  })
})

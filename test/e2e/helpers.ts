/**
 * Shared steps of the end-to-end tests: the built app (dist/) served by a real
 * relay, each person in their own Chromium context (separate IndexedDB, like two
 * devices). Every step waits for what a user would see; no sleeps.
 *
 * Needs `npx vite build` first and Chromium at /usr/bin/chromium (or CHROMIUM_PATH).
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, onTestFailed } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import { launchChromium } from '../support/chromium.ts'
import { WAIT_MS } from '../support/waitFor.ts'

const DIST = resolve(import.meta.dirname, '../../dist')
/** Longest wait for any one thing a user would see (a deadline for a hung step, not a speed target). */
export const WAIT = WAIT_MS

export interface Person {
  /** Label for screenshots and failure messages (two people may share a display name). */
  readonly name: string
  readonly context: BrowserContext
  readonly page: Page
  /** Uncaught exceptions in the page: any is a bug. */
  readonly pageErrors: string[]
}

export interface E2eWorld {
  /** A fresh device at the app's start page. */
  openApp(label: string): Promise<Person>
  /** A fresh device with a profile named `displayName`, its offer code on screen. */
  onboard(displayName: string, label?: string): Promise<Person>
  /** On failure, leaves a screenshot of every open page in the temp dir and says where. */
  screenshotOnFailure(label: string): void
}

/**
 * Registers the suite's hooks: one relay serving dist/ and one Chromium for the
 * file, every person's context closed after each test. Call at the top of a test file.
 */
export function useE2eWorld(): E2eWorld {
  let browser: Browser
  let relay: Awaited<ReturnType<typeof startRelay>>
  let dataDir: string
  let people: Person[] = []

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) {
      throw new Error(`${join(DIST, 'index.html')} is missing: build the web app with \`npx vite build\` before the e2e tests.`)
    }
    dataDir = await mkdtemp(join(tmpdir(), 'sovereign-e2e-relay-'))
    relay = await startRelay({ host: '127.0.0.1', port: 0, dataDir, staticDir: DIST })
    browser = await launchChromium()
  })

  afterEach(async () => {
    await Promise.all(people.map((p) => p.context.close()))
    people = []
  })

  afterAll(async () => {
    await browser?.close()
    await relay?.close()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  const openApp = async (label: string): Promise<Person> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT)
    const person: Person = { name: label, context, page, pageErrors: [] }
    page.on('pageerror', (err) => person.pageErrors.push(err.message))
    people.push(person)
    await page.goto(relay.httpUrl)
    return person
  }

  return {
    openApp,

    async onboard(displayName, label = displayName) {
      const person = await openApp(label)
      await person.page.getByTestId('display-name-input').fill(displayName)
      await person.page.getByTestId('onboard-submit').click()
      await person.page.getByTestId('my-offer').waitFor()
      return person
    },

    screenshotOnFailure(label) {
      onTestFailed(async () => {
        for (const person of people) {
          const path = join(tmpdir(), `sovereign-e2e-${label}-${person.name}.png`)
          await person.page.screenshot({ path, fullPage: true }).catch(() => undefined)
          console.error(`screenshot of ${person.name}: ${path}; page errors: ${JSON.stringify(person.pageErrors)}`)
        }
      })
    },
  }
}

export async function offerOf(person: Person): Promise<string> {
  const code = await person.page.getByTestId('my-offer').inputValue()
  expect(code.trim()).not.toBe('')
  return code
}

export function contactItem(person: Person, name: string): Locator {
  return person.page.getByTestId('contact-item').filter({ hasText: name })
}

export async function addContact(person: Person, code: string, name: string): Promise<void> {
  await person.page.getByTestId('offer-input').fill(code)
  await person.page.getByTestId('add-contact').click()
  await contactItem(person, name).waitFor()
}

export async function waitOnline(person: Person): Promise<void> {
  await person.page.locator('[data-testid="connection-status"][data-state="open"]').waitFor()
}

export function message(person: Person, direction: 'in' | 'out', text: string): Locator {
  return person.page.locator(`[data-testid="message"][data-direction="${direction}"]`).filter({ hasText: text })
}

export async function openChat(person: Person, name: string): Promise<void> {
  await contactItem(person, name).click()
  await person.page.getByTestId('message-input').waitFor()
}

export async function send(person: Person, text: string, how: 'enter' | 'button' = 'enter'): Promise<void> {
  const input = person.page.getByTestId('message-input')
  await input.fill(text)
  if (how === 'enter') await input.press('Enter')
  else await person.page.getByTestId('send-button').click()
  await message(person, 'out', text).waitFor()
  // The bubble can arrive (an engine event) a moment before send() returns and clears the box.
  // expect.poll gives up after 1 s by default: a race on a busy machine. Wait as for anything else on screen.
  await expect.poll(() => input.inputValue(), { timeout: WAIT }).toBe('')
}

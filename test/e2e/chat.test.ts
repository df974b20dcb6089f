/**
 * End to end in a real browser: the built app (dist/) served by a real relay,
 * two people in separate Chromium contexts (separate IndexedDB, like two
 * devices), offers swapped through the UI, messages both ways through the relay.
 *
 * Needs `npx vite build` first and Chromium at /usr/bin/chromium (or CHROMIUM_PATH).
 * No sleeps: every step waits for what a user would see.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, onTestFailed, test } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import { launchChromium } from '../support/chromium.ts'

const DIST = resolve(import.meta.dirname, '../../dist')
/** Longest wait for any one thing a user would see. */
const WAIT = 20_000

interface Person {
  readonly name: string
  readonly context: BrowserContext
  readonly page: Page
  /** Uncaught exceptions in the page: any is a bug. */
  readonly pageErrors: string[]
}

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

/** On failure, leave a screenshot of every open page in the temp dir and say where. */
function screenshotOnFailure(label: string): void {
  onTestFailed(async () => {
    for (const person of people) {
      const path = join(tmpdir(), `sovereign-e2e-${label}-${person.name}.png`)
      await person.page.screenshot({ path, fullPage: true }).catch(() => undefined)
      console.error(`screenshot of ${person.name}: ${path}; page errors: ${JSON.stringify(person.pageErrors)}`)
    }
  })
}

async function openApp(name: string): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  page.setDefaultTimeout(WAIT)
  const person: Person = { name, context, page, pageErrors: [] }
  page.on('pageerror', (err) => person.pageErrors.push(err.message))
  people.push(person)
  await page.goto(relay.httpUrl)
  return person
}

async function onboard(name: string): Promise<Person> {
  const person = await openApp(name)
  await person.page.getByTestId('display-name-input').fill(name)
  await person.page.getByTestId('onboard-submit').click()
  await person.page.getByTestId('my-offer').waitFor()
  return person
}

async function offerOf(person: Person): Promise<string> {
  const code = await person.page.getByTestId('my-offer').inputValue()
  expect(code.trim()).not.toBe('')
  return code
}

function contactItem(person: Person, name: string) {
  return person.page.getByTestId('contact-item').filter({ hasText: name })
}

async function addContact(person: Person, code: string, name: string): Promise<void> {
  await person.page.getByTestId('offer-input').fill(code)
  await person.page.getByTestId('add-contact').click()
  await contactItem(person, name).waitFor()
}

async function waitOnline(person: Person): Promise<void> {
  await person.page.locator('[data-testid="connection-status"][data-state="open"]').waitFor()
}

function message(person: Person, direction: 'in' | 'out', text: string) {
  return person.page.locator(`[data-testid="message"][data-direction="${direction}"]`).filter({ hasText: text })
}

async function openChat(person: Person, name: string): Promise<void> {
  await contactItem(person, name).click()
  await person.page.getByTestId('message-input').waitFor()
}

async function send(person: Person, text: string, how: 'enter' | 'button' = 'enter'): Promise<void> {
  const input = person.page.getByTestId('message-input')
  await input.fill(text)
  if (how === 'enter') await input.press('Enter')
  else await person.page.getByTestId('send-button').click()
  await message(person, 'out', text).waitFor()
  expect(await input.inputValue()).toBe('')
}

describe('chat in the browser through a relay', () => {
  test('two people swap offers, chat both ways, and keep it all across a reload', { timeout: 120_000 }, async () => {
    screenshotOnFailure('chat')
    const [alice, bob] = await Promise.all([onboard('Alice'), onboard('Bob')])
    await Promise.all([waitOnline(alice), waitOnline(bob)])

    const [aliceCode, bobCode] = await Promise.all([offerOf(alice), offerOf(bob)])
    expect(aliceCode).not.toBe(bobCode)
    await addContact(alice, bobCode, 'Bob')
    await addContact(bob, aliceCode, 'Alice')
    await Promise.all([openChat(alice, 'Bob'), openChat(bob, 'Alice')])

    await send(alice, 'Hello Bob, this is Alice')
    await message(bob, 'in', 'Hello Bob, this is Alice').waitFor()

    // Markup in a message stays text (DESIGN.md §7).
    const reply = 'Hi Alice! <b>not bold</b> & <img src=x onerror=alert(1)>'
    await send(bob, reply, 'button')
    await message(alice, 'in', reply).waitFor()
    expect(await message(alice, 'in', reply).locator('b, img').count()).toBe(0)
    expect(await message(alice, 'in', reply).locator('.bubble__text').textContent()).toBe(reply)

    await send(alice, 'Second line from Alice')
    await message(bob, 'in', 'Second line from Alice').waitFor()

    // Identity, contacts and history live in IndexedDB, not in the page.
    const fingerprintBefore = await alice.page.getByTestId('profile-fingerprint').textContent()
    await alice.page.reload()
    await contactItem(alice, 'Bob').waitFor()
    expect(await alice.page.getByTestId('display-name-input').count()).toBe(0)
    expect(await alice.page.getByTestId('profile-name').textContent()).toBe('Alice')
    expect(await alice.page.getByTestId('profile-fingerprint').textContent()).toBe(fingerprintBefore)
    expect(await alice.page.getByTestId('contact-item').count()).toBe(1)
    await openChat(alice, 'Bob')
    await message(alice, 'out', 'Hello Bob, this is Alice').waitFor()
    await message(alice, 'in', reply).waitFor()
    await message(alice, 'out', 'Second line from Alice').waitFor()
    expect(await alice.page.getByTestId('message').count()).toBe(3)

    // The restored session still works both ways.
    await waitOnline(alice)
    await send(alice, 'Back after a reload')
    await message(bob, 'in', 'Back after a reload').waitFor()
    await send(bob, 'Welcome back')
    await message(alice, 'in', 'Welcome back').waitFor()

    expect(alice.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
  })

  test('a bad offer code shows a readable error and adds nobody', { timeout: 60_000 }, async () => {
    screenshotOnFailure('bad-offer')
    const [carol, dave] = await Promise.all([onboard('Carol'), onboard('Dave')])
    const daveCode = (await offerOf(dave)).trim()

    // One character changed in the middle of a valid code: the checksum must catch it.
    const at = Math.floor(daveCode.length / 2)
    const flipped = daveCode[at] === 'A' ? 'B' : 'A'
    const damaged = daveCode.slice(0, at) + flipped + daveCode.slice(at + 1)
    expect(damaged).not.toBe(daveCode)

    for (const bad of ['SOV1HELLO', damaged]) {
      await carol.page.getByTestId('offer-input').fill(bad)
      expect(await carol.page.getByTestId('offer-error').count()).toBe(0)
      await carol.page.getByTestId('add-contact').click()
      const alert = carol.page.getByTestId('offer-error')
      await alert.waitFor()
      expect(await alert.getAttribute('role')).toBe('alert')
      const text = (await alert.textContent())?.trim() ?? ''
      expect(text.length).toBeGreaterThan(10)
      // A sentence for a person, not a stack trace or an internal error.
      expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|Error:|undefined|\[object/)
      expect(await carol.page.getByTestId('contact-item').count()).toBe(0)
    }

    // The real code still works afterwards.
    await addContact(carol, daveCode, 'Dave')
    expect(await carol.page.getByTestId('contact-item').count()).toBe(1)
    expect(carol.pageErrors).toEqual([])
  })
})

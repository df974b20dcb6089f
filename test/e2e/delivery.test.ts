/**
 * Delivery states end to end (DESIGN.md §5): Alice's bubble shows what Bob's
 * device confirmed, and nothing more. "Delivered" needs Bob's receipt; "read"
 * needs Bob to look at the conversation *and* to have opted in to read receipts.
 * Setup and steps live in helpers.ts.
 */
import { describe, expect, test } from 'vitest'
import {
  addContact,
  contactItem,
  message,
  offerOf,
  openChat,
  send,
  useE2eWorld,
  waitOnline,
  type Person,
} from './helpers.ts'

const { onboard, screenshotOnFailure } = useE2eWorld()

/** Alice and Bob online, each in the other's contacts; Alice has Bob's chat open, Bob none. */
async function pair(): Promise<[Person, Person]> {
  const [alice, bob] = await Promise.all([onboard('Alice'), onboard('Bob')])
  await Promise.all([waitOnline(alice), waitOnline(bob)])
  const [aliceCode, bobCode] = await Promise.all([offerOf(alice), offerOf(bob)])
  await addContact(alice, bobCode, 'Bob')
  await addContact(bob, aliceCode, 'Alice')
  await openChat(alice, 'Bob')
  await leaveChat(bob)
  return [alice, bob]
}

/** Back to the add-contact pane: no conversation on screen. */
async function leaveChat(person: Person): Promise<void> {
  await person.page.getByRole('button', { name: 'New contact' }).click()
  await person.page.getByTestId('message-input').waitFor({ state: 'detached' })
}

function outStatus(person: Person, text: string, status: string) {
  return message(person, 'out', text).and(person.page.locator(`[data-status="${status}"]`))
}

async function readReceiptsToggle(person: Person) {
  await person.page.getByTestId('settings-open').click()
  const toggle = person.page.getByTestId('read-receipts-toggle')
  await toggle.waitFor()
  // Enabled once the engine said what the setting is.
  await person.page.locator('[data-testid="read-receipts-toggle"]:not([disabled])').waitFor()
  return toggle
}

async function closeSettings(person: Person): Promise<void> {
  await person.page.keyboard.press('Escape')
  await person.page.getByTestId('settings-panel').waitFor({ state: 'hidden' })
}

/** Stands in for switching tabs or minimising: headless pages are always visible. */
async function setPageVisible(person: Person, visible: boolean): Promise<void> {
  await person.page.evaluate((visible) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (visible ? 'visible' : 'hidden') })
    document.dispatchEvent(new Event('visibilitychange'))
  }, visible)
}

describe('delivery status in the browser', () => {
  test('a message reaches delivered, and without read receipts (the default) stays delivered once Bob reads it', async () => {
    screenshotOnFailure('delivery-default')
    const [alice, bob] = await pair()

    const toggle = await readReceiptsToggle(bob)
    expect(await toggle.isChecked()).toBe(false)
    expect(await toggle.getAttribute('role')).toBe('switch')
    await closeSettings(bob)

    await send(alice, 'Are you there, Bob?')
    await outStatus(alice, 'Are you there, Bob?', 'delivered').waitFor()
    expect(await message(alice, 'out', 'Are you there, Bob?').getByTestId('message-status').getAttribute('aria-label')).toBe('Delivered')

    // Not on Bob's screen yet: unread in his list.
    const unread = contactItem(bob, 'Alice').getByTestId('unread-count')
    await unread.waitFor()
    expect(await unread.textContent()).toBe('1')

    await openChat(bob, 'Alice')
    await bob.page.locator('[data-testid="message"][data-direction="in"][data-status="read"]').filter({ hasText: 'Are you there, Bob?' }).waitFor()
    await unread.waitFor({ state: 'detached' })

    // Bob's reply leaves after his markRead, over the same path a read receipt
    // would have taken: once it is in, a receipt would have been too.
    await send(bob, 'Here.')
    await message(alice, 'in', 'Here.').waitFor()
    expect(await message(alice, 'out', 'Are you there, Bob?').getAttribute('data-status')).toBe('delivered')

    expect(alice.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
  })

  test('with read receipts on, Alice sees read once Bob views the conversation, and the setting survives a reload', async () => {
    screenshotOnFailure('delivery-read')
    const [alice, bob] = await pair()

    const toggle = await readReceiptsToggle(bob)
    await toggle.check()
    await bob.page.locator('[data-testid="read-receipts-toggle"]:checked:not([disabled])').waitFor()
    await closeSettings(bob)

    // Bob is not looking: delivered, not read.
    await send(alice, 'First, while you are away')
    await outStatus(alice, 'First, while you are away', 'delivered').waitFor()
    await contactItem(bob, 'Alice').getByTestId('unread-count').waitFor()

    // Opening the conversation reads it.
    await openChat(bob, 'Alice')
    await outStatus(alice, 'First, while you are away', 'read').waitFor()
    expect(await message(alice, 'out', 'First, while you are away').getByTestId('message-status').getAttribute('aria-label')).toBe('Read')
    await contactItem(bob, 'Alice').getByTestId('unread-count').waitFor({ state: 'detached' })

    // A message that arrives while Bob has the conversation on screen is read at once.
    await send(alice, 'Second, while you watch')
    await outStatus(alice, 'Second, while you watch', 'read').waitFor()

    await bob.page.reload()
    await contactItem(bob, 'Alice').waitFor()
    expect(await (await readReceiptsToggle(bob)).isChecked()).toBe(true)

    expect(alice.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
  })

  test('an open conversation on a hidden page is not read until the page is visible again', async () => {
    screenshotOnFailure('delivery-hidden')
    const [alice, bob] = await pair()
    const toggle = await readReceiptsToggle(bob)
    await toggle.check()
    await bob.page.locator('[data-testid="read-receipts-toggle"]:checked:not([disabled])').waitFor()
    await closeSettings(bob)
    await openChat(bob, 'Alice')

    await setPageVisible(bob, false)
    await send(alice, 'Sent while your tab is in the background')
    await message(bob, 'in', 'Sent while your tab is in the background').waitFor()
    await contactItem(bob, 'Alice').getByTestId('unread-count').waitFor()
    // As in the first test: once Bob's later message is in, a read receipt would be too.
    await send(bob, 'Typing blind')
    await message(alice, 'in', 'Typing blind').waitFor()
    expect(await message(alice, 'out', 'Sent while your tab is in the background').getAttribute('data-status')).toBe('delivered')

    await setPageVisible(bob, true)
    await outStatus(alice, 'Sent while your tab is in the background', 'read').waitFor()
    await contactItem(bob, 'Alice').getByTestId('unread-count').waitFor({ state: 'detached' })

    expect(alice.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
  })
})

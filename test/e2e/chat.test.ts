/**
 * End to end in a real browser: the built app (dist/) served by a real relay,
 * two people in separate Chromium contexts (separate IndexedDB, like two
 * devices), offers swapped through the UI, messages both ways through the relay.
 * Setup and steps live in helpers.ts.
 */
import { describe, expect, test } from 'vitest'
import { addContact, contactItem, message, offerOf, openChat, send, useE2eWorld, waitOnline } from './helpers.ts'

const { onboard, screenshotOnFailure } = useE2eWorld()

describe('chat in the browser through a relay', () => {
  test('two people swap offers, chat both ways, and keep it all across a reload', async () => {
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

  test('a bad offer code shows a readable error and adds nobody', async () => {
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

/**
 * Verification in a real browser: two people compare safety numbers side by side
 * (digits and QR code), one marks the other verified, and the mark survives a
 * reload. Contacts sharing a display name are told apart by fingerprint.
 * The key-change warning needs an identity change on the engine side and is
 * tested there.
 */
import { describe, expect, test } from 'vitest'
import { addContact, contactItem, offerOf, openChat, useE2eWorld, waitOnline, type Person } from './helpers.ts'

const { onboard, screenshotOnFailure } = useE2eWorld()

async function openSafetyNumber(person: Person): Promise<void> {
  await person.page.getByTestId('open-safety-number').click()
  await person.page.getByRole('dialog').getByTestId('safety-number').waitFor()
}

/** The groups as shown, each one whitespace-separated word. */
async function shownGroups(person: Person): Promise<string[]> {
  const text = await person.page.getByTestId('safety-number').innerText()
  return text.trim().split(/\s+/)
}

async function qrPath(person: Person): Promise<string> {
  const d = await person.page.getByTestId('safety-qr').locator('svg path').getAttribute('d')
  return d ?? ''
}

async function toggleSays(person: Person, label: 'Mark as verified' | 'Mark as unverified'): Promise<void> {
  await person.page.getByTestId('verify-toggle').filter({ hasText: label }).waitFor()
}

function headerBadge(person: Person) {
  return person.page.locator('.conversation__head').getByTestId('verified-badge')
}

async function connect(a: Person, aName: string, b: Person, bName: string): Promise<void> {
  const [aCode, bCode] = await Promise.all([offerOf(a), offerOf(b)])
  await addContact(a, bCode, bName)
  await addContact(b, aCode, aName)
}

describe('verifying a contact in the browser', () => {
  test('both sides show the same safety number; a verified mark stays across a reload', async () => {
    screenshotOnFailure('verify')
    const [alice, bob] = await Promise.all([onboard('Alice'), onboard('Bob')])
    await Promise.all([waitOnline(alice), waitOnline(bob)])
    await connect(alice, 'Alice', bob, 'Bob')
    await Promise.all([openChat(alice, 'Bob'), openChat(bob, 'Alice')])
    expect(await alice.page.getByTestId('verified-badge').count()).toBe(0)

    await Promise.all([openSafetyNumber(alice), openSafetyNumber(bob)])
    const [aliceGroups, bobGroups] = await Promise.all([shownGroups(alice), shownGroups(bob)])
    expect(aliceGroups).toHaveLength(12)
    for (const group of aliceGroups) expect(group).toMatch(/^\d{5}$/)
    expect(aliceGroups.join('')).toHaveLength(60)
    expect(bobGroups).toEqual(aliceGroups)
    const dialogText = await alice.page.getByRole('dialog').innerText()
    expect(dialogText).toContain("Compare these numbers with Bob's screen")

    // The same number draws the same code on both screens.
    const [aliceQr, bobQr] = await Promise.all([qrPath(alice), qrPath(bob)])
    expect(aliceQr).toMatch(/^M\d/)
    expect(bobQr).toBe(aliceQr)

    await toggleSays(alice, 'Mark as verified')
    await alice.page.getByTestId('verify-toggle').click()
    await toggleSays(alice, 'Mark as unverified')
    await alice.page.getByRole('dialog').getByTestId('verified-badge').waitFor()
    await alice.page.keyboard.press('Escape')
    await alice.page.getByRole('dialog').waitFor({ state: 'hidden' })
    await contactItem(alice, 'Bob').getByTestId('verified-badge').waitFor()
    await headerBadge(alice).waitFor()
    // Verifying is Alice's own record of what she checked; Bob's side is unchanged.
    expect(await bob.page.getByTestId('verified-badge').count()).toBe(0)

    await alice.page.reload()
    await contactItem(alice, 'Bob').getByTestId('verified-badge').waitFor()
    await openChat(alice, 'Bob')
    await headerBadge(alice).waitFor()
    await openSafetyNumber(alice)
    await toggleSays(alice, 'Mark as unverified')
    expect(await shownGroups(alice)).toEqual(aliceGroups)

    // And it can be taken back.
    await alice.page.getByTestId('verify-toggle').click()
    await toggleSays(alice, 'Mark as verified')
    await alice.page.keyboard.press('Escape')
    await contactItem(alice, 'Bob').getByTestId('verified-badge').waitFor({ state: 'detached' })
    expect(await headerBadge(alice).count()).toBe(0)

    expect(alice.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
  })

  test('two contacts with one name are told apart by fingerprint', async () => {
    screenshotOnFailure('name-twins')
    const [alice, bob, otherBob] = await Promise.all([onboard('Alice'), onboard('Bob'), onboard('Bob', 'OtherBob')])
    const [bobCode, otherBobCode] = await Promise.all([offerOf(bob), offerOf(otherBob)])
    const [bobFp, otherBobFp] = await Promise.all(
      [bob, otherBob].map(async (p) => (await p.page.getByTestId('profile-fingerprint').textContent()) ?? ''),
    )
    expect(bobFp).not.toBe(otherBobFp)

    await addContact(alice, bobCode, 'Bob')
    await alice.page.getByTestId('message-input').waitFor()
    expect(await alice.page.getByTestId('name-twin-notice').count()).toBe(0)
    expect(await alice.page.getByTestId('name-twin-fingerprint').count()).toBe(0)

    await alice.page.getByRole('button', { name: 'New contact' }).click()
    await alice.page.getByTestId('offer-input').fill(otherBobCode)
    await alice.page.getByTestId('add-contact').click()
    const notice = alice.page.getByTestId('name-twin-notice')
    await notice.waitFor()
    expect(await notice.innerText()).toContain('You already have a contact named Bob.')
    expect(await contactItem(alice, 'Bob').count()).toBe(2)

    // Each Bob shows his own fingerprint in the list; the open one also in the header.
    const listed = await alice.page.getByTestId('contact-item').getByTestId('name-twin-fingerprint').allInnerTexts()
    expect(listed.map((fp) => fp.trim()).sort()).toEqual([bobFp, otherBobFp].sort())
    expect((await alice.page.locator('.conversation__head').getByTestId('name-twin-fingerprint').innerText()).trim()).toBe(
      otherBobFp,
    )

    await notice.getByRole('button', { name: 'Check safety number' }).click()
    await alice.page.getByRole('dialog').getByTestId('safety-number').waitFor()
    await alice.page.keyboard.press('Escape')
    await notice.getByRole('button', { name: 'Dismiss' }).click()
    await notice.waitFor({ state: 'detached' })
    expect(alice.pageErrors).toEqual([])
  })
})

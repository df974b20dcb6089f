/**
 * Backup, restore and export through the UI in a real browser: Alice backs up
 * after chatting with Bob, a new device (a fresh context: empty IndexedDB)
 * refuses the wrong passphrase and stays on onboarding, then restores with the
 * right one and is Alice again, with Bob, the conversation and working sessions.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, test } from 'vitest'
import { addContact, contactItem, message, offerOf, openChat, send, useE2eWorld, waitOnline, type Person } from './helpers.ts'

const { onboard, openApp, screenshotOnFailure } = useE2eWorld()

const PASSPHRASE = 'violet harbour lantern 42'
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** Clicks `target` and returns the file the page downloads, with the name it suggested. */
async function downloadOf(person: Person, target: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([person.page.waitForEvent('download'), person.page.getByTestId(target).click()])
  // Playwright deletes the file with its context: keep the bytes.
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) }
}

async function openSettings(person: Person): Promise<void> {
  await person.page.getByTestId('settings-open').click()
  await person.page.getByTestId('settings-panel').waitFor()
}

describe('backup and restore in the browser', () => {
  test('a backup restored on a new device is the same Alice, who keeps chatting with Bob', async () => {
    screenshotOnFailure('backup')
    const [alice, bob] = await Promise.all([onboard('Alice'), onboard('Bob')])
    await Promise.all([waitOnline(alice), waitOnline(bob)])
    const [aliceCode, bobCode] = await Promise.all([offerOf(alice), offerOf(bob)])
    await addContact(alice, bobCode, 'Bob')
    await addContact(bob, aliceCode, 'Alice')
    await Promise.all([openChat(alice, 'Bob'), openChat(bob, 'Alice')])
    await send(alice, 'Hello Bob, before the backup')
    await message(bob, 'in', 'Hello Bob, before the backup').waitFor()
    await send(bob, 'Hi Alice, got it')
    await message(alice, 'in', 'Hi Alice, got it').waitFor()
    const fingerprint = await alice.page.getByTestId('profile-fingerprint').textContent()

    // Back up: a passphrase that does not match its confirmation is refused before any work.
    await openSettings(alice)
    await alice.page.getByTestId('backup-open').click()
    const backupDialog = alice.page.getByTestId('backup-dialog')
    await backupDialog.waitFor()
    await alice.page.getByTestId('backup-passphrase').fill(PASSPHRASE)
    await alice.page.getByTestId('backup-passphrase-confirm').fill(`${PASSPHRASE}!`)
    await alice.page.getByTestId('backup-start').click()
    expect(await alice.page.getByTestId('backup-error').textContent()).toMatch(/do not match/)
    expect(await alice.page.getByTestId('backup-passphrase').inputValue()).toBe(PASSPHRASE)
    await alice.page.getByTestId('backup-passphrase-confirm').fill(PASSPHRASE)
    const backup = await downloadOf(alice, 'backup-start')
    expect(backup.name).toMatch(/^sovereign-backup-(.+)\.sovb$/)
    expect(backup.name.slice('sovereign-backup-'.length, -'.sovb'.length)).toMatch(DAY)
    expect(backup.bytes.subarray(0, 4).toString('latin1')).toBe('SOVB')
    expect(backup.bytes.includes(Buffer.from('before the backup'))).toBe(false)
    await alice.page.getByTestId('backup-done').waitFor()
    await alice.page.getByTestId('backup-close').click()
    await backupDialog.waitFor({ state: 'hidden' })

    // Export: documented JSON holding both messages.
    await openSettings(alice)
    const exported = await downloadOf(alice, 'export-data')
    expect(exported.name).toMatch(/^sovereign-export-\d{4}-\d{2}-\d{2}\.json$/)
    const data = JSON.parse(exported.bytes.toString('utf8')) as {
      format: string
      profile: { displayName: string }
      contacts: { displayName: string }[]
      conversations: { messages: { text: string; direction: string }[] }[]
    }
    expect(data.format).toBe('sovereign-export')
    expect(data.profile.displayName).toBe('Alice')
    expect(data.contacts.map((c) => c.displayName)).toEqual(['Bob'])
    expect(data.conversations.flatMap((c) => c.messages.map((m) => `${m.direction}:${m.text}`)).sort()).toEqual([
      'in:Hi Alice, got it',
      'out:Hello Bob, before the backup',
    ])
    expect(alice.pageErrors).toEqual([])
    // The old device goes away, as when moving to a new phone: one device per identity.
    await alice.context.close()

    // A new device restores from the onboarding screen.
    const restored = await openApp('Alice (new device)')
    const page = restored.page
    await page.getByTestId('onboarding-restore').click()
    await page.getByTestId('restore-dialog').waitFor()
    await page.getByTestId('restore-file').setInputFiles({ name: backup.name, mimeType: 'application/octet-stream', buffer: backup.bytes })
    await page.getByTestId('restore-passphrase').fill('not the passphrase')
    await page.getByTestId('restore-start').click()
    const error = page.getByTestId('restore-error')
    await error.waitFor()
    expect(await error.textContent()).toMatch(/^Wrong passphrase.*Nothing was changed/)
    expect(await page.getByTestId('restore-passphrase').getAttribute('aria-invalid')).toBe('true')
    // Nothing changed: still a new device on the onboarding screen.
    expect(await page.getByTestId('display-name-input').count()).toBe(1)
    expect(await page.getByTestId('profile-name').count()).toBe(0)

    // Same dialog, same file still chosen: the right passphrase now.
    await page.getByTestId('restore-passphrase').fill(PASSPHRASE)
    const reloaded = page.waitForEvent('load')
    await page.getByTestId('restore-start').click()
    expect(await page.getByTestId('restore-done').textContent()).toMatch(/Restored Alice's profile from .+\. Reloading…/)
    await reloaded

    // After the reload: Alice's identity, Bob and the conversation.
    await contactItem(restored, 'Bob').waitFor()
    expect(await page.getByTestId('profile-name').textContent()).toBe('Alice')
    expect(await page.getByTestId('profile-fingerprint').textContent()).toBe(fingerprint)
    await openChat(restored, 'Bob')
    await message(restored, 'out', 'Hello Bob, before the backup').waitFor()
    await message(restored, 'in', 'Hi Alice, got it').waitFor()

    // Sessions came back too: Bob's next message opens here, and the reply reaches Bob.
    await waitOnline(restored)
    await send(bob, 'Welcome to your new device')
    await message(restored, 'in', 'Welcome to your new device').waitFor()
    await send(restored, 'Thanks, all here')
    await message(bob, 'in', 'Thanks, all here').waitFor()

    expect(restored.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
  })
})

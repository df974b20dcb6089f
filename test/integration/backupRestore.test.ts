/**
 * Backup and restore through the engine API, on real file stores in worker
 * threads: a restored device is the same person — identity, contacts, history
 * and sessions — and keeps talking; a wrong passphrase or a damaged file
 * changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { waitFor } from '../support/waitFor.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-backup-'))
  dirs.push(dir)
  return dir
}
const PASSPHRASE = 'correct horse battery staple'

describe('backup and restore', () => {
  let relay: RelayHandle
  const workers: EngineWorker[] = []
  afterAll(async () => {
    for (const w of workers) await w.terminate()
    await relay?.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const engine = (dataDir: string): EngineWorker => {
    const w = spawnEngine({ dataDir })
    workers.push(w)
    return w
  }
  const errorName = (promise: Promise<unknown>): Promise<string> => promise.then(() => 'resolved', (e: Error) => e.name)

  it('a restored device is the same person and keeps talking; bad files and passphrases change nothing', async () => {
    relay = await startRelay({ port: 0, dataDir: tempDir() })
    const alice = engine(tempDir())
    const bob = engine(tempDir())
    const aliceId = (await alice.api.createProfile('Alice')).id
    const bobId = (await bob.api.createProfile('Bob')).id
    await alice.api.connect(relay.linkUrl)
    await bob.api.connect(relay.linkUrl)
    await bob.api.acceptOffer(await alice.api.createOffer())
    await waitFor('Alice knows Bob', async () => (await alice.api.contacts()).some((c) => c.id === bobId))
    await alice.api.send(bobId, 'before the backup')
    await waitFor('delivered', async () => (await alice.api.history(bobId))[0]?.status === 'delivered')
    await bob.api.send(aliceId, 'hello Alice')
    await waitFor('Alice has it', async () => (await alice.api.history(bobId)).length === 2)

    expect(await errorName(alice.api.createBackup('short'))).toBe('WeakPassphraseError')
    const file = await alice.api.createBackup(PASSPHRASE)
    expect(new TextDecoder().decode(file.subarray(0, 4))).toBe('SOVB')
    // Nothing readable in it.
    expect(Buffer.from(file).includes(Buffer.from('before the backup'))).toBe(false)
    expect(Buffer.from(file).includes(Buffer.from('Alice'))).toBe(false)
    const exported = JSON.parse(await alice.api.exportData()) as { conversations: { messages: { text: string }[] }[] }
    expect(exported.conversations.flatMap((c) => c.messages.map((m) => m.text)).sort()).toEqual(['before the backup', 'hello Alice'])

    // A new device: every bad input is refused and leaves it empty.
    const newDir = tempDir()
    let restored = engine(newDir)
    expect(await errorName(restored.api.restoreBackup(file.slice(), 'wrong passphrase!'))).toBe('WrongPassphraseOrCorruptError')
    const flipped = file.slice()
    flipped[flipped.length - 20]! ^= 1
    expect(await errorName(restored.api.restoreBackup(flipped, PASSPHRASE))).toBe('WrongPassphraseOrCorruptError')
    expect(await errorName(restored.api.restoreBackup(file.slice(0, 30), PASSPHRASE))).toBe('TruncatedBackupError')
    // Cut inside the ciphertext, the tag no longer matches: the same refusal as a flipped bit.
    expect(await errorName(restored.api.restoreBackup(file.slice(0, file.length - 7), PASSPHRASE))).toBe('WrongPassphraseOrCorruptError')
    const downgraded = file.slice()
    downgraded[4] = 0
    expect(await errorName(restored.api.restoreBackup(downgraded, PASSPHRASE))).toBe('UnsupportedBackupVersionError')
    expect(await restored.api.profile()).toBeNull()

    const result = await restored.api.restoreBackup(file.slice(), PASSPHRASE)
    expect(result.profileName).toBe('Alice')
    // The engine stopped: the host starts a fresh one on the restored store.
    expect(await errorName(restored.api.contacts())).toBe('EngineStoppedError')
    await restored.terminate()
    await alice.terminate()
    restored = engine(newDir)
    expect((await restored.api.profile())?.id).toBe(aliceId)
    expect((await restored.api.contacts()).map((c) => c.id)).toEqual([bobId])
    expect((await restored.api.history(bobId)).map((m) => m.text)).toEqual(['before the backup', 'hello Alice'])
    // Sessions came back too: Bob's next message opens on the restored device, and Alice's reply reaches Bob.
    await bob.api.send(aliceId, 'after the restore')
    await waitFor('the restored device reads it', async () => (await restored.api.history(bobId)).some((m) => m.text === 'after the restore'))
    await restored.api.send(bobId, 'back again')
    await waitFor('Bob reads the reply', async () => (await bob.api.history(aliceId)).some((m) => m.text === 'back again'))
  })
})

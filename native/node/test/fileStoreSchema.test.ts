import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SCHEMA_KEY, encodeSchemaVersion, migrateStore } from '../../../engine/store/index.ts'
import { rejectionOf, renameStep, schemaContract } from '../../../engine/store/test/schemaContract.ts'
import { openFileStore } from '../fileStore.ts'
import { tempFileStore } from './tempFileStore.ts'

// The refusal and the one-batch step checked on a real directory, reopened
// from disk, not only against the memory store.
schemaContract('the file store (tmp dir)', () => tempFileStore('sovereign-schema-'))

describe('migrateStore on the file store, at the file level', () => {
  it('leaves every file byte-for-byte as it was when the schema is newer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sovereign-schema-raw-'))
    try {
      const store = await openFileStore(dir)
      await store.batch([
        { type: 'set', key: SCHEMA_KEY, value: encodeSchemaVersion(9) },
        { type: 'set', key: 'contact/a', value: Uint8Array.of(1, 2, 3) },
      ])
      const files = async (): Promise<Record<string, string>> => {
        const out: Record<string, string> = {}
        for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(join(dir, name))).toString('hex')
        return out
      }
      const before = await files()
      const err = await rejectionOf(migrateStore(store, 2, [renameStep(1, 'contact/', 'peer/')]))
      expect(err).toMatchObject({ name: 'SchemaTooNewError' })
      await store.close()
      expect(await files()).toEqual(before)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

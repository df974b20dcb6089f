/** A file store in a fresh temp dir that the store and schema contract suites can reopen and clean up. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openFileStore } from '../fileStore.ts'
import type { FileStore } from '../fileStore.ts'

export async function tempFileStore(prefix: string): Promise<{ store: FileStore; reopen(): Promise<FileStore>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const opened: FileStore[] = [await openFileStore(dir)]
  return {
    store: opened[0]!,
    async reopen() {
      await opened.at(-1)!.close()
      opened.push(await openFileStore(dir))
      return opened.at(-1)!
    },
    async cleanup() {
      for (const store of opened) await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

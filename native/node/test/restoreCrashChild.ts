/**
 * Child process of restoreCrash.test.ts: restores a backup file into a file
 * store and reports each phase on stdout, so the parent can SIGKILL it at a
 * chosen moment. Usage: node restoreCrashChild.ts <store dir> <backup file> <passphrase>
 */
import { readFile } from 'node:fs/promises'
import { restoreBackup } from '../../../engine/backup/index.ts'
import { openFileStore } from '../fileStore.ts'
import { nodeCrypto } from '../nodeCrypto.ts'

const [dir, backupPath, passphrase] = process.argv.slice(2)
if (!dir || !backupPath || !passphrase) throw new Error('usage: restoreCrashChild.ts <store dir> <backup file> <passphrase>')

const store = await openFileStore(dir)
const file = await readFile(backupPath)
let lastPhase = ''
const result = await restoreBackup(store, file, passphrase, { crypto: nodeCrypto() }, {
  maxSchema: 2,
  onProgress: (phase, done, total) => {
    // One line per phase start and per write boundary: enough for the parent to aim.
    if (phase !== lastPhase || (phase === 'writing' && done === total)) process.stdout.write(`${phase} ${done}/${total}\n`)
    lastPhase = phase
  },
})
await store.close()
process.stdout.write(`restored ${result.records}\n`)

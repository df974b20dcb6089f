import { defineConfig } from 'vitest/config'
import { HeavyFirstSequencer } from './scripts/heavyFirst.ts'

export default defineConfig({
  test: {
    include: ['{engine,machines,workers,native,ui,bench,test}/**/*.test.ts'],
    environment: 'node',
    // Deadlines for a hung test, sized for a busy 2-core machine (two `yes` on both cores, issue 9):
    // tests wait on events and states, so a passing test never comes near them.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two files in flight on the 2 cores. `npm test` runs the WebRTC files and the kill -9 test
    // alongside, each in a lane of its own (scripts/test.sh).
    maxWorkers: 2,
    sequence: { sequencer: HeavyFirstSequencer },
    coverage: {
      provider: 'v8',
      include: ['engine/**/*.ts', 'machines/**/*.ts', 'workers/**/*.ts', 'native/**/*.ts'],
      exclude: ['**/test/**'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{engine,machines,workers,native,ui,bench,test}/**/*.test.ts'],
    environment: 'node',
    // Bundles the engine worker and the kill -9 sender once per run (test/support/nodeBundles.ts).
    globalSetup: ['test/support/nodeBundles.ts'],
    // Deadlines for a hung test, sized for a busy 2-core machine (two `yes` on both cores, issue 9):
    // tests wait on events and states, so a passing test never comes near them.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Three files in flight: most wait on sockets, workers, Chromium and fsync rather than the CPU.
    // `npm test` then runs the WebRTC files in a loopback-only namespace, two at a time (scripts/test.sh).
    maxWorkers: 3,
    coverage: {
      provider: 'v8',
      include: ['engine/**/*.ts', 'machines/**/*.ts', 'workers/**/*.ts', 'native/**/*.ts'],
      exclude: ['**/test/**'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
})

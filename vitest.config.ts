import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{engine,machines,workers,native,ui,bench,test}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Integration and browser tests mostly wait on sockets, workers and Chromium: more files
    // in flight than the 2 cores shortens the suite (measured 262 s → 156 s).
    maxWorkers: 4,
    coverage: {
      provider: 'v8',
      include: ['engine/**/*.ts', 'machines/**/*.ts', 'workers/**/*.ts', 'native/**/*.ts'],
      exclude: ['**/test/**'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
})

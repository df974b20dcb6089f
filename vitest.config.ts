import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{engine,machines,workers,native,ui,bench,test}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Integration and browser tests mostly wait on sockets, workers and Chromium: more files
    // in flight than the 2 cores shortens the suite (262 s → 156 s with 4; 4 made timing-sensitive WebRTC tests flaky).
    maxWorkers: 3,
    coverage: {
      provider: 'v8',
      include: ['engine/**/*.ts', 'machines/**/*.ts', 'workers/**/*.ts', 'native/**/*.ts'],
      exclude: ['**/test/**'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
})

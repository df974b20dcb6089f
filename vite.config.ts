import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'

// The web app lives in ui/; the engine runs in a module worker (workers/engine.worker.ts).
export default defineConfig({
  root: 'ui',
  envDir: '..',
  plugins: [solid()],
  worker: { format: 'es' },
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
})

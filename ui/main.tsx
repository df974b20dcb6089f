import { render } from 'solid-js/web'
import { App } from './App.tsx'
import { startEngine } from './lib/engine.ts'

const root = document.getElementById('root')
if (root === null) throw new Error('index.html has no #root')
root.textContent = ''

const engine = startEngine()
const disposeView = render(() => <App engine={engine} />, root)

// Vite keeps modules alive across hot updates; a stale worker would hold IndexedDB.
if (import.meta.hot) {
  import.meta.hot.dispose(() => {
    disposeView()
    engine.dispose()
  })
}

import { Match, Switch, type JSX } from 'solid-js'
import { Messenger } from './components/Messenger.tsx'
import { Onboarding } from './components/Onboarding.tsx'
import { StartupScreen } from './components/StartupScreen.tsx'
import { EngineProvider, type Engine } from './lib/engine.ts'

export interface AppProps {
  readonly engine: Engine
}

export function App(props: AppProps): JSX.Element {
  return (
    <EngineProvider value={props.engine}>
      <Switch>
        <Match when={props.engine.phase() === 'starting'}>
          <StartupScreen message="Opening your encrypted storage…" />
        </Match>
        <Match when={props.engine.phase() === 'failed'}>
          <StartupScreen message="Sovereign could not start." error={props.engine.failure() ?? undefined} />
        </Match>
        <Match when={props.engine.phase() === 'onboarding'}>
          <Onboarding />
        </Match>
        <Match when={props.engine.phase() === 'ready'}>
          <Messenger />
        </Match>
      </Switch>
    </EngineProvider>
  )
}

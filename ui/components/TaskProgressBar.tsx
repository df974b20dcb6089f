import type { JSX } from 'solid-js'
import type { TaskProgress } from '../lib/backup.ts'

export interface TaskProgressBarProps {
  readonly progress: TaskProgress
  /** Id of the bar, for `aria-describedby` on the button that started the task. */
  readonly id: string
}

/**
 * A long task's phase in words and a bar. The words sit in a polite live region
 * (one announcement per phase); the bar is a native `<progress>` named by them.
 */
export function TaskProgressBar(props: TaskProgressBarProps): JSX.Element {
  const percent = (): number => Math.round(props.progress.fraction * 100)
  return (
    <div class="task-progress" data-testid="task-progress">
      <p class="task-progress__label" id={`${props.id}-label`} role="status">
        {props.progress.label}
      </p>
      <progress
        id={props.id}
        class="task-progress__bar"
        max="100"
        value={percent()}
        aria-labelledby={`${props.id}-label`}
        aria-valuetext={`${percent()}%`}
      />
    </div>
  )
}

import { createEffect, Show, type JSX } from 'solid-js'

export interface TaskSheetProps {
  readonly open: boolean
  readonly onClose: () => void
  /** Resets the task's fields and focuses the first one; runs each time the sheet opens. */
  readonly onOpen: () => void
  /** While true (work running, or a result that must stay) the sheet cannot be closed. */
  readonly locked: boolean
  readonly title: string
  readonly status: string
  /** Prefix of the title's id and the sheet's test id (`<name>-title`, `<name>-dialog`). */
  readonly name: string
  readonly children: JSX.Element
}

/**
 * The modal `<dialog>` around a long task (back up, restore): opened and closed
 * from `props.open`, Escape, the close button or a backdrop click — none of
 * them while the task is locked.
 */
export function TaskSheet(props: TaskSheetProps): JSX.Element {
  let dialog: HTMLDialogElement | undefined

  createEffect(() => {
    if (dialog === undefined) return
    if (props.open && !dialog.open) {
      dialog.showModal()
      props.onOpen()
    } else if (!props.open && dialog.open) dialog.close()
  })

  const close = (): void => {
    if (!props.locked) dialog?.close()
  }

  return (
    <dialog
      ref={dialog}
      class="sheet sheet--narrow"
      aria-labelledby={`${props.name}-title`}
      data-testid={`${props.name}-dialog`}
      onCancel={(e) => {
        if (props.locked) e.preventDefault()
      }}
      onClose={() => props.onClose()}
      onClick={(e) => {
        // A click on the dialog box itself (not its content) is the backdrop.
        if (e.target === e.currentTarget) close()
      }}
    >
      <Show when={props.open}>
        <div class="sheet__body">
          <header class="sheet__head">
            <div class="sheet__title">
              <h2 id={`${props.name}-title`}>{props.title}</h2>
              <p class="sheet__status">{props.status}</p>
            </div>
            <button type="button" class="button button--ghost sheet__close" aria-label="Close" disabled={props.locked} onClick={close}>
              ×
            </button>
          </header>
          {props.children}
        </div>
      </Show>
    </dialog>
  )
}

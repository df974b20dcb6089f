/**
 * Helpers of closeMidSend.test.ts: a burst typed in the page (reporting each
 * accepted message as it happens), bubble counts on screen, and the page's own
 * IndexedDB read back (history records, outbox entries).
 */
import type { Page } from 'playwright-core'
import type { Person } from './helpers.ts'

export interface Burst {
  /** Texts whose bubble appeared on Alice's screen, in order. */
  readonly accepted: string[]
  /** Texts Alice's screen showed as delivered (or read) while the page was open. */
  readonly delivered: Set<string>
  /** Resolves once `n` messages were accepted. */
  reached(n: number): Promise<void>
  /** How the in-page driver ended: 'finished', or why it stopped (the page closed). */
  readonly ended: Promise<string>
  /**
   * With `holdAt`: resolves once the driver has typed message `holdAt` (Enter
   * pressed, acceptance not awaited) and holds the burst open there until the
   * page closes. Every message before it was accepted first.
   */
  readonly held: Promise<void>
}

export interface BurstInit {
  /**
   * Hold the burst open after typing this message (1-based): the driver never
   * types the next one, so a close issued after `held` resolves lands inside the
   * burst on any machine, however fast or slow (no race with the burst's end).
   */
  readonly holdAt?: number
}

let hooks = 0

export async function startBurst(page: Page, texts: readonly string[], init: BurstInit = {}): Promise<Burst> {
  const accepted: string[] = []
  const delivered = new Set<string>()
  const waiters: { n: number; resolve: () => void }[] = []
  let onHeld = (): void => undefined
  let notHeld = (_: Error): void => undefined
  const held = new Promise<void>((resolve, reject) => {
    onHeld = resolve
    notHeld = reject
  })
  held.catch(() => undefined) // a burst without holdAt never awaits it
  const hook = `__closeMidSendReport${++hooks}`
  // Reports come over one binding, in the order the page made them: 'held' after every earlier 'accepted'.
  await page.exposeFunction(hook, (kind: 'accepted' | 'delivered' | 'held', text: string) => {
    if (kind === 'held') {
      onHeld()
      return
    }
    if (kind === 'delivered') {
      delivered.add(text)
      return
    }
    if (accepted.includes(text)) return
    accepted.push(text)
    for (const w of waiters.splice(0)) {
      if (accepted.length >= w.n) w.resolve()
      else waiters.push(w)
    }
  })

  const ended = page
    .evaluate(
      async ({ texts, hook, holdAt }) => {
        const report = (window as unknown as Record<string, (kind: string, text: string) => void>)[hook]!
        const wanted = new Set(texts)
        const seen = new Set<string>()
        const done = new Set<string>()
        const scan = (): void => {
          for (const bubble of document.querySelectorAll('[data-testid="message"][data-direction="out"]')) {
            const text = bubble.querySelector('.bubble__text')?.textContent ?? ''
            if (!wanted.has(text)) continue
            if (!seen.has(text)) {
              seen.add(text)
              void report('accepted', text)
            }
            const status = bubble.getAttribute('data-status')
            if ((status === 'delivered' || status === 'read') && !done.has(text)) {
              done.add(text)
              void report('delivered', text)
            }
          }
        }
        // Reports from the mutation itself, not from the loop: as soon as a bubble is on screen.
        new MutationObserver(scan).observe(document.body, {
          childList: true,
          subtree: true,
          characterData: true,
          attributes: true,
          attributeFilter: ['data-status'],
        })
        const box = document.querySelector<HTMLTextAreaElement>('[data-testid="message-input"]')!
        for (const [i, text] of texts.entries()) {
          // What typing does: the input event sets the draft, Enter sends it.
          box.value = text
          box.dispatchEvent(new Event('input', { bubbles: true }))
          box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }))
          if (i + 1 === holdAt) {
            void report('held', text)
            // Held open until the page closes (which rejects this evaluate).
            await new Promise<never>(() => undefined)
          }
          // Accepted: the bubble is on screen and the box is empty again (the composer is free).
          do {
            await new Promise((r) => setTimeout(r, 0))
            const error = document.querySelector('[data-testid="send-error"]')
            if (error !== null) throw new Error(`send refused: ${error.textContent}`)
          } while (!(seen.has(text) && box.value === ''))
        }
        return 'finished'
      },
      { texts: [...texts], hook, holdAt: init.holdAt ?? 0 },
    )
    .catch((err: unknown) => `stopped: ${err instanceof Error ? err.message.split('\n', 1)[0] : String(err)}`)

  void ended.then((how) => notHeld(new Error(`the burst ended (${how}) before it was held`)))
  return {
    accepted,
    delivered,
    ended,
    held,
    reached: (n) =>
      new Promise<void>((resolve, reject) => {
        if (accepted.length >= n) return resolve()
        waiters.push({ n, resolve })
        void ended.then((how) => {
          if (accepted.length < n) reject(new Error(`the burst ended (${how}) after ${accepted.length} of ${n} accepted`))
        })
      }),
  }
}

export const texts = (tag: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${tag}-${String(i + 1).padStart(2, '0')} sent just before the page closed`)

// ---------------------------------------------------------------------------
// What each side holds: on screen, and in its own IndexedDB.

/** Texts of the bubbles on screen in one direction, with how often each appears. */
export async function bubbleCounts(person: Person, direction: 'in' | 'out'): Promise<Map<string, { count: number; statuses: string[] }>> {
  const rows = await person.page.$$eval(
    `[data-testid="message"][data-direction="${direction}"]`,
    (els) => els.map((el) => ({ text: el.querySelector('.bubble__text')?.textContent ?? '', status: el.getAttribute('data-status') ?? '' })),
  )
  const counts = new Map<string, { count: number; statuses: string[] }>()
  for (const { text, status } of rows) {
    const at = counts.get(text) ?? { count: 0, statuses: [] }
    at.count++
    at.statuses.push(status)
    counts.set(text, at)
  }
  return counts
}

export interface StoredMessage {
  readonly id: string
  readonly text: string
  readonly direction: string
  readonly status: string
}

/** The page's IndexedDB, read directly: every history record and how many outbox entries wait. */
export async function stored(person: Person): Promise<{ history: StoredMessage[]; outbox: number }> {
  return person.page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('sovereign')
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    try {
      const all = (name: string) =>
        new Promise<[IDBValidKey, unknown][]>((resolve, reject) => {
          const tx = db.transaction(name, 'readonly')
          const keys = tx.objectStore(name).getAllKeys()
          const values = tx.objectStore(name).getAll()
          tx.oncomplete = () => resolve(keys.result.map((k, i) => [k, values.result[i]]))
          tx.onerror = () => reject(tx.error)
        })
      const utf8 = new TextDecoder()
      const history = (await all('history'))
        .filter(([key]) => String(key).startsWith('msg/'))
        .map(([, value]) => JSON.parse(utf8.decode(value as Uint8Array)) as { id: string; text: string; direction: string; status: string })
        .map(({ id, text, direction, status }) => ({ id, text, direction, status }))
      const outbox = (await all('outbox')).filter(([key]) => String(key).startsWith('outbox/')).length
      return { history, outbox }
    } finally {
      db.close()
    }
  })
}

export const countBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}

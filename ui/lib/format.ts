/** Time of a message for its bubble: the clock time today, the date otherwise. */
export function formatTime(timestamp: number, now: number = Date.now()): string {
  const at = new Date(timestamp)
  const today = new Date(now)
  const sameDay = at.toDateString() === today.toDateString()
  return sameDay
    ? at.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' })
    : at.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })
}

/** First letter of a name for its avatar, grapheme-aware so emoji names stay whole. */
export function initial(name: string): string {
  const first = new Intl.Segmenter().segment(name.trim())[Symbol.iterator]().next()
  return first.done === true ? '?' : first.value.segment.toUpperCase()
}

/** A calendar date in words, for events that matter beyond today (a key change). */
export function formatDate(timestamp: number): string {
  return new Date(timestamp).toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric' })
}

/**
 * What makes two display names "the same" to a reader: Unicode compatibility forms
 * (a fullwidth `Ｂｏｂ`), case and outer spaces do not tell people apart.
 */
export function nameKey(displayName: string): string {
  return displayName.normalize('NFKC').trim().toLocaleLowerCase()
}

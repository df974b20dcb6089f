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

/**
 * The relay the app links to at start. A build can pin one with
 * `VITE_DEFAULT_RELAY`; otherwise the relay that served the page is used, which
 * is how `npm start` ships it (the relay serves `dist/` and `/link`).
 */
export interface RelayLocation {
  readonly protocol: string
  readonly host: string
}

export function defaultRelayUrl(
  location: RelayLocation = window.location,
  configured: string | undefined = import.meta.env.VITE_DEFAULT_RELAY,
): string {
  const pinned = configured?.trim() ?? ''
  if (pinned !== '') return pinned
  // A page served over TLS may only open wss:// (mixed content is blocked).
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/link`
}

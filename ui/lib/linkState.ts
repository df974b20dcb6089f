/**
 * What the engine's links mean to a user: the relay link's state and quality, and
 * whether a contact is reached directly or through the relay. Part of the engine
 * adapter (`engine.ts`), which feeds it the `links` events.
 */
import { createMemo, createSignal, type Accessor } from 'solid-js'
import type { LinkView } from '../../workers/api.ts'
import type { EngineClient } from '../../workers/client.ts'

/** What the relay link looks like to a user; `data-state` of the status badge. */
export type RelayState = 'offline' | 'connecting' | 'open' | 'waiting'

/** Measured quality of an open link (RTT, jitter, loss, throughput, grade). */
export type LinkQuality = NonNullable<LinkView['quality']>

/** How messages reach a contact right now: over a direct link to them, or through the relay. */
export type ContactPath = { readonly kind: 'direct'; readonly quality: LinkQuality | null } | { readonly kind: 'relay' }

/**
 * Links report themselves when their grade changes; RTT and loss move in between,
 * so the numbers in the tooltips are refreshed at the links' ping interval.
 */
const QUALITY_REFRESH_MS = 5000

export interface LinkStateInit {
  readonly client: Pick<EngineClient, 'links'>
  readonly relayUrl: string
  /** Before the first connect() answers, the app is still on its way to the relay. */
  readonly connecting: Accessor<boolean>
  /** Measurements are refreshed only while someone can see them. */
  readonly visible: Accessor<boolean>
}

export interface LinkState {
  /** A `links` event or a `links()` answer: the full set of links. */
  setLinks(links: readonly LinkView[]): void
  readonly relayState: Accessor<RelayState>
  /** Quality of the open relay link; null while it is not open or not yet measured. */
  readonly relayQuality: Accessor<LinkQuality | null>
  path(contactId: string): ContactPath
  dispose(): void
}

/** Call inside a reactive root (the memos belong to it). */
export function createLinkState(init: LinkStateInit): LinkState {
  const [links, setLinks] = createSignal<readonly LinkView[]>([])

  const relayState = createMemo((): RelayState => {
    // Peer links (later: WebRTC) are not the relay; fall back to all links if none names it.
    const relayLinks = links().filter((l) => l.address === init.relayUrl)
    const states = (relayLinks.length > 0 ? relayLinks : links()).map((l) => l.state)
    if (states.includes('open')) return 'open'
    if (states.includes('connecting') || states.includes('handshaking')) return 'connecting'
    if (states.includes('waiting')) return 'waiting'
    if (init.connecting()) return 'connecting'
    return 'offline'
  })

  const relayQuality = createMemo((): LinkQuality | null => {
    if (relayState() !== 'open') return null
    const link = links().find((l) => l.address === init.relayUrl && l.state === 'open')
    // An engine older than link quality sends no `quality` field at all.
    return link?.quality ?? null
  })

  const refreshQuality = async (): Promise<void> => {
    const fresh = await init.client.links()
    // Only the measurements: link states come from events, which may be newer than this answer.
    setLinks((current) =>
      current.map((link) => {
        const same = fresh.find((f) => f.address === link.address && f.peerId === link.peerId && f.state === link.state)
        return same === undefined ? link : { ...link, quality: same.quality ?? null }
      }),
    )
  }
  const timer = setInterval(() => {
    if (init.visible() && links().some((l) => l.state === 'open')) refreshQuality().catch(() => undefined)
  }, QUALITY_REFRESH_MS)

  return {
    setLinks,
    relayState,
    relayQuality,
    path(contactId) {
      const direct = links().find((l) => l.peerId === contactId && l.state === 'open')
      return direct === undefined ? { kind: 'relay' } : { kind: 'direct', quality: direct.quality ?? null }
    },
    dispose: () => clearInterval(timer),
  }
}

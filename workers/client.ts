/**
 * The main thread's handle on the engine worker. Comlink carries the control
 * plane (one call per command or query); engine events arrive as batches
 * through a single subscription and are fanned out here, so a page with many
 * listeners still costs the worker one proxy call per batch (DESIGN.md §8).
 *
 * Host code for the browser main thread: no Solid here (DESIGN.md §1), the UI
 * wraps this in signals in `ui/lib/engine.ts`.
 */
import * as Comlink from 'comlink'
import { RTC_PORT_MESSAGE } from './engine.worker.protocol.ts'
import { attachRtcBridge } from './rtcBridge.ts'
import type { EngineApi, EngineEvent } from './api.ts'

export type EngineEventListener = (events: readonly EngineEvent[]) => void

/** Commands and queries of the engine; subscriptions go through `onEvents`. */
export type EngineCommands = Omit<EngineApi, 'subscribe' | 'unsubscribe'>

export interface EngineClient extends EngineCommands {
  /**
   * Receives every batch of engine events from now on. The first listener opens
   * the one worker subscription. Returns a function that removes the listener.
   */
  onEvents(listener: EngineEventListener): () => void
  /**
   * Called when the worker itself fails (its script did not load, or it threw
   * outside any call). Pending calls would otherwise wait forever.
   */
  onFailure(listener: (message: string) => void): () => void
  /** Ends the subscription and terminates the worker. */
  dispose(): void
}

export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' })
  // RTCPeerConnection lives on the main thread in Chromium: the page serves the
  // worker's WebRTC over a MessageChannel (workers/rtcBridge.ts).
  const rtc = new MessageChannel()
  const detachRtc = typeof RTCPeerConnection === 'function' ? attachRtcBridge(rtc.port1) : null
  worker.postMessage({ type: RTC_PORT_MESSAGE, port: detachRtc ? rtc.port2 : null }, detachRtc ? [rtc.port2] : [])
  const remote = Comlink.wrap<EngineApi>(worker)

  const eventListeners = new Set<EngineEventListener>()
  const failureListeners = new Set<(message: string) => void>()
  let subscription: Promise<number> | null = null
  let disposed = false

  const fanOut = (events: EngineEvent[]): void => {
    for (const listener of [...eventListeners]) {
      try {
        listener(events)
      } catch (err) {
        // One broken view must not starve the others of events.
        console.error('engine event listener failed', err)
      }
    }
  }

  const fail = (message: string): void => {
    for (const listener of [...failureListeners]) listener(message)
  }

  const onWorkerError = (event: ErrorEvent): void => {
    event.preventDefault()
    // The worker's own message is for developers (console), not for the page.
    console.error('engine worker failed', event.message)
    fail(
      event.message
        ? 'The encryption engine stopped unexpectedly. Reload to start it again.'
        : 'The encryption engine could not be loaded. Check your connection and reload.',
    )
  }
  const onMessageError = (): void => fail('The engine sent a message that could not be read.')
  worker.addEventListener('error', onWorkerError)
  worker.addEventListener('messageerror', onMessageError)

  const ensureSubscribed = (): void => {
    if (subscription !== null || disposed) return
    subscription = remote.subscribe(Comlink.proxy(fanOut))
    subscription.catch((err: unknown) => {
      subscription = null
      fail(err instanceof Error ? err.message : 'The engine refused the event subscription.')
    })
  }

  return {
    profile: () => remote.profile(),
    createProfile: (displayName) => remote.createProfile(displayName),
    createOffer: () => remote.createOffer(),
    acceptOffer: (code) => remote.acceptOffer(code),
    contacts: () => remote.contacts(),
    contactReach: (contactId) => remote.contactReach(contactId),
    setVerified: (contactId, verified) => remote.setVerified(contactId, verified),
    send: (contactId, text) => remote.send(contactId, text),
    retry: (contactId, messageIds) => remote.retry(contactId, messageIds),
    createBackup: (passphrase, onProgress) => remote.createBackup(passphrase, onProgress ? Comlink.proxy(onProgress) : undefined),
    restoreBackup: (file, passphrase, onProgress) =>
      remote.restoreBackup(Comlink.transfer(file, [file.buffer]), passphrase, onProgress ? Comlink.proxy(onProgress) : undefined),
    exportData: () => remote.exportData(),
    history: (contactId, query) => remote.history(contactId, query),
    markRead: (contactId) => remote.markRead(contactId),
    readReceipts: () => remote.readReceipts(),
    setReadReceipts: (enabled) => remote.setReadReceipts(enabled),
    connect: (relayUrl) => remote.connect(relayUrl),
    links: () => remote.links(),
    diagnostics: () => remote.diagnostics(),
    leaveRelay: (relayUrl) => remote.leaveRelay(relayUrl),
    path: (contactId) => remote.path(contactId),

    onEvents(listener) {
      eventListeners.add(listener)
      ensureSubscribed()
      return () => {
        eventListeners.delete(listener)
      }
    },

    onFailure(listener) {
      failureListeners.add(listener)
      return () => {
        failureListeners.delete(listener)
      }
    },

    dispose() {
      if (disposed) return
      disposed = true
      eventListeners.clear()
      failureListeners.clear()
      worker.removeEventListener('error', onWorkerError)
      worker.removeEventListener('messageerror', onMessageError)
      const pending = subscription
      const stop = (): void => {
        remote[Comlink.releaseProxy]()
        worker.terminate()
        detachRtc?.()
      }
      if (pending === null) {
        stop()
        return
      }
      // Let the worker drop its side of the listener proxy before it goes away.
      pending
        .then((id) => remote.unsubscribe(id))
        .catch(() => undefined)
        .finally(stop)
    },
  }
}

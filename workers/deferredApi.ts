/**
 * An EngineApi that can be exposed at once and answers each call when the engine
 * behind it has started (opening storage is asynchronous). A start-up failure is
 * reported by every call as a readable error, never as a hang.
 */
import type { EngineApi } from './api.ts'

const METHODS = [
  'profile',
  'createProfile',
  'createOffer',
  'acceptOffer',
  'contacts',
  'contactReach',
  'diagnostics',
  'leaveRelay',
  'setVerified',
  'send',
  'retry',
  'history',
  'markRead',
  'readReceipts',
  'setReadReceipts',
  'connect',
  'links',
  'path',
  'createBackup',
  'restoreBackup',
  'exportData',
  'subscribe',
  'unsubscribe',
] as const satisfies readonly (keyof EngineApi)[]

export function deferredApi(ready: Promise<EngineApi>): EngineApi {
  const api: Partial<Record<keyof EngineApi, unknown>> = {}
  for (const name of METHODS) {
    api[name] = async (...args: unknown[]) => {
      const engine = await ready
      return (engine[name] as (...a: unknown[]) => unknown)(...args)
    }
  }
  return api as EngineApi
}

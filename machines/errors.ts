import { SovereignError } from '../engine/errors.ts'

/** The link closed before its handshake completed. */
export class LinkLostError extends SovereignError {
  constructor(reason: string) {
    super('LinkLostError', `The link closed during the handshake (${reason}).`)
  }
}

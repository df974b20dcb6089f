import { SovereignError } from '../errors.ts'

/** A dial could not open a link (nothing listens, refused, timed out, bad address). */
export class DialError extends SovereignError {
  constructor(message: string) {
    super('DialError', message)
  }
}

/** `send` on a link that either side has closed. */
export class LinkClosedError extends SovereignError {
  constructor(message = 'link is closed') {
    super('LinkClosedError', message)
  }
}

/** `listen` on an address something already listens on. */
export class AddressInUseError extends SovereignError {
  constructor(message: string) {
    super('AddressInUseError', message)
  }
}

/** `listen` on an address this transport cannot serve. */
export class InvalidAddressError extends SovereignError {
  constructor(message: string) {
    super('InvalidAddressError', message)
  }
}

/** `send` of a message larger than `MAX_MESSAGE_BYTES`; the link stays open. */
export class MessageTooLargeError extends SovereignError {
  constructor(message: string) {
    super('MessageTooLargeError', message)
  }
}

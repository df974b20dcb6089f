import { SovereignError } from '../errors.ts'

export class NoProfileError extends SovereignError {
  constructor() {
    super('NoProfileError', 'Create a profile first.')
  }
}

export class ProfileExistsError extends SovereignError {
  constructor() {
    super('ProfileExistsError', 'A profile already exists on this device.')
  }
}

export class InvalidDisplayNameError extends SovereignError {
  constructor(message: string) {
    super('InvalidDisplayNameError', message)
  }
}

export class UnknownContactError extends SovereignError {
  constructor() {
    super('UnknownContactError', 'That contact does not exist.')
  }
}

export class InvalidMessageError extends SovereignError {
  constructor(message: string) {
    super('InvalidMessageError', message)
  }
}

/** The sender's Noise static key is not bound to the identity it claims. */
export class SenderProofError extends SovereignError {
  constructor() {
    super('SenderProofError', 'A message carried an invalid sender proof and was dropped.')
  }
}

export class CorruptRecordError extends SovereignError {
  constructor(kind: string) {
    super('CorruptRecordError', `A stored ${kind} record could not be read.`)
  }
}

/** A destination's outbox holds as many undelivered messages as it may: nothing was queued. */
export class OutboxFullError extends SovereignError {
  readonly limit: number
  constructor(limit: number) {
    super(
      'OutboxFullError',
      `${limit} messages are already waiting for this contact. Nothing was sent; try again once some are delivered.`,
    )
    this.limit = limit
  }
}

/** Only a failed message can be retried. */
export class NotRetriableError extends SovereignError {
  constructor() {
    super('NotRetriableError', 'Only a message that failed can be sent again.')
  }
}

/** The messenger was closed (its store was restored from a backup): start a new one. */
export class MessengerClosedError extends SovereignError {
  constructor() {
    super('MessengerClosedError', 'This session has ended; reload to continue.')
  }
}

/**
 * Why an offer code was refused. The message is written for the person who
 * pasted the code and never quotes the code (it carries their contact's keys).
 */
import { SovereignError } from '../errors.ts'

export type OfferErrorReason = 'empty' | 'prefix' | 'alphabet' | 'checksum' | 'version' | 'truncated' | 'field'

const MESSAGES: Readonly<Record<OfferErrorReason, string>> = {
  empty: 'The offer code is empty. Paste the code you were given.',
  prefix: 'This is not a Sovereign offer code: it should start with SOV1.',
  alphabet: 'This offer code contains characters that cannot appear in one. Copy it again, exactly as shared.',
  checksum: 'This offer code is damaged or incomplete (checksum mismatch). Ask for it again.',
  version: 'This offer code comes from a newer version of Sovereign. Update the app, then try again.',
  truncated: 'This offer code is incomplete. Make sure you copied all of it.',
  field: 'This offer code is intact but contains an invalid value',
}

/** For 'version': which side is out of date. */
export type OfferVersionMismatch = 'older' | 'newer'

const OLDER_VERSION_MESSAGE = 'This offer code was made by an older version of Sovereign. Ask for a new one.'

function messageOf(reason: OfferErrorReason, detail: string | undefined): string {
  const base = MESSAGES[reason]
  if (reason === 'field') return `${base} (${detail ?? 'unknown field'}). Ask for a new one.`
  if (reason === 'version' && detail === 'older') return OLDER_VERSION_MESSAGE
  return base
}

export class InvalidOfferError extends SovereignError {
  readonly reason: OfferErrorReason
  /**
   * @param detail for 'field': which rule failed (e.g. "display name is
   * empty"); it names the rule, never the value. For 'version': an
   * `OfferVersionMismatch` ('newer' when omitted).
   */
  constructor(reason: 'version', detail?: OfferVersionMismatch)
  constructor(reason: Exclude<OfferErrorReason, 'version'>, detail?: string)
  constructor(reason: OfferErrorReason, detail?: string) {
    super('InvalidOfferError', messageOf(reason, detail))
    this.reason = reason
  }
}

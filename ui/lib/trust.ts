/**
 * What the UI tells a user about trusting a contact. Views from an engine older
 * than key-change tracking carry neither field, so both read as "nothing known".
 */
import type { ContactView } from '../../workers/api.ts'

/** True while the contact's key changed and the user has not verified again. */
export function keyChanged(contact: ContactView): boolean {
  return contact.keyChangedAt != null
}

/** Verified, and still the key that was verified. */
export function isVerified(contact: ContactView): boolean {
  return contact.verified === true && !keyChanged(contact)
}

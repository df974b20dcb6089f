import { MAX_DISPLAY_NAME_CHARS, displayNameProblem } from '../wire/index.ts'
import { InvalidDisplayNameError } from './errors.ts'

export const MAX_DISPLAY_NAME = MAX_DISPLAY_NAME_CHARS

/**
 * Trims and validates a display name with the very rules the offer and intro
 * codecs apply, so a name accepted here can always be sent. A name labels a
 * contact; it never resolves one.
 */
export function normalizeDisplayName(input: string): string {
  const name = input.trim()
  const problem = displayNameProblem(name)
  if (problem === undefined) return name
  if (name.length === 0) throw new InvalidDisplayNameError('Choose a display name.')
  if ([...name].length > MAX_DISPLAY_NAME) {
    throw new InvalidDisplayNameError(`A display name has at most ${MAX_DISPLAY_NAME} characters.`)
  }
  throw new InvalidDisplayNameError('A display name cannot contain control or direction-changing characters.')
}

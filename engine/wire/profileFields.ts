/**
 * Rules for the profile a peer shows about itself — display name and relay
 * addresses — shared by the intro message body and the connection offer
 * (engine/offer) so that both accept exactly the same values.
 *
 * Values must already be canonical (a trimmed name); the codecs never rewrite
 * them, so a decoded value re-encodes to the same bytes. Problem strings name
 * the rule and never quote the value.
 */
import type { ByteReader } from './byteReader.ts'
import type { ByteWriter } from './byteWriter.ts'
import { isWellFormedText } from './byteWriter.ts'
import { utf8Encode } from '../bytes.ts'
import { MalformedError } from './errors.ts'

export const MAX_DISPLAY_NAME_CHARS = 64
/** 64 code points of at most 4 UTF-8 bytes each. */
export const MAX_DISPLAY_NAME_BYTES = MAX_DISPLAY_NAME_CHARS * 4
export const MAX_RELAYS = 4
export const MAX_RELAY_URL_BYTES = 256

/**
 * C0/C1 controls, line/paragraph separators, and bidi embeddings, overrides
 * and isolates: they break layout or make one name render as another
 * (CVE-2021-42574 "Trojan Source" applies to names shown in a contact list).
 */
const FORBIDDEN_NAME_CHARS = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
// RFC 3986 §3.3 pchar plus "/" (path) and additionally "?" (query).
const PATH_CHARS = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*"
const QUERY_CHARS = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*"
/**
 * ws:// or wss://, a DNS name / IPv4 / bracketed IPv6 host, an optional port,
 * path and query. No userinfo (`wss://good@evil` would show one host and dial
 * another) and no fragment (meaningless for a WebSocket).
 */
const RELAY_URL = new RegExp(
  `^wss?://(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]{2,45}\\])(?::([1-9][0-9]{0,4}))?(?:/${PATH_CHARS})?(?:\\?${QUERY_CHARS})?$`,
)

/** Why `name` is not an acceptable display name, or undefined when it is. */
export function displayNameProblem(name: string): string | undefined {
  if (typeof name !== 'string') return 'display name must be a string'
  if (!isWellFormedText(name)) return 'display name is not well-formed Unicode'
  if (name.trim().length === 0) return 'display name is empty'
  if (name.trim() !== name) return 'display name has leading or trailing whitespace'
  if (FORBIDDEN_NAME_CHARS.test(name)) return 'display name contains a control character'
  let chars = 0
  for (const _ of name) chars++
  if (chars > MAX_DISPLAY_NAME_CHARS) return `display name is longer than ${MAX_DISPLAY_NAME_CHARS} characters`
  return undefined
}

/** Why `url` is not an acceptable relay address, or undefined when it is. */
export function relayUrlProblem(url: string): string | undefined {
  if (typeof url !== 'string') return 'relay address must be a string'
  if (utf8Encode(url).length > MAX_RELAY_URL_BYTES) {
    return `relay address is longer than ${MAX_RELAY_URL_BYTES} bytes`
  }
  const match = RELAY_URL.exec(url)
  if (match === null) return 'relay address is not a ws:// or wss:// URL'
  const port = match[1]
  if (port !== undefined && Number(port) > 65_535) return 'relay address has a port above 65535'
  return undefined
}

/** Why `relays` is not an acceptable relay list, or undefined when it is. */
export function relayListProblem(relays: readonly string[]): string | undefined {
  if (!Array.isArray(relays)) return 'relays must be a list'
  if (relays.length > MAX_RELAYS) return `more than ${MAX_RELAYS} relays`
  for (const relay of relays) {
    const problem = relayUrlProblem(relay)
    if (problem !== undefined) return problem
  }
  if (new Set(relays).size !== relays.length) return 'relay list has a duplicate'
  return undefined
}

export interface Profile {
  readonly displayName: string
  readonly relays: readonly string[]
}

/** displayName (varint length + UTF-8) | relay count u8 | relays (varint length + UTF-8 each). */
export function writeProfile(w: ByteWriter, profile: Profile): void {
  const nameProblem = displayNameProblem(profile.displayName)
  if (nameProblem !== undefined) throw new MalformedError(nameProblem)
  const relaysProblem = relayListProblem(profile.relays)
  if (relaysProblem !== undefined) throw new MalformedError(relaysProblem)
  w.utf8(profile.displayName, 'display name', 1, MAX_DISPLAY_NAME_BYTES)
  w.u8(profile.relays.length, 'relay count')
  for (const relay of profile.relays) w.utf8(relay, 'relay address', 1, MAX_RELAY_URL_BYTES)
}

export function readProfile(r: ByteReader): Profile {
  const displayName = r.utf8('display name', 1, MAX_DISPLAY_NAME_BYTES)
  const nameProblem = displayNameProblem(displayName)
  if (nameProblem !== undefined) throw new MalformedError(nameProblem)
  const count = r.u8('relay count')
  // Checked before the loop so the error names the count, not a later truncation.
  if (count > MAX_RELAYS) throw new MalformedError(`relay count ${count} is above ${MAX_RELAYS}`)
  const relays: string[] = []
  for (let i = 0; i < count; i++) relays.push(r.utf8('relay address', 1, MAX_RELAY_URL_BYTES))
  const relaysProblem = relayListProblem(relays)
  if (relaysProblem !== undefined) throw new MalformedError(relaysProblem)
  return { displayName, relays }
}

/**
 * A hand-written checker for the export document as docs/export-format.md
 * describes it (version 1): every field, its type, the field order, and no
 * field the document does not list. Returns the problems found, [] when none.
 */
type Json = Record<string, unknown>

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const HEX_ID = /^[0-9a-f]{64}$/
const STATUSES = ['queued', 'sent', 'relayed', 'delivered', 'read', 'failed', 'received']

export function checkExportShape(doc: unknown): string[] {
  const problems: string[] = []
  const fields = (where: string, value: unknown, expected: readonly string[], optional: readonly string[] = []): value is Json => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${where} is not an object`)
      return false
    }
    const actual = Object.keys(value)
    const wanted = expected.filter((f) => f in value || !optional.includes(f))
    if (actual.join() !== wanted.join()) problems.push(`${where} has fields ${actual.join()} instead of ${wanted.join()}`)
    return true
  }
  const check = (where: string, ok: boolean): void => void (ok || problems.push(where))
  const iso = (where: string, v: unknown): void => check(`${where} is not an ISO UTC time`, typeof v === 'string' && ISO.test(v))

  if (!fields('document', doc, ['format', 'version', 'exportedAt', 'profile', 'contacts', 'conversations'])) return problems
  check('format', doc.format === 'sovereign-export')
  check('version', doc.version === 1)
  iso('exportedAt', doc.exportedAt)

  if (doc.profile !== null && fields('profile', doc.profile, ['displayName', 'id', 'createdAt'])) {
    check('profile.displayName', typeof doc.profile.displayName === 'string')
    check('profile.id', typeof doc.profile.id === 'string' && HEX_ID.test(doc.profile.id))
    iso('profile.createdAt', doc.profile.createdAt)
  }

  if (!Array.isArray(doc.contacts)) problems.push('contacts is not an array')
  else {
    doc.contacts.forEach((c: unknown, i) => {
      const at = `contacts[${i}]`
      if (!fields(at, c, ['id', 'displayName', 'verified', 'addedAt', 'relays'])) return
      check(`${at}.id`, typeof c.id === 'string' && HEX_ID.test(c.id))
      check(`${at}.displayName`, typeof c.displayName === 'string')
      check(`${at}.verified`, typeof c.verified === 'boolean')
      iso(`${at}.addedAt`, c.addedAt)
      check(`${at}.relays`, Array.isArray(c.relays) && c.relays.every((r) => typeof r === 'string'))
    })
    const ids = doc.contacts.map((c) => (c as Json).id as string)
    check('contacts are ordered by id', ids.every((id, i) => i === 0 || ids[i - 1]! < id))
  }

  if (!Array.isArray(doc.conversations)) problems.push('conversations is not an array')
  else {
    doc.conversations.forEach((conversation: unknown, i) => {
      const at = `conversations[${i}]`
      if (!fields(at, conversation, ['contactId', 'messages'])) return
      check(`${at}.contactId`, typeof conversation.contactId === 'string' && HEX_ID.test(conversation.contactId))
      if (!Array.isArray(conversation.messages) || conversation.messages.length === 0) {
        problems.push(`${at}.messages is not a non-empty array`)
        return
      }
      conversation.messages.forEach((m: unknown, j) => {
        const mat = `${at}.messages[${j}]`
        if (!fields(mat, m, ['id', 'direction', 'text', 'sentAt', 'status', 'failure'], ['failure'])) return
        check(`${mat}.id`, typeof m.id === 'string' && /^[0-9a-f]+$/.test(m.id))
        check(`${mat}.direction`, m.direction === 'in' || m.direction === 'out')
        check(`${mat}.text`, typeof m.text === 'string')
        iso(`${mat}.sentAt`, m.sentAt)
        check(`${mat}.status`, typeof m.status === 'string' && STATUSES.includes(m.status))
        if ('failure' in m) check(`${mat}.failure`, typeof m.failure === 'string' && m.status === 'failed')
      })
    })
    const ids = doc.conversations.map((c) => (c as Json).contactId as string)
    check('conversations are ordered by contactId', ids.every((id, i) => i === 0 || ids[i - 1]! < id))
  }
  return problems
}

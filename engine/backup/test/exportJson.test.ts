/** The data export: documented shape (docs/export-format.md), order, and no key or session material. */
import { beforeAll, describe, expect, it } from 'vitest'
import { toHex, utf8Decode, utf8Encode } from '../../bytes.ts'
import { keys } from '../../messenger/records.ts'
import type { Store } from '../../ports/store.ts'
import { createMemoryStore } from '../../store/memoryStore.ts'
import { exportJson, type BackupPhase, type ExportDocument } from '../index.ts'
import { checkExportShape } from './exportShape.ts'
import { T0, errorName, populateStore, type Fixture } from './storeFixture.ts'

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678)

describe('exportJson', () => {
  let store: Store
  let fixture: Fixture
  let text: string
  let doc: ExportDocument

  beforeAll(async () => {
    store = createMemoryStore()
    fixture = await populateStore(store, 'Alice')
    text = await exportJson(store, { now: NOW })
    doc = JSON.parse(text) as ExportDocument
  })

  it('matches the documented shape', () => {
    expect(checkExportShape(doc)).toEqual([])
    expect(doc.exportedAt).toBe('2025-01-02T03:04:05.678Z')
    expect(doc.profile).toEqual({ displayName: 'Alice ✓', id: fixture.id, createdAt: new Date(T0 - 86_400_000).toISOString() })
    expect(text.endsWith('}\n')).toBe(true)
    expect(text).toContain('\n  "format": "sovereign-export",\n')
  })

  it('lists contacts by id with their public fields', () => {
    const expected = [...fixture.contacts].sort((a, b) => (a.id < b.id ? -1 : 1))
    expect(doc.contacts).toEqual(
      expected.map((c) => ({
        id: c.id,
        displayName: c.displayName,
        verified: c.verified,
        addedAt: new Date(c.addedAt).toISOString(),
        relays: c.relays,
      })),
    )
  })

  it('gives each conversation its messages in seq order, across history buckets', () => {
    expect(doc.conversations.map((c) => c.contactId)).toEqual(doc.contacts.map((c) => c.id))
    const zoe = doc.conversations.find((c) => c.contactId === fixture.contacts[0]!.id)!
    expect(zoe.messages).toHaveLength(300) // seq 0-255 in bucket 0, 256-299 in bucket 1
    expect(zoe.messages.map((m) => Number(/^message (\d+)/.exec(m.text)![1]))).toEqual([...Array(300).keys()])
    expect(zoe.messages[3]).toMatchObject({ direction: 'out', status: 'failed', failure: 'expired', sentAt: new Date(T0 + 3000).toISOString() })
    expect(zoe.messages[1]).toMatchObject({ direction: 'in', status: 'received' })
    expect('failure' in zoe.messages[1]!).toBe(false)
    expect(zoe.messages[1]!.text).toBe(`message 1 to Zoë of Alice — "quoted" \\ ünïcödé 🎉`)
  })

  it('holds no private key, prekey, session or outbox material', () => {
    const secrets = [toHex(fixture.identity.signingKey.secretKey), toHex(fixture.identity.staticKey.secretKey)]
    for (const [key, value] of fixture.records) {
      if (key === keys.prekeys) secrets.push((JSON.parse(utf8Decode(value)) as { current: { secretKey: string } }).current.secretKey)
      if (key.startsWith(keys.sessionPrefix)) secrets.push((JSON.parse(utf8Decode(value)) as { rootKey: string }).rootKey)
      if (key.startsWith(keys.outboxPrefix)) secrets.push((JSON.parse(utf8Decode(value)) as { envelope: string }).envelope)
    }
    expect(secrets).toHaveLength(6) // 2 identity secrets, 1 prekey, 2 sessions, 1 envelope
    for (const secret of secrets) {
      expect(text).not.toContain(secret)
      expect(text.toLowerCase()).not.toContain(secret.slice(0, 16))
    }
    // Contact static keys and signed prekeys are public, but not part of the format either.
    for (const contact of fixture.contacts) expect(text).not.toContain(contact.staticKey)
  })

  it('is stable: the same store exports the same bytes', async () => {
    expect(await exportJson(store, { now: NOW })).toBe(text)
  })

  it('exports an empty store as no profile and empty lists', async () => {
    const empty = JSON.parse(await exportJson(createMemoryStore(), { now: 0 })) as ExportDocument
    expect(empty).toEqual({
      format: 'sovereign-export',
      version: 1,
      exportedAt: '1970-01-01T00:00:00.000Z',
      profile: null,
      contacts: [],
      conversations: [],
    })
    expect(checkExportShape(empty)).toEqual([])
  })

  it('keeps the history of a removed contact, and reports progress per conversation', async () => {
    const other = createMemoryStore()
    const f = await populateStore(other, 'Bob', { messages: 5 })
    await other.delete(keys.contact(f.contacts[0]!.id))
    const seen: Array<[BackupPhase, number, number]> = []
    const exported = JSON.parse(
      await exportJson(other, { now: NOW, onProgress: (phase, done, total) => void seen.push([phase, done, total]) }),
    ) as ExportDocument
    expect(checkExportShape(exported)).toEqual([])
    expect(exported.contacts.map((c) => c.id)).toEqual([f.contacts[1]!.id])
    expect(exported.conversations.map((c) => c.contactId).sort()).toEqual(f.contacts.map((c) => c.id).sort())
    expect(seen).toEqual([['reading', 0, 2], ['reading', 1, 2], ['reading', 2, 2]])
  })

  it('refuses a record not in its schema shape with a typed error naming only its kind', async () => {
    const broken = createMemoryStore()
    const f = await populateStore(broken, 'Carol', { messages: 2 })
    await broken.set(keys.message(f.contacts[0]!.id, 1), utf8Encode(JSON.stringify({ id: 'ab', direction: 'sideways' })))
    const error = await exportJson(broken, { now: NOW }).catch((e: Error) => e)
    expect(error).toMatchObject({ name: 'UnreadableRecordError' })
    expect((error as Error).message).not.toContain(f.contacts[0]!.id)
    expect(await errorName(exportJson(broken, { now: Number.NaN }))).toBe('RangeError')
  })
})

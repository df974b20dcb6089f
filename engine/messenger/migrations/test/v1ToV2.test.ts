/** Schema 1 → 2 on a store the schema-1 messenger really wrote (fixtures/v1-alice.json). */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../crypto/test/seededRandom.ts'
import type { Store } from '../../../ports/index.ts'
import { createMemoryStore } from '../../../store/memoryStore.ts'
import { SchemaTooNewError, migrateStore, readSchemaVersion } from '../../../store/index.ts'
import { createMessenger } from '../../messenger.ts'
import { crypto, dump, fakeClock } from '../../test/harness.ts'
import { MIGRATIONS, SCHEMA_VERSION } from '../index.ts'

interface Fixture {
  readonly now: number
  readonly ids: Record<'alice' | 'bob' | 'carol' | 'queued' | 'sent' | 'relayed' | 'unread', string>
  readonly store: Record<string, string>
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/v1-alice.json', import.meta.url), 'utf8')) as Fixture

async function v1Store(): Promise<Store> {
  const store = createMemoryStore()
  await store.batch(Object.entries(fixture.store).map(([key, b64]) => ({ type: 'set' as const, key, value: new Uint8Array(Buffer.from(b64, 'base64')) })))
  return store
}

describe('schema 1 → 2', () => {
  it('keeps every message, in order, numbered and bucketed; schema-1 indexes and envelopes are gone', async () => {
    const store = await v1Store()
    const report = await migrateStore(store, SCHEMA_VERSION, MIGRATIONS)
    expect(report).toMatchObject({ from: 1, to: 2, fresh: false })
    expect(await readSchemaVersion(store)).toBe(2)
    expect(await store.keys('env/')).toEqual([])
    const clock = fakeClock(fixture.now)
    const alice = createMessenger({ crypto, random: seededRandom('migrated'), clock, store })
    expect((await alice.load())?.id).toBe(fixture.ids.alice)
    const history = await alice.history(fixture.ids.bob)
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i))
    expect(history.map((m) => m.text)).toEqual([
      ...[0, 1, 2, 3, 4].flatMap((i) => [`alice ${i}`, `bob ${i}`]),
      'bob unread',
      'alice queued',
      'alice sent',
      'alice relayed',
    ])
    expect(history.slice(0, 10).map((m) => m.status)).toEqual([0, 1, 2, 3, 4].flatMap(() => ['delivered', 'read']))
    // A v1 (unsendable) envelope is never in the v2 outbox; the messages wait for resendPending.
    expect(await alice.outbox()).toEqual([])
    expect((await store.keys('resend/')).length).toBe(3)
  })

  it('reseals the undelivered messages once, same ids, and the unread one can be read', async () => {
    const store = await v1Store()
    await migrateStore(store, SCHEMA_VERSION, MIGRATIONS)
    const alice = createMessenger({ crypto, random: seededRandom('migrated'), clock: fakeClock(fixture.now), store })
    await alice.load()
    const [done, ...more] = await alice.resendPending()
    expect(more).toEqual([])
    expect(done!.messages.map((m) => m.id)).toEqual([fixture.ids.queued, fixture.ids.sent, fixture.ids.relayed])
    expect(done!.messages.every((m) => m.status === 'queued')).toBe(true)
    expect((await alice.outbox()).map((o) => o.messageIds)).toEqual([[fixture.ids.queued, fixture.ids.sent, fixture.ids.relayed]])
    expect(await alice.resendPending()).toEqual([])
    const read = await alice.markRead(fixture.ids.bob)
    expect(read.events).toEqual([{ type: 'messageStatus', id: fixture.ids.unread, contactId: fixture.ids.bob, status: 'read' }])
  })

  it('a store written by a newer version is refused with a clear error and left untouched', async () => {
    const store = await v1Store()
    await migrateStore(store, SCHEMA_VERSION, MIGRATIONS)
    await store.set('meta/schema', new TextEncoder().encode(JSON.stringify({ version: SCHEMA_VERSION + 1 })))
    const before = await dump(store)
    const error = await migrateStore(store, SCHEMA_VERSION, MIGRATIONS).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SchemaTooNewError)
    expect((error as Error).message).toMatch(/newer version/)
    expect(await dump(store)).toEqual(before)
  })

  it('a fresh store is stamped with the current version and needs no step', async () => {
    const store = createMemoryStore()
    expect(await migrateStore(store, SCHEMA_VERSION, MIGRATIONS)).toMatchObject({ fresh: true, to: SCHEMA_VERSION })
    expect(await readSchemaVersion(store)).toBe(SCHEMA_VERSION)
  })

  it('every earlier schema version has a fixture and a step to the current one', () => {
    const froms = MIGRATIONS.map((m) => m.from)
    expect(froms).toEqual(Array.from({ length: SCHEMA_VERSION - 1 }, (_, i) => i + 1))
    for (const from of froms) expect(() => readFileSync(new URL(`./fixtures/v${from}-alice.json`, import.meta.url))).not.toThrow()
  })
})

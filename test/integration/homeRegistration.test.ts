/**
 * Home relays, first part (issue 11): an engine registers its signed reach record at
 * the relays it chose, over its own link, and again when they change; a relay keeps
 * only a user's own record that names it. Real relays on 127.0.0.1, a real engine in a
 * worker, a raw hostile peer; what the relays hold is read from their /metrics.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nobleCrypto } from '../../engine/crypto/index.ts'
import { generateIdentity } from '../../engine/identity/index.ts'
import { signReachRecord } from '../../engine/reach/index.ts'
import { encodeLinkFrame } from '../../engine/wire/index.ts'
import { startRelay } from '../../native/node/relayServer.ts'
import type { RelayHandle } from '../../native/node/relayServer.ts'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { systemRandom } from '../../workers/systemPorts.ts'
import { rawPeer } from '../attack/rawPeer.ts'
import { waitFor } from '../support/waitFor.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-home-'))
  dirs.push(dir)
  return dir
}

/** The relay's home-registration figures, from its Prometheus page. */
async function homes(relay: RelayHandle): Promise<{ held: number; outcomes: Record<string, number> }> {
  const page = await (await fetch(`${relay.httpUrl}/metrics`)).text()
  const held = Number(/^sovereign_relay_home_registrations (\S+)$/m.exec(page)?.[1] ?? NaN)
  const outcomes: Record<string, number> = {}
  for (const m of page.matchAll(/^sovereign_relay_home_registrations_total\{outcome="([^"]+)"\} (\S+)$/gm)) outcomes[m[1]!] = Number(m[2])
  return { held, outcomes }
}

/** One gauge from the relay's Prometheus page. */
async function gauge(relay: RelayHandle, name: string): Promise<number> {
  const page = await (await fetch(`${relay.httpUrl}/metrics`)).text()
  return Number(new RegExp(`^sovereign_relay_${name} (\\S+)$`, 'm').exec(page)?.[1] ?? NaN)
}

describe('home registration at the relays a user chose', () => {
  const relays: RelayHandle[] = []
  let engine: EngineWorker | undefined

  afterAll(async () => {
    await engine?.terminate()
    for (const relay of relays) await relay.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('registers at each chosen relay, again when the choice changes; a relay keeps only the user\'s own record naming it, and learns others\' only to forward', async () => {
    const one = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(one)
    const two = await startRelay({ port: 0, dataDir: tempDir() })
    relays.push(two)
    engine = spawnEngine({ dataDir: tempDir() })
    await engine.api.createProfile('Alice')
    await engine.api.connect(one.linkUrl)
    await waitFor('relay one holds her record', async () => (await homes(one)).held === 1)
    expect((await homes(one)).outcomes).toMatchObject({ accepted: 1 })
    expect((await homes(two)).held).toBe(0)

    // A second home relay: a newer record naming both reaches both.
    await engine.api.connect(two.linkUrl)
    await waitFor('relay two holds her record', async () => (await homes(two)).held === 1)
    await waitFor('relay one took the newer record', async () => (await homes(one)).outcomes.accepted === 2)
    expect((await homes(one)).held).toBe(1)

    // Someone else's genuine record from a peer that is not its owner: what a sender passes ahead of
    // its mail (issue 11). Kept to forward the victim's mail to the relays it names, never a registration.
    const crypto = nobleCrypto()
    const victim = generateIdentity(crypto, systemRandom())
    const now = Date.now()
    const record = signReachRecord(crypto, victim, {
      seqno: now,
      issuedAt: now,
      expiresAt: now + 60_000,
      relays: [{ identity: generateIdentity(crypto, systemRandom()).signingKey.publicKey, address: one.linkUrl }],
    })
    const mallory = await rawPeer(one.linkUrl)
    await mallory.write(encodeLinkFrame({ type: 'reach', record }))
    await waitFor('relay one learned it for forwarding', async () => (await gauge(one, 'reach_records_learned')) === 1)
    expect((await homes(one)).held).toBe(1)
    expect((await homes(one)).outcomes['accepted']).toBe(2)
    mallory.close()
  })

  it('keeps its registrations across a restart, before the users link again', async () => {
    const dataDir = tempDir()
    const first = await startRelay({ port: 0, dataDir })
    const alice = spawnEngine({ dataDir: tempDir() })
    await alice.api.createProfile('Alice')
    await alice.api.connect(first.linkUrl)
    await waitFor('the relay holds her record', async () => (await homes(first)).held === 1)
    await alice.terminate()
    await first.close()
    const again = await startRelay({ port: 0, dataDir })
    relays.push(again)
    expect((await homes(again)).held).toBe(1)
  })
})

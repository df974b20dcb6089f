/**
 * Attack suite, custody exhaustion (issues 10 and 11): one authenticated peer hands a
 * real relay process mail for 50,000 made-up destinations. Link budgets are off
 * (DEFENCE=off) so that only custody's own rules stand between the attacker and the
 * relay's memory. Since issue 11 a relay holds mail only for the users who registered it
 * as a home relay (one registration per user, from that user's own link): made-up
 * destinations get nothing held, every envelope is refused 'no-custody', and the sender
 * hears each refusal. (The per-sender quota that capped this before, 8 MiB, still bounds
 * mail for registered users: engine/routing/test/mailbox*.) What it costs the relay's RSS
 * is measured by `npm run bench` (relay-scale / attack-flood), not asserted here.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeLinkFrame } from '../../engine/wire/index.ts'
import { startRelayProcess } from '../support/relayProcess.ts'
import type { RelayProcess } from '../support/relayProcess.ts'
import { waitFor } from '../support/waitFor.ts'
import { madeUpEnvelopes, rawPeer } from './rawPeer.ts'

const dirs: string[] = []
let relay: RelayProcess | undefined

const DESTINATIONS = 50_000
const BODY_BYTES = 256
const PER_FRAME = 50

afterAll(async () => {
  relay?.child.kill('SIGKILL')
  if (relay) await relay.exited
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('a relay offered mail for 50,000 made-up destinations', () => {
  it('holds none of it and refuses every envelope with a reason the sender hears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sovereign-attack-'))
    dirs.push(dir)
    relay = await startRelayProcess(dir, '0', { DEFENCE: 'off' })
    const peer = await rawPeer(relay.linkUrl)
    let refusedHeard = 0
    const reasons = new Set<string>()
    peer.onFrame((frame) => {
      const decoded = decodeLinkFrame(frame)
      if (decoded.type !== 'refuse') return
      refusedHeard += decoded.ids.length
      reasons.add(decoded.reason)
    })
    // Expiry 2^48 − 1 (year 10889): custody clamps it (14 days), it does not keep the mail forever.
    for (let sent = 0; sent < DESTINATIONS; sent += PER_FRAME) await peer.write(madeUpEnvelopes(PER_FRAME, BODY_BYTES, 2 ** 48 - 1))
    const refusals = (): Promise<number> => relay!.metric('sovereign_relay_custody_refusals_total{reason="no-custody"}')
    await waitFor('every envelope refused', async () => (await refusals()) === DESTINATIONS)
    expect(await relay.metric('sovereign_relay_custody_envelopes')).toBe(0)
    expect(await relay.metric('sovereign_relay_custody_bytes')).toBe(0)
    // The attacker was told, in typed refusals (sent once a tick), for everything it was refused.
    await waitFor('the refusals reach the sender', async () => refusedHeard === DESTINATIONS)
    expect([...reasons]).toEqual(['no-custody'])
    peer.close()
  })
})

/**
 * Attack suite, flood (issue 10): one authenticated peer floods a real relay process
 * with valid envelopes for made-up destinations, as fast as its socket drains, while
 * Alice and Bob (real engines in workers) chat through the same relay. The flooder
 * must be shed, disconnected for its score and refused when it comes back, under its
 * identity or a new one from the same address; the honest chat must not lose a
 * message. How much the flood slows the honest chat is measured by
 * `npm run bench` (bench/scenarios/attackFlood.ts), not asserted here.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { contactPair } from '../support/contactPair.ts'
import { startRelayProcess } from '../support/relayProcess.ts'
import type { RelayProcess } from '../support/relayProcess.ts'
import { waitFor } from '../support/waitFor.ts'
import { madeUpEnvelopes, rawPeer } from './rawPeer.ts'

const dirs: string[] = []
const workers: EngineWorker[] = []
let relay: RelayProcess | undefined
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-attack-'))
  dirs.push(dir)
  return dir
}

/**
 * The most the flooder writes: 10,000 envelopes, ten times a stranger's burst. It writes
 * faster than the relay reads, so it may write them all before the verdict comes.
 */
const MAX_FLOOD_FRAMES = 100
const PER_FRAME = 100

afterAll(async () => {
  for (const w of workers) await w.terminate()
  relay?.child.kill('SIGKILL')
  if (relay) await relay.exited
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('a relay under a flood', () => {
  it('sheds, disconnects and refuses the flooder, and the honest chat loses nothing', async () => {
    relay = await startRelayProcess(tempDir())
    const { alice, bob, aliceId, bobId } = await contactPair(relay.linkUrl, tempDir, (w) => void workers.push(w))
    const bobProfile = { id: bobId }

    const flooder = await rawPeer(relay.linkUrl)
    let frames = 0
    let closed = false
    void flooder.closed.then(() => void (closed = true))
    const flood = (async () => {
      while (!closed && frames < MAX_FLOOD_FRAMES) {
        await flooder.write(madeUpEnvelopes(PER_FRAME))
        frames++
        // Alice chats while the flood runs.
        if (frames % 10 === 0 && frames <= 50) await alice.api.send(bobProfile.id, `during the flood ${frames / 10}`)
      }
    })()
    await flood
    // The relay's verdict, once it has read what it was sent (a deadline, not a pace).
    expect(await flooder.closed).toBeGreaterThan(0)

    expect(await relay.metric('sovereign_relay_link_closes_total{reason="score"}')).toBe(1)
    expect(await relay.metric('sovereign_relay_shed_total{action="envelopes"}')).toBeGreaterThan(500)

    // Back under the same identity, or a new one, from the same address: refused before or at the handshake.
    await expect(rawPeer(relay.linkUrl, flooder.identity)).rejects.toThrow(/closed during the handshake/)
    await expect(rawPeer(relay.linkUrl)).rejects.toThrow(/closed during the handshake/)
    expect(await relay.metric('sovereign_relay_link_closes_total{reason="refused"}')).toBeGreaterThanOrEqual(2)

    // Everything Alice sent during the flood, and one message after it, reaches Bob.
    const sent = Math.min(5, Math.floor(Math.min(frames, 50) / 10))
    await alice.api.send(bobProfile.id, 'after the flood')
    const history = await waitFor('Bob has every honest message', async () => {
      const h = await bob.api.history(aliceId)
      return h.length === sent + 1 ? h : null
    })
    expect(history.map((m) => m.text).at(-1)).toBe('after the flood')
  })
})

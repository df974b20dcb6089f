/**
 * Attack suite, hostile frames (issue 10), against a real relay process:
 * - structurally valid but hostile frames, drawn by fast-check (envelopes with TTL
 *   255 and expiry 2^48 − 1, acks of 1,024 made-up ids, announcements that do not
 *   verify), sent as fast as the socket drains, lower the sender's score until the
 *   relay disconnects it;
 * - frames that do not decode close the link at once, and a peer that keeps coming
 *   back with them is refused within a bounded number of tries;
 * and the relay still answers /healthz.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeEnvelope, encodeLinkFrame } from '../../engine/wire/index.ts'
import type { LinkFrame } from '../../engine/wire/index.ts'
import { startRelayProcess } from '../support/relayProcess.ts'
import type { RelayProcess } from '../support/relayProcess.ts'
import { waitFor } from '../support/waitFor.ts'
import { rawPeer } from './rawPeer.ts'

const dirs: string[] = []
let relay: RelayProcess | undefined
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-attack-'))
  dirs.push(dir)
  return dir
}

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const U48_MAX = 2 ** 48 - 1

/** Hostile frames that still decode: every field at its most expensive legal value. */
const hostileFrame: fc.Arbitrary<LinkFrame> = fc.oneof(
  fc
    .array(
      fc.record({ id: bytes(16), destination: bytes(32), body: fc.uint8Array({ minLength: 1, maxLength: 512 }) }),
      { minLength: 1, maxLength: 64 },
    )
    .map((list) => ({
      type: 'envelopes' as const,
      envelopes: list.map(({ id, destination, body }) =>
        encodeEnvelope({ header: { version: 2, id, destination, ttl: 255, attempt: 255, expiresAt: U48_MAX }, body }),
      ),
    })),
  fc.array(bytes(16), { minLength: 1_024, maxLength: 1_024 }).map((ids) => ({ type: 'ack' as const, ids })),
  fc
    .record({ announcement: fc.uint8Array({ minLength: 1, maxLength: 600 }), metric: fc.integer({ min: 0, max: 255 }) })
    .map(({ announcement, metric }) => ({ type: 'announce' as const, announcement, metric })),
)

/** The most frames the hostile peer writes (it writes faster than the relay reads; ~200 cost it its link). */
const MAX_FRAMES = 1_000
/** invalidFrame costs 10 points and the disconnect line is −100: ten closes, and a margin for decay between tries. */
const MAX_MALFORMED_TRIES = 14

afterAll(async () => {
  relay?.child.kill('SIGKILL')
  if (relay) await relay.exited
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('a relay fed hostile frames', () => {
  it('disconnects a peer whose valid but hostile frames cost it its score', async () => {
    relay = await startRelayProcess(tempDir())
    const peer = await rawPeer(relay.linkUrl, undefined, '127.0.0.2')
    let sent = 0
    let closed = false
    void peer.closed.then(() => void (closed = true))
    const frames = fc.sample(hostileFrame, { numRuns: 200, seed: 10 })
    while (!closed && sent < MAX_FRAMES) {
      await peer.write(encodeLinkFrame(frames[sent % frames.length]!))
      sent++
    }
    // The relay reads behind the writer: wait for its verdict (a deadline, not a pace).
    await waitFor('the relay closes the link', () => closed)
    expect(await relay.metric('sovereign_relay_link_closes_total{reason="score"}')).toBe(1)
    const health = await fetch(`${relay.httpUrl}/healthz`)
    expect(health.status).toBe(200)
  })

  it('closes a link on a frame that does not decode, and refuses a peer that keeps sending them', async () => {
    relay ??= await startRelayProcess(tempDir())
    let tries = 0
    let refused = false
    while (!refused && tries < MAX_MALFORMED_TRIES) {
      tries++
      try {
        const peer = await rawPeer(relay.linkUrl, undefined, '127.0.0.3')
        // Sealed with the link's key, so it decrypts; not a link frame (type 0xee).
        await peer.write(Uint8Array.of(0xee, 1, 2, 3))
        await peer.closed
      } catch (error) {
        expect((error as Error).message).toMatch(/closed during the handshake/)
        refused = true
      }
    }
    expect(refused).toBe(true)
    expect(await relay.metric('sovereign_relay_link_closes_total{reason="protocol"}')).toBeGreaterThanOrEqual(10)
    expect(await relay.metric('sovereign_relay_link_closes_total{reason="refused"}')).toBeGreaterThanOrEqual(1)
  })
})

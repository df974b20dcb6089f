/**
 * The relay's Prometheus page: it parses as the text exposition format (version 0.0.4),
 * every family has a TYPE, and it carries links by state, admission, handshakes, frames,
 * custody, the defence's counters and scores, and the event-loop lag. Values are read
 * from their sources at scrape time.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ForwarderStats } from '../../../engine/routing/forwarder.ts'
import { generateIdentity } from '../../../engine/identity/index.ts'
import { WAIT_MS } from '../../../test/support/waitFor.ts'
import { systemRandom } from '../../../workers/systemPorts.ts'
import { nodeCrypto } from '../nodeCrypto.ts'
import { createRelayMetrics } from '../relayMetrics.ts'
import type { DefenceStats, RelayMetricsSources } from '../relayMetrics.ts'
import { startRelay } from '../relayServer.ts'
import type { WsLinkStats } from '../wsTransport.ts'
import { runChurn } from './churnClient.ts'

interface Family {
  type: string
  samples: Map<string, number>
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const SAMPLE = new RegExp(`^(${NAME})(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*",?)*\\})? (\\S+)( -?\\d+)?$`)
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)

/** Parses a Prometheus text page strictly; throws on any line that is not valid. */
function parsePrometheus(page: string): Map<string, Family> {
  const families = new Map<string, Family>()
  for (const line of page.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue
    const type = TYPE.exec(line)
    if (type) {
      if (families.has(type[1]!)) throw new Error(`TYPE twice for ${type[1]}`)
      families.set(type[1]!, { type: type[2]!, samples: new Map() })
      continue
    }
    const sample = SAMPLE.exec(line)
    if (!sample) throw new Error(`not a Prometheus line: ${line}`)
    // As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case; prom-client writes 'Nan'.
    const raw = sample[3]!
    const value = /^nan$/i.test(raw) ? NaN : Number(raw.replace(/^([+-]?)inf$/i, '$1Infinity'))
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`bad value: ${line}`)
    const name = sample[1]!
    const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count|total|created)$/, ''))
    if (!family) throw new Error(`sample before its TYPE: ${line}`)
    family.samples.set(`${name}${sample[2] ?? ''}`, value)
  }
  return families
}

const zeroConnections: WsLinkStats = {
  open: 0,
  addresses: 0,
  admitted: 0,
  upgrades: 0,
  refused: { total: 0, address: 0, rate: 0, handshakes: 0 },
  timedOut: 0,
  links: 0,
  framesIn: 0,
  framesOut: 0,
  bytesIn: 0,
  bytesOut: 0,
}
// Without custody bytes, as a forwarder that does not report them (the cast keeps this valid where it does).
const forwarderStats = {
  forwarded: 7,
  delivered: 0,
  held: 3,
  dropped: 2,
  refused: { 'destination-full': 1, 'sender-over-quota': 0, 'too-large': 0, expired: 0 },
  evicted: { expired: 1, 'evicted-for-room': 0 },
} as ForwarderStats

describe('createRelayMetrics', () => {
  it('reads every source at scrape time and exports the defence, scores included', async () => {
    let links = [{ state: 'open' }, { state: 'handshaking' }]
    let defence: DefenceStats = {
      shed: { frames: 5, bytes: 1000, envelopes: 0, announcements: 0, handshakes: 0 },
      closes: { score: 1 },
      graylisted: 1,
      scores: [-60, 0, 5],
    }
    const sources: RelayMetricsSources = {
      links: () => links,
      connections: () => ({ ...zeroConnections, open: 2, refused: { ...zeroConnections.refused, address: 4 } }),
      forwarder: () => ({ ...forwarderStats, heldBytes: 3000 }),
      defence: () => defence,
    }
    const metrics = createRelayMetrics(sources)
    const first = parsePrometheus(await metrics.metrics())
    const s = (family: string, sample: string): number | undefined => first.get(family)?.samples.get(sample)
    expect(first.get('sovereign_relay_links')?.type).toBe('gauge')
    expect(s('sovereign_relay_links', 'sovereign_relay_links{state="open"}')).toBe(1)
    expect(s('sovereign_relay_links', 'sovereign_relay_links{state="waiting"}')).toBe(0)
    expect(first.get('sovereign_relay_connections_refused_total')?.type).toBe('counter')
    expect(s('sovereign_relay_connections_refused_total', 'sovereign_relay_connections_refused_total{reason="address"}')).toBe(4)
    expect(s('sovereign_relay_custody_bytes', 'sovereign_relay_custody_bytes')).toBe(3000)
    expect(s('sovereign_relay_custody_refusals_total', 'sovereign_relay_custody_refusals_total{reason="destination-full"}')).toBe(1)
    expect(s('sovereign_relay_shed_total', 'sovereign_relay_shed_total{action="frames"}')).toBe(5)
    expect(s('sovereign_relay_link_closes_total', 'sovereign_relay_link_closes_total{reason="score"}')).toBe(1)
    expect(s('sovereign_relay_graylisted', 'sovereign_relay_graylisted')).toBe(1)
    expect(first.get('sovereign_relay_peer_scores')?.type).toBe('histogram')
    expect(s('sovereign_relay_peer_scores', 'sovereign_relay_peer_scores_bucket{le="-50"}')).toBe(1)
    expect(s('sovereign_relay_peer_scores', 'sovereign_relay_peer_scores_count')).toBe(3)
    expect(first.has('nodejs_eventloop_lag_seconds')).toBe(true)

    // The next scrape sees the sources as they are then: a snapshot, not an accumulation.
    links = []
    defence = { ...defence, scores: [1], graylisted: 0 }
    const second = parsePrometheus(await metrics.metrics())
    expect(second.get('sovereign_relay_links')?.samples.get('sovereign_relay_links{state="open"}')).toBe(0)
    expect(second.get('sovereign_relay_peer_scores')?.samples.get('sovereign_relay_peer_scores_count')).toBe(1)
  })

  it('works without a defence and without custody bytes', async () => {
    const metrics = createRelayMetrics({ links: () => [], connections: () => zeroConnections, forwarder: () => forwarderStats })
    const page = parsePrometheus(await metrics.metrics())
    expect(page.has('sovereign_relay_shed_total')).toBe(false)
    expect(page.has('sovereign_relay_custody_bytes')).toBe(false)
    expect(page.get('sovereign_relay_custody_envelopes')?.samples.get('sovereign_relay_custody_envelopes')).toBe(3)
  })
})

describe('relay GET /metrics', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sovereign-metrics-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('serves the Prometheus text page with links, handshakes, frames, custody and event-loop lag', async () => {
    const relay = await startRelay({ port: 0, dataDir })
    try {
      const crypto = nodeCrypto()
      const random = systemRandom()
      const identity = generateIdentity(crypto, random)
      await runChurn({ url: relay.linkUrl, identity, crypto, random, cycles: 3, concurrency: 1, timeoutMs: WAIT_MS })
      const res = await fetch(`${relay.httpUrl}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('text/plain')
      const page = parsePrometheus(await res.text())
      const value = (family: string, sample = family): number | undefined => page.get(family)?.samples.get(sample)
      expect(value('sovereign_relay_handshakes_started_total')).toBe(3)
      // Each handshake is three messages: two in, one out, on the relay's side.
      expect(value('sovereign_relay_frames_received_total')).toBeGreaterThanOrEqual(6)
      expect(value('sovereign_relay_frames_sent_total')).toBeGreaterThanOrEqual(3)
      for (const state of ['connecting', 'handshaking', 'open', 'waiting', 'closed']) {
        expect(value('sovereign_relay_links', `sovereign_relay_links{state="${state}"}`)).toBeTypeOf('number')
      }
      expect(value('sovereign_relay_custody_envelopes')).toBe(0)
      expect(page.get('sovereign_relay_custody_evictions_total')?.type).toBe('counter')
      expect(value('sovereign_relay_connections_accepted_total')).toBeGreaterThanOrEqual(4)
      expect(page.get('sovereign_relay_connections_refused_total')?.type).toBe('counter')
      expect(value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)
      expect(value('process_open_fds')).toBeGreaterThan(0)
      // The relay's mesh has its defence on: its counters are on the page too.
      expect(page.get('sovereign_relay_shed_total')?.type).toBe('counter')
      expect(page.get('sovereign_relay_peer_scores')?.type).toBe('histogram')
    } finally {
      await relay.close()
    }
  })
})

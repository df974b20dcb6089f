/**
 * The home-relay simulator (bench/sim/homeSim.ts) at a small scale: relays running the
 * engine's data plane, registry, custody and relay pool, users churning and relays
 * failing, and still every message delivered, none twice, custody only where the
 * recipient registered, relay state within its bounds. Also: the announcement count the
 * simulator models at scale is the one the real router produces.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_REACH_BOOK_ENTRIES } from '../../../engine/reach/index.ts'
import { runHomeSim } from '../homeSim.ts'
import type { HomeSimOptions } from '../homeOptions.ts'
import type { HomeSimResult } from '../homeResult.ts'

function report(label: string, r: HomeSimResult): void {
  const s = r.relayState.endOfWindow
  console.log(
    `${label}: ${r.users} users on ${r.relays} relays; ${r.messages.delivered}/${r.messages.sent} delivered ` +
      `(${r.messages.deliveredPercent.toFixed(3)} %), ${r.messages.duplicates} duplicates, ${r.messages.redelivered} redelivered; ` +
      `latency p50 ${r.messages.latencyMs.p50} ms, p99 ${r.messages.latencyMs.p99} ms; per relay max: ${s.registrations.max} registrations, ` +
      `${s.learnedRecords.max} learned, ${r.relayState.peak.heldMail.max} held, ${s.poolLinks.max} pool links; ` +
      `${r.churn.usersWentOffline} users went offline, ${r.churn.relayFailures} relay failures; ${r.wallMs} ms`,
  )
}

const SMALL: HomeSimOptions = {
  users: 2_000,
  relays: 10,
  seed: 3,
  // Ten times the default churn, so that a small run sees plenty of it: 20 % of users offline per
  // hour and two relay failures of 1–10 minutes.
  reconnectPerHour: 0.2,
  relayFailures: 2,
  drainMs: 40 * 60_000,
}

describe('home-relay simulator', () => {
  it('delivers ≥ 99.9 % through churn and relay failures, never the same transmission twice, custody only for registered users', () => {
    const r = runHomeSim(SMALL)
    report('small', r)
    expect(r.messages.sent).toBeGreaterThan(1_500)
    expect(r.messages.delivered / r.messages.sent).toBeGreaterThanOrEqual(0.999)
    expect(r.messages.duplicates).toBe(0)
    expect(r.heldForOthers).toBe(0)
    expect(r.churn.relayFailures).toBe(2)
    expect(r.churn.usersWentOffline).toBeGreaterThan(300)
    // Mail to users who were offline went through custody and got there once they were back.
    expect(r.messages.toOffline.delivered).toBeGreaterThan(0)
    expect(r.totals['custodyAccepted']).toBeGreaterThan(0)

    // Per-relay state within its bounds: registrations are the relay's own users (200 first homes and
    // about 60 second ones here), learned records stay under the book's bound, the pool under 64 links.
    const state = r.relayState.peak
    expect(state.registrations.max).toBeLessThan(400)
    expect(state.learnedRecords.max).toBeLessThanOrEqual(DEFAULT_REACH_BOOK_ENTRIES)
    expect(state.poolLinks.max).toBeLessThanOrEqual(64)
    expect(state.heldMail.max).toBeLessThan(100)
    expect(r.relayState.endOfWindow.routes.max).toBe(0)
  })

  it('counts the announcements the real router sends (the scale runs model them)', () => {
    const r = runHomeSim({ ...SMALL, users: 1_000, relays: 8, seed: 5, routerAnnouncements: 'real', drainMs: 20 * 60_000 })
    report('real router', r)
    const modelled = r.perUserHour['relayAnnouncementsToUser']!
    const real = r.perUserHour['relayAnnouncementsToUserRealRouter']!
    expect(real).toBeGreaterThan(100)
    expect(Math.abs(modelled - real) / real).toBeLessThan(0.01)
    const betweenModelled = r.perRelayHour['announcementsBetweenRelays']!
    const betweenReal = r.perRelayHour['announcementsBetweenRelaysRealRouter']!
    expect(Math.abs(betweenModelled - betweenReal) / betweenReal).toBeLessThan(0.02)
  })

  it('repeats itself for a seed', () => {
    const options: HomeSimOptions = { users: 500, relays: 5, seed: 11, relayFailures: 1, drainMs: 35 * 60_000 }
    const strip = ({ wallMs: _w, heapUsedMiB: _h, rssMiB: _r, ...rest }: HomeSimResult) => rest
    expect(strip(runHomeSim(options))).toEqual(strip(runHomeSim(options)))
  })
})

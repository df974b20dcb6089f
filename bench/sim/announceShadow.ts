/**
 * The announcement schedule of a custodian's router (engine/routing/router.ts), over the
 * links it has: its own announcement to every link when due (every interval; after a link
 * was lost, at most once per interval / 6), one to a new link otherwise. A relay passes no
 * other origin on, so this is all it announces. The home-relay simulator runs the relays'
 * routers with announcements switched off at scale and counts these instead (homeSim.md);
 * its test holds the count against the real router's.
 */

export interface AnnounceShadow {
  ownAt: number | null
  reannounceDue: boolean
  lastTriggered: number
  users: number
  relays: number
}

/** Where the announcements are counted (the simulator's counters). */
export interface AnnounceCounts {
  modelAnnounceToUsers: number
  modelAnnounceBetweenRelays: number
}

/** router.ts defaults: announceIntervalMs and REANNOUNCE_HOLD_FRACTION. */
export const ANNOUNCE_INTERVAL_MS = 30_000
const REANNOUNCE_HOLD_MS = ANNOUNCE_INTERVAL_MS / 6

export const newShadow = (): AnnounceShadow => ({ ownAt: null, reannounceDue: false, lastTriggered: -Infinity, users: 0, relays: 0 })

const announceDue = (sh: AnnounceShadow, now: number): boolean =>
  sh.ownAt === null || now - sh.ownAt >= ANNOUNCE_INTERVAL_MS || (sh.reannounceDue && now - sh.lastTriggered >= REANNOUNCE_HOLD_MS)

const announceToAll = (sh: AnnounceShadow, now: number, counts: AnnounceCounts): void => {
  if (sh.reannounceDue) sh.lastTriggered = now
  sh.reannounceDue = false
  sh.ownAt = now
  counts.modelAnnounceToUsers += sh.users
  counts.modelAnnounceBetweenRelays += sh.relays
}

/** A link opened: the router announces to all if due, else to the new link alone. */
export function shadowLinkOpen(sh: AnnounceShadow, now: number, user: boolean, counts: AnnounceCounts): void {
  if (user) sh.users++
  else sh.relays++
  if (announceDue(sh, now)) announceToAll(sh, now, counts)
  else if (user) counts.modelAnnounceToUsers++
  else counts.modelAnnounceBetweenRelays++
}

/** A link went down. A relay's router (custodian) owes no re-announcement for a lost link (engine/routing/router.ts). */
export function shadowLinkDown(sh: AnnounceShadow, user: boolean): void {
  if (user) sh.users--
  else sh.relays--
}

/** The router's tick: its own announcement to every link, when due. */
export function shadowTick(sh: AnnounceShadow, now: number, counts: AnnounceCounts): void {
  if (sh.users + sh.relays > 0 && announceDue(sh, now)) announceToAll(sh, now, counts)
}

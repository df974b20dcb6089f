/**
 * Five relays, five users (issue 11's check): "five relay processes, users spread over them,
 * every pair of users on different relays chats; killing one relay (kill -9) loses no message
 * whose recipient has a second home relay."
 *
 * Relays R0…R4 are separate processes (relay.ts, custody on disk) that know nothing of each
 * other: every relay-to-relay link is dialed on demand, by the addresses in reach records.
 * User Ui's home relays are R(i) and R(i+1 mod 5): five different pairs, each relay home to two
 * users, and each user shares a relay with two others and none with the other two (those pairs
 * can only talk relay to relay). Every user adds every other one and every ordered pair
 * exchanges a message.
 *
 * Then U0 (R0, R1) and U2 (R2, R3) go offline and the others write to them: their mail waits in
 * custody at their home relays, which sign for it ("relayed"). R0 must hold some of it (U4's mail
 * to U0 goes there: R0 is U4's relay too); then R0 is killed with SIGKILL and stays down, and
 * the others write to everyone again. U0 and U2 come back.
 *
 * What recovers U0's mail that was on R0's disk: the senders' outboxes, which retransmit what
 * has no end-to-end receipt (relayed items too). Each retry leaves through the sender's own relay
 * (or R1 itself for U1), which passes U0's reach record ahead and carries it to the home relay it
 * can still reach, R1. A short outbox policy (below) makes those retries come within a second
 * instead of after the default backoff; product defaults are untouched.
 *
 * Proved: every message arrives exactly once (texts per sender, no duplicates), every sender sees
 * it delivered, R1 held all of U0's mail before U0 came back, and nothing was diverted: no relay
 * ever refused mail as not its users' ('no-custody'), contact set-up included, no relay other than an
 * offline user's home held any, no engine saw a custody claim from a relay that was not the
 * recipient's home, and the surviving relays hold nothing once all is delivered.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawnEngine } from '../../native/node/spawnEngine.ts'
import type { EngineWorker } from '../../native/node/spawnEngine.ts'
import { startRelayProcess } from '../support/relayProcess.ts'
import type { RelayProcess } from '../support/relayProcess.ts'
import { testScope } from '../support/testScope.ts'
import { waitFor } from '../support/waitFor.ts'

const { tempDir, track } = testScope('five-relays')
const relayProcesses: RelayProcess[] = []
const alive = (relay: RelayProcess): boolean => relay.child.exitCode === null && relay.child.signalCode === null
// Registered after testScope's hook, so it runs first: relays are gone before their dirs are removed.
afterAll(async () => {
  for (const relay of relayProcesses) {
    if (alive(relay)) relay.child.kill('SIGKILL')
    await relay.exited
  }
})

/** Retries within a second, so recovery after the kill takes seconds (default: 1 s doubling to 5 min). */
const outboxPolicy = { baseMs: 200, capMs: 1_000, maxAttempts: 1_000 }

const CUSTODY = 'sovereign_relay_custody_envelopes'
const NO_CUSTODY = 'sovereign_relay_custody_refusals_total{reason="no-custody"}'
const REGISTRATIONS = 'sovereign_relay_home_registrations'
const POOL_LINKS = 'sovereign_relay_relay_pool_links'

interface User {
  readonly name: string
  readonly dir: string
  readonly homes: readonly RelayProcess[]
  id: string
  engine: EngineWorker
}

interface Sent {
  readonly from: User
  readonly to: User
  readonly text: string
}

const openLinks = async (user: User): Promise<string[]> =>
  (await user.engine.api.links()).filter((l) => l.state === 'open' && l.address !== null).map((l) => l.address!)

/** A new user attached to its two home relays, in this order. */
async function startUser(name: string, homes: readonly RelayProcess[]): Promise<User> {
  const dir = tempDir()
  const engine = spawnEngine({ dataDir: dir, outboxPolicy })
  track(engine)
  const id = (await engine.api.createProfile(name)).id
  for (const relay of homes) await engine.api.connect(relay.linkUrl)
  const user = { name, dir, homes, id, engine }
  await waitFor(`${name} linked to both home relays`, async () => {
    const open = await openLinks(user)
    return homes.every((r) => open.includes(r.linkUrl))
  })
  return user
}

/** `b` accepts `a`'s offer; both then hold the other's reach record naming both home relays. */
async function befriend(a: User, b: User): Promise<void> {
  await b.engine.api.acceptOffer(await a.engine.api.createOffer())
  const knowsHomes = async (x: User, y: User): Promise<boolean> =>
    ((await x.engine.api.contactReach(y.id))?.relays.map((r) => r.address).join() ?? '') === y.homes.map((r) => r.linkUrl).join()
  await waitFor(`${a.name} and ${b.name} know each other's home relays`, async () => (await knowsHomes(a, b)) && (await knowsHomes(b, a)))
}

async function status(s: Sent): Promise<string | undefined> {
  return (await s.from.engine.api.history(s.to.id)).find((m) => m.direction === 'out' && m.text === s.text)?.status
}

async function waitStatus(what: string, messages: readonly Sent[], accepted: readonly string[]): Promise<void> {
  await waitFor(what, async () => {
    for (const s of messages) if (!accepted.includes((await status(s)) ?? '')) return false
    return true
  })
}

/** Texts `to` shows as received from `from`, sorted (a duplicate would show twice). */
async function receivedTexts(to: User, from: User): Promise<string[]> {
  return (await to.engine.api.history(from.id)).filter((m) => m.direction === 'in').map((m) => m.text).sort()
}

/** Every (sender, recipient) pair of distinct users. */
const orderedPairs = (users: readonly User[]): [User, User][] => users.flatMap((from) => users.filter((to) => to !== from).map((to) => [from, to] as [User, User]))

const textsSent = (sent: readonly Sent[], from: User, to: User): string[] =>
  sent.filter((s) => s.from === from && s.to === to).map((s) => s.text).sort()

describe('five relays, users spread over them', () => {
  it('every pair chats; after kill -9 of a relay, mail for users with a second home relay all arrives, once', async () => {
    const relays = await Promise.all([0, 1, 2, 3, 4].map(() => startRelayProcess(tempDir())))
    relayProcesses.push(...relays)
    const users = await Promise.all([0, 1, 2, 3, 4].map((i) => startUser(`U${i}`, [relays[i]!, relays[(i + 1) % 5]!])))
    const [u0, u1, u2, u3, u4] = users as [User, User, User, User, User]
    const [r0, r1, , , r4] = relays as [RelayProcess, RelayProcess, RelayProcess, RelayProcess, RelayProcess]
    // Spread: each relay is the registered home of exactly two users.
    for (const relay of relays) await waitFor('two users registered at each relay', async () => (await relay.metric(REGISTRATIONS)) === 2)

    await Promise.all(users.flatMap((a, i) => users.slice(i + 1).map((b) => befriend(a, b))))
    // The accepter's reach record rides in the intro's envelope, so the offerer's first answer
    // already knows where to go: contact set-up makes no 'no-custody' refusal either.
    for (const [i, relay] of relays.entries()) expect(await relay.metric(NO_CUSTODY), `R${i}: refusals at set-up`).toBe(0)

    const sent: Sent[] = []
    const send = async (from: User, to: User, round: string): Promise<Sent> => {
      const s = { from, to, text: `${from.name} to ${to.name}, ${round}` }
      // Awaited one by one per pair: each message is its own envelope (sendCoalescer batches a tick).
      await from.engine.api.send(to.id, s.text)
      sent.push(s)
      return s
    }
    const writeAll = (senders: readonly User[], recipients: readonly User[], round: string): Promise<Sent[]> =>
      Promise.all(orderedPairs(users).filter(([from, to]) => senders.includes(from) && recipients.includes(to)).map(([from, to]) => send(from, to, round)))

    // 1. Everyone online: every ordered pair, 20 messages.
    await waitStatus('all of round 1 delivered', await writeAll(users, users, 'all online'), ['delivered'])

    // 2. U0 and U2 go offline; the others write to them. Their home relays sign for the mail.
    const online = [u1, u3, u4]
    const offline = [u0, u2]
    for (const user of offline) await user.engine.terminate()
    const whileOffline = await writeAll(online, offline, 'while offline')
    await waitStatus("round 2 held by the recipients' home relays", whileOffline, ['relayed'])
    // R0 holds some of it (U4's mail to U0 goes there: R0 is U4's relay too);
    // R4 is no offline user's home and holds none.
    expect(await r0.metric(CUSTODY), 'R0 holds mail for U0').toBeGreaterThan(0)
    expect(await r4.metric(CUSTODY), 'R4 holds nothing').toBe(0)

    // 3. R0 dies with what it holds, and stays down; the others write to everyone again.
    r0.child.kill('SIGKILL')
    expect(await r0.exited).toBe('SIGKILL')
    const whileDown = await writeAll(online, users, 'R0 down')
    await waitStatus('round 3 delivered to those online', whileDown.filter((s) => online.includes(s.to)), ['delivered'])
    await waitStatus('round 3 relayed for those offline', whileDown.filter((s) => offline.includes(s.to)), ['relayed'])
    // The senders' retries brought what R0 held for U0 to R1 before U0 is back: R1 holds an
    // envelope for each of U0's messages of rounds 2 and 3.
    const forU0 = [...whileOffline, ...whileDown].filter((s) => s.to === u0).length
    await waitFor("R1 holds all of U0's mail", async () => (await r1.metric(CUSTODY)) >= forU0)

    // 4. U0 and U2 come back (R0 stays down).
    for (const user of offline) {
      user.engine = spawnEngine({ dataDir: user.dir, outboxPolicy })
      track(user.engine)
    }
    for (const [from, to] of orderedPairs(users)) {
      const expected = textsSent(sent, from, to)
      const got = await waitFor(`${to.name} has ${from.name}'s ${expected.length} messages`, async () => {
        const texts = await receivedTexts(to, from)
        return texts.length >= expected.length ? texts : null
      })
      expect(got, `${from.name} to ${to.name}`).toEqual(expected)
    }
    await waitStatus('every sender sees delivered', sent, ['delivered'])

    // Nothing diverted, nothing left behind.
    const survivors = relays.filter(alive)
    await waitFor('the surviving relays hold nothing', async () => {
      for (const relay of survivors) if ((await relay.metric(CUSTODY)) !== 0) return false
      return true
    })
    for (const [i, relay] of relays.entries()) {
      if (!alive(relay)) continue
      expect(await relay.metric(NO_CUSTODY), `R${i}: mail refused as not its users'`).toBe(0)
      expect(await relay.metric(REGISTRATIONS), `R${i}: users registered`).toBe(2)
    }
    // No relay was told of another: they dialed each other by the addresses in reach records.
    let pooled = 0
    for (const relay of survivors) pooled += await relay.metric(POOL_LINKS)
    expect(pooled).toBeGreaterThan(0)
    for (const user of users) {
      const d = await user.engine.api.diagnostics()
      expect(d.custodyClaimsIgnored, `${user.name}: custody claims from relays not the recipient's home`).toBe(0)
      expect(d.custodyReceiptsRefused, `${user.name}: refused custody receipts`).toEqual({})
    }
    // Once: with everything delivered and the relays empty, no copy is still on its way.
    for (const [from, to] of orderedPairs(users)) {
      expect(await receivedTexts(to, from), `${from.name} to ${to.name}, at the end`).toEqual(textsSent(sent, from, to))
    }
  })
})

/**
 * Home registration in the data plane (issue 11): a node sends its own reach record on
 * every link it dialed (a relay it chose), again when the record changes; a custodian
 * hands what it receives to its registry and tells the link whether it was hostile.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import type { Clock } from '../../ports/index.ts'
import { createHomeRegistry, decodeCustodyReceipt, signReachRecord } from '../../reach/index.ts'
import type { VerifiedCustodyReceipt } from '../../reach/index.ts'
import { flipBit } from '../../wire/test/arbitraries.ts'
import type { LinkFrame } from '../../wire/index.ts'
import { createDataPlane } from '../dataPlane.ts'
import type { PlaneHop } from '../dataPlane.ts'
import { envelope, hop, idOf, T0 } from './forwarderKit.ts'
import { identityOf } from './routerNet.ts'

const crypto = nobleCrypto()
const clock: Clock = { now: () => T0, setTimeout: () => 0, clearTimeout: () => undefined }
const relayId = identityOf('R')
const user = identityOf('U')
const hex = (id: typeof user): string => toHex(id.signingKey.publicKey)

const recordOf = (seqno: number): Uint8Array =>
  signReachRecord(crypto, user, {
    seqno,
    issuedAt: T0,
    expiresAt: T0 + 60_000,
    relays: [{ identity: relayId.signingKey.publicKey, address: 'wss://r.example.org/link' }],
  })

function recording(kind: 'upstream' | 'peer'): PlaneHop & { readonly reach: Uint8Array[] } {
  const reach: Uint8Array[] = []
  return { ...hop(kind), reach, frame: (f: LinkFrame) => void (f.type === 'reach' && reach.push(f.record)) }
}

describe('data plane home registration', () => {
  it('sends its own record on links it dialed only, and again to each when it changes', () => {
    let own: Uint8Array | null = null
    const node = createDataPlane({ identity: user, crypto, clock, deliverLocal: () => undefined, ownReach: () => own })
    const early = recording('upstream')
    node.linkOpen('aa'.repeat(32), early)
    expect(early.reach).toEqual([]) // no record yet: nothing to register
    own = recordOf(1)
    node.publishReach()
    expect(early.reach).toEqual([own])
    const later = recording('upstream')
    const inbound = recording('peer')
    node.linkOpen('bb'.repeat(32), later)
    node.linkOpen('cc'.repeat(32), inbound)
    expect(later.reach).toEqual([own])
    expect(inbound.reach).toEqual([]) // a contact's direct link is no home relay
    own = recordOf(2)
    node.publishReach()
    expect(early.reach).toEqual([recordOf(1), own])
    expect(later.reach).toEqual([recordOf(1), own])
    expect(inbound.reach).toEqual([])
  })

  it('a custodian keeps a registration and reports hostile ones to the link; a node without a registry ignores them', () => {
    const homes = createHomeRegistry({ crypto, self: relayId.signingKey.publicKey })
    const relay = createDataPlane({ identity: relayId, crypto, clock, custodian: true, deliverLocal: () => undefined, homes })
    expect(relay.reach(hex(user), recordOf(2))).toBe(true)
    expect(homes.isHome(hex(user), T0)).toBe(true)
    expect(relay.reach(hex(user), recordOf(1))).toBe(true) // stale: refused, but no offence
    // Someone else's genuine record is what a sender passes ahead of its mail: learned, not registered.
    expect(relay.reach(hex(identityOf('M')), recordOf(3))).toBe(true)
    expect(relay.learnedRecords).toBe(1)
    // Forged (one bit of the signature flipped) or not a record at all: hostile.
    const forged = recordOf(4)
    expect(relay.reach(hex(identityOf('M')), flipBit(forged, forged.length * 8 - 1))).toBe(false)
    expect(relay.reach(hex(identityOf('M')), new Uint8Array([1, 2, 3]))).toBe(false)
    expect(homes.stats()).toEqual({ held: 1, accepted: 1, left: 0, refused: { stale: 1 } })
    const plain = createDataPlane({ identity: user, crypto, clock, deliverLocal: () => undefined })
    expect(plain.reach(hex(identityOf('M')), new Uint8Array([1]))).toBe(true)
  })

  it('a home relay answers mail it holds for a registered user with a receipt it signs, and refuses to hold anyone else\'s', () => {
    const homes = createHomeRegistry({ crypto, self: relayId.signingKey.publicKey })
    const relay = createDataPlane({ identity: relayId, crypto, clock, custodian: true, deliverLocal: () => undefined, homes })
    relay.reach(hex(user), recordOf(1))
    const frames: LinkFrame[] = []
    const sender: PlaneHop = { ...hop('peer'), frame: (f: LinkFrame) => void frames.push(f) }
    const SENDER = 'dd'.repeat(32)
    relay.linkOpen(SENDER, sender)
    const forUser = [envelope(hex(user)), envelope(hex(user))]
    const forStranger = envelope(hex(identityOf('S')))
    relay.envelopes(SENDER, [...forUser, forStranger])
    relay.tick(T0)
    const custody = frames.filter((f) => f.type === 'custody')
    expect(custody).toHaveLength(1) // both ids in one receipt: one signature a tick per sender and user
    const { receipt } = decodeCustodyReceipt((custody[0] as { receipt: Uint8Array }).receipt)
    expect(toHex(receipt.custodian)).toBe(hex(relayId))
    expect(toHex(receipt.recipient)).toBe(hex(user))
    expect(receipt.ids.map(toHex).sort()).toEqual(forUser.map(idOf).sort())
    expect(receipt.heldUntil).toBe(T0 + 60_000) // the envelopes' own expiry, under custody's cap
    expect(frames.filter((f) => f.type === 'ack')).toEqual([])
    // Custody is the recipient's choice (issue 11): a stranger did not name this relay.
    const refusals = frames.filter((f) => f.type === 'refuse') as Extract<LinkFrame, { type: 'refuse' }>[]
    expect(refusals.map((f) => [f.reason, f.ids.map(toHex)])).toEqual([['no-custody', [idOf(forStranger)]]])
    expect(relay.forwarder.stats()).toMatchObject({ held: 2, noCustody: 1 })
  })

  it('the sender hears of a genuine receipt for its own envelope; a forged one is refused; a relay in between passes it back', () => {
    const homes = createHomeRegistry({ crypto, self: relayId.signingKey.publicKey })
    const relay = createDataPlane({ identity: relayId, crypto, clock, custodian: true, deliverLocal: () => undefined, homes })
    relay.reach(hex(user), recordOf(1))
    const heard: Array<[string, VerifiedCustodyReceipt]> = []
    const sender = createDataPlane({ identity: identityOf('A'), crypto, clock, deliverLocal: () => undefined, onCustodyReceipt: (id, r) => void heard.push([id, r]) })
    const middle = createDataPlane({ identity: identityOf('M'), crypto, clock, custodian: true, deliverLocal: () => undefined })
    // sender → middle → relay, each link a pair of hops that hand frames and envelopes across.
    const ids = { sender: hex(identityOf('A')), middle: hex(identityOf('M')), relay: hex(relayId) }
    const custodyTo: Record<string, Uint8Array[]> = { sender: [], middle: [] }
    const toMiddle: PlaneHop = { kind: 'upstream', send: (es) => middle.envelopes(ids.sender, es), frame: () => undefined }
    const toRelay: PlaneHop = { kind: 'upstream', send: (es) => relay.envelopes(ids.middle, es), frame: () => undefined }
    const middleToSender: PlaneHop = { kind: 'peer', send: () => undefined, frame: (f) => void (f.type === 'custody' && custodyTo.sender!.push(f.receipt)) }
    const relayToMiddle: PlaneHop = { kind: 'peer', send: () => undefined, frame: (f) => void (f.type === 'custody' && custodyTo.middle!.push(f.receipt)) }
    sender.linkOpen(ids.middle, toMiddle)
    middle.linkOpen(ids.sender, middleToSender)
    middle.linkOpen(ids.relay, toRelay)
    relay.linkOpen(ids.middle, relayToMiddle)
    const mail = envelope(hex(user))
    sender.send(mail) // the hops hand envelopes across at once: sender → middle → relay, where it is held
    relay.tick(T0)
    expect(custodyTo.middle).toHaveLength(1)
    const receipt = custodyTo.middle![0]!
    // Forged on the way (one bit of the signature): the sender refuses it and hears nothing.
    expect(sender.custody(ids.middle, flipBit(receipt, receipt.length * 8 - 1))).toBe(false)
    expect(heard).toEqual([])
    expect(middle.custody(ids.relay, receipt)).toBe(true)
    middle.tick(T0)
    expect(custodyTo.sender).toEqual([receipt])
    expect(sender.custody(ids.middle, receipt)).toBe(true)
    expect(heard.map(([id]) => id)).toEqual([idOf(mail)])
    expect(toHex(heard[0]![1].custodian)).toBe(hex(relayId))
  })

  it('hands what it holds over to the new home relays when a user moves away', () => {
    const homes = createHomeRegistry({ crypto, self: relayId.signingKey.publicKey })
    const dials: string[][] = []
    const relay = createDataPlane({
      identity: relayId,
      crypto,
      clock,
      custodian: true,
      deliverLocal: () => undefined,
      homes,
      dialRelays: (relays) => void dials.push(relays.map((r) => r.address)),
    })
    relay.reach(hex(user), recordOf(1))
    const SENDER = 'dd'.repeat(32)
    relay.linkOpen(SENDER, { ...hop('peer'), frame: () => undefined })
    const mail = envelope(hex(user))
    relay.envelopes(SENDER, [mail])
    expect(relay.forwarder.stats().held).toBe(1)
    // The user's newer record names another relay only: this one is left, and dials the new home.
    const next = identityOf('R2')
    const moved = signReachRecord(crypto, user, {
      seqno: 2,
      issuedAt: T0,
      expiresAt: T0 + 60_000,
      relays: [{ identity: next.signingKey.publicKey, address: 'wss://r2.example.org/link' }],
    })
    expect(relay.reach(hex(user), moved)).toBe(true)
    expect(homes.isHome(hex(user), T0)).toBe(false)
    expect(dials).toEqual([['wss://r2.example.org/link']])
    const toNext = { ...hop('upstream'), frame: () => undefined }
    relay.linkOpen(hex(next), toNext)
    expect(toNext.sent.map(idOf)).toEqual([idOf(mail)])
    expect(relay.forwarder.stats().held).toBe(0)
  })

  it("a plain ack counts for nothing once the recipient's home relays are known: the link is told, and relays do not pass one on", () => {
    const relayed: string[] = []
    const known = createDataPlane({
      identity: identityOf('A'),
      crypto,
      clock,
      deliverLocal: () => undefined,
      reachOf: (d) => (d === hex(user) ? recordOf(1) : null),
      onRelayed: (id) => void relayed.push(id),
    })
    const up: PlaneHop = { ...hop('upstream'), frame: () => undefined }
    known.linkOpen('ee'.repeat(32), up)
    const toUser = envelope(hex(user))
    const toStranger = envelope(hex(identityOf('S')))
    known.send(toUser)
    known.send(toStranger)
    const idBytes = (bytes: Uint8Array): Uint8Array => bytes.subarray(1, 17)
    expect(known.ack('ee'.repeat(32), [idBytes(toStranger)])).toBe(true) // no record: a plain ack is all there is
    expect(known.ack('ee'.repeat(32), [idBytes(toUser)])).toBe(false)
    expect(relayed).toEqual([idOf(toStranger), idOf(toUser)]) // the engine decides, and counts the claim ignored

    // A relay with registrations passes no plain ack back toward the sender.
    const homes = createHomeRegistry({ crypto, self: relayId.signingKey.publicKey })
    const relay = createDataPlane({ identity: relayId, crypto, clock, custodian: true, deliverLocal: () => undefined, homes })
    const frames: LinkFrame[] = []
    relay.linkOpen('dd'.repeat(32), { ...hop('peer'), frame: (f: LinkFrame) => void frames.push(f) })
    const stranger = { ...hop('peer'), frame: () => undefined }
    relay.linkOpen(hex(identityOf('S')), stranger)
    relay.envelopes('dd'.repeat(32), [toStranger])
    expect(stranger.sent.map(idOf)).toEqual([idOf(toStranger)]) // forwarded: an ack could go back the way it came
    relay.ack(hex(identityOf('S')), [idBytes(toStranger)])
    relay.tick(T0)
    expect(frames.filter((f) => f.type === 'ack')).toEqual([])
  })

  it("passes the home relay's receipt back for mail that waited for the dial to it", () => {
    // The sender's relay S learns the user's record (naming relay R), queues the mail while it
    // dials R, hands it over when the link opens; R signs, and S passes the receipt back.
    const homesAtR = createHomeRegistry({ crypto, self: relayId.signingKey.publicKey })
    const r = createDataPlane({ identity: relayId, crypto, clock, custodian: true, deliverLocal: () => undefined, homes: homesAtR })
    r.reach(hex(user), recordOf(1))
    const sId = identityOf('S')
    const s = createDataPlane({
      identity: sId,
      crypto,
      clock,
      custodian: true,
      deliverLocal: () => undefined,
      homes: createHomeRegistry({ crypto, self: sId.signingKey.publicKey }),
      dialRelays: () => undefined,
    })
    const SENDER = 'dd'.repeat(32)
    const toSender: Uint8Array[] = []
    s.linkOpen(SENDER, { ...hop('peer'), frame: (f: LinkFrame) => void (f.type === 'custody' && toSender.push(f.receipt)) })
    expect(s.reach(SENDER, recordOf(1))).toBe(true) // the user's record, passed ahead by the sender
    const mail = envelope(hex(user))
    s.envelopes(SENDER, [mail])
    expect(s.forwarder.stats()).toMatchObject({ held: 1, pendingDial: 1 })
    // The dial opens: S → R carries the mail, R → S carries R's receipt.
    s.linkOpen(hex(relayId), { kind: 'upstream', send: (es) => r.envelopes(hex(sId), es), frame: () => undefined })
    r.linkOpen(hex(sId), { ...hop('peer'), frame: (f: LinkFrame) => void (f.type === 'custody' && s.custody(hex(relayId), f.receipt)) })
    r.tick(T0)
    s.tick(T0)
    expect(toSender).toHaveLength(1)
    expect(decodeCustodyReceipt(toSender[0]!).receipt.ids.map(toHex)).toEqual([idOf(mail)])
  })
})

/**
 * The custody ack path with retries, end to end through two data planes: a
 * sender whose relay holds its envelope learns `relayed` for every attempt it
 * transmits, because the relay acks a retry it already holds instead of
 * dropping it as a duplicate.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import type { Clock } from '../../ports/index.ts'
import type { LinkFrame } from '../../wire/index.ts'
import { decodeEnvelope, withAttempt } from '../../wire/index.ts'
import { createDataPlane } from '../dataPlane.ts'
import type { DataPlane, PlaneHop } from '../dataPlane.ts'
import { envelope, key, T0 } from './forwarderKit.ts'
import { identityOf } from './routerNet.ts'

const crypto = nobleCrypto()

describe('data plane retries', () => {
  it('a custodian holds one copy of a retried envelope and the sender learns relayed again', () => {
    let now = T0
    const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined }
    const [alice, relay] = [identityOf('A'), identityOf('R')]
    const relayed: string[] = []
    const planes = new Map<string, DataPlane>()
    const plane = (name: string, custodian: boolean): DataPlane =>
      createDataPlane({
        identity: identityOf(name),
        crypto,
        clock,
        custodian,
        deliverLocal: () => undefined,
        onRelayed: (id) => void relayed.push(id),
      })
    // Frames move synchronously: envelopes are routed, acks handed back, announcements ignored.
    const link = (from: string, to: string, kind: PlaneHop['kind']): PlaneHop => ({
      kind,
      send: (envelopes) => planes.get(to)!.envelopes(from, envelopes),
      frame: (frame: LinkFrame) => {
        if (frame.type === 'ack') planes.get(to)!.ack(from, frame.ids)
      },
    })
    const [aliceId, relayId] = [toHex(alice.signingKey.publicKey), toHex(relay.signingKey.publicKey)]
    planes.set(aliceId, plane('A', false))
    planes.set(relayId, plane('R', true))
    const a = planes.get(aliceId)!
    const r = planes.get(relayId)!
    a.linkOpen(relayId, link(aliceId, relayId, 'upstream'))
    r.linkOpen(aliceId, link(relayId, aliceId, 'peer'))

    const mail = envelope(key(0x77)) // to nobody the relay can reach: custody
    const id = toHex(decodeEnvelope(mail).header.id)
    expect(a.send(mail)).toBe('forwarded')
    r.tick(now)
    expect(relayed).toEqual([id])
    now += 1_000
    expect(a.send(withAttempt(mail, 1))).toBe('forwarded')
    expect(a.send(withAttempt(mail, 1))).toBe('dropped') // its own exact repeat
    r.tick(now)
    expect(relayed).toEqual([id, id])
    expect(r.forwarder.stats()).toMatchObject({ held: 1, dropped: 1 }) // the first copy, superseded
  })

  it('tells the host when a route to a destination appears, so its outbox can retry at once', () => {
    const now = T0
    const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined }
    const ids = ['A', 'R', 'B'].map((n) => toHex(identityOf(n).signingKey.publicKey))
    const [aliceId, relayId, bobId] = ids as [string, string, string]
    const routeUps: string[] = []
    const planes = new Map<string, DataPlane>()
    for (const [i, name] of ['A', 'R', 'B'].entries()) {
      planes.set(ids[i]!, createDataPlane({
        identity: identityOf(name),
        crypto,
        clock,
        deliverLocal: () => undefined,
        ...(name === 'A' ? { onRouteUp: (d: string) => void routeUps.push(d) } : {}),
      }))
    }
    const link = (from: string, to: string): PlaneHop => ({
      kind: 'peer',
      send: (envelopes) => planes.get(to)!.envelopes(from, envelopes),
      frame: (frame: LinkFrame) => {
        if (frame.type === 'announce') planes.get(to)!.announcement(from, frame.announcement, frame.metric + 1)
      },
    })
    const connect = (x: string, y: string): void => {
      planes.get(x)!.linkOpen(y, link(x, y))
      planes.get(y)!.linkOpen(x, link(y, x))
    }
    connect(aliceId, relayId)
    expect(routeUps).toContain(relayId)
    expect(routeUps).not.toContain(bobId)
    // Bob comes online behind the relay: his announcement reaches Alice through it.
    connect(relayId, bobId)
    expect(routeUps).toContain(bobId)
  })
})

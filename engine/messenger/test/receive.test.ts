import { beforeEach, describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../bytes.ts'
import { generateX25519KeyPair } from '../../crypto/keyPair.ts'
import { seededRandom } from '../../crypto/test/seededRandom.ts'
import { bindStaticKey, shortFingerprint } from '../../identity/index.ts'
import type { Identity } from '../../identity/index.ts'
import { decodeEnvelope, encodeEnvelope, encodeMessageBatch, envelopeAssociatedData, ENVELOPE_HEADER_BYTES, ENVELOPE_VERSION } from '../../wire/index.ts'
import { createMessenger, MESSAGE_LIFETIME_MS } from '../messenger.ts'
import { decodeOffer } from '../../offer/index.ts'
import type { EnvelopeHeader } from '../../wire/index.ts'
import { createOutboundSession, encryptMessage, SESSION_ERROR_NAMES } from '../../session/index.ts'
import type { FakeClock, Person } from './harness.ts'
import { crypto, deliver, dump, errorName, fakeClock, pair, person } from './harness.ts'

const TTL_OFFSET = 1 + 16 + 32

let clock: FakeClock
let alice: Person
let bob: Person
beforeEach(async () => {
  clock = fakeClock()
  ;({ alice, bob } = await pair(clock))
})

/** A text to Alice from `sender`, on a fresh session started from Alice's offer (as any sender would). */
function sealAsBob(sender: Identity, text: string): Uint8Array {
  const offer = decodeOffer(alice.m.createOffer([]))
  const bundle = { ...offer, oneTimePrekeys: [] }
  const random = seededRandom(`seal ${text}`)
  const session = createOutboundSession(crypto, random, sender, bundle)
  const header: EnvelopeHeader = { version: ENVELOPE_VERSION, id: random.bytes(16), destination: offer.identity, ttl: 5, attempt: 0, expiresAt: clock.t + 60_000 }
  const body = encodeMessageBatch([
    {
      id: random.bytes(16),
      body: { type: 'text', sender: { identity: sender.signingKey.publicKey, binding: sender.binding }, sentAt: clock.t, text },
    },
  ])
  const { message } = encryptMessage(crypto, random, session, body, envelopeAssociatedData(header))
  return encodeEnvelope({ header, body: message })
}

describe('receive', () => {
  it('delivers a text once, even when the same envelope arrives twice', async () => {
    const { message, outgoing } = await bob.m.compose(alice.id, 'hi Alice')
    const events = await deliver(outgoing, alice)
    expect(events).toEqual([{ type: 'message', message: { ...message, contactId: bob.id, direction: 'in', status: 'received' } }])
    const after = await dump(alice.store)
    // The sender retried (its receipt was lost): shown once, stored once, acknowledged again.
    const again = await alice.m.receive(decodeEnvelope(outgoing.bytes))
    expect(again.events).toEqual([])
    expect(again.receipts.map((r) => [r.contactId, r.ids.map(toHex)])).toEqual([[bob.id, [message.id]]])
    expect(await dump(alice.store)).toEqual(after)
    expect(await alice.m.history(bob.id)).toHaveLength(1)
  })

  it('a message resent in a new envelope (same message id) is shown once and acknowledged', async () => {
    const { messages, outgoing } = await bob.m.composeBatch(alice.id, ['one', 'two'])
    expect(await deliver(outgoing[0]!, alice)).toHaveLength(2)
    await bob.m.fail(alice.id, outgoing[0]!.messageId, 'unreachable')
    const resent = await bob.m.retry(alice.id, messages.map((m) => m.id))
    const effects = await alice.m.receive(decodeEnvelope(resent.outgoing[0]!.bytes))
    expect(effects.events).toEqual([])
    expect(effects.receipts.map((r) => r.ids.map(toHex))).toEqual([messages.map((m) => m.id)])
    expect((await alice.m.history(bob.id)).map((m) => m.text)).toEqual(['one', 'two'])
  })

  it('ignores a replay after a restart: the message key is gone from the stored session', async () => {
    const { outgoing } = await bob.m.compose(alice.id, 'only once, even across restarts')
    expect(await deliver(outgoing, alice)).toHaveLength(1)
    const restarted = createMessenger({ crypto, random: seededRandom('alice again'), clock, store: alice.store })
    await restarted.load()
    const before = await dump(alice.store)
    expect((await restarted.receive(decodeEnvelope(outgoing.bytes))).events).toEqual([])
    expect(await dump(alice.store)).toEqual(before)
    expect(await restarted.history(bob.id)).toHaveLength(1)
    // The restarted messenger still reads Bob's next message on the same session.
    const next = await bob.m.compose(alice.id, 'and this one')
    expect((await restarted.receive(decodeEnvelope(next.outgoing.bytes))).events).toHaveLength(1)
  })

  it('ignores an envelope addressed to someone else, storing nothing', async () => {
    const carol = await person('Carol', clock)
    const { outgoing } = await bob.m.compose(alice.id, 'not for Carol')
    const before = await dump(carol.store)
    expect(await deliver(outgoing, carol)).toEqual([])
    expect(await dump(carol.store)).toEqual(before)
  })

  it('ignores a reflected envelope: Bob receiving his own mail to Alice', async () => {
    const { outgoing } = await bob.m.compose(alice.id, 'echo?')
    const before = await dump(bob.store)
    expect(await deliver(outgoing, bob)).toEqual([])
    expect(await dump(bob.store)).toEqual(before)
  })

  it('accepts mail up to its expiry and ignores it after', async () => {
    const first = await bob.m.compose(alice.id, 'late')
    const second = await bob.m.compose(alice.id, 'later')
    clock.t += MESSAGE_LIFETIME_MS
    expect(await deliver(first.outgoing, alice)).toHaveLength(1)
    clock.t += 1
    const before = await dump(alice.store)
    expect(await deliver(second.outgoing, alice)).toEqual([])
    expect(await dump(alice.store)).toEqual(before)
  })

  it('a changed TTL still opens: relays decrement it, so it is outside the associated data', async () => {
    const { message, outgoing } = await bob.m.compose(alice.id, 'hop hop')
    const bytes = outgoing.bytes.slice()
    bytes[TTL_OFFSET] = 0
    expect(decodeEnvelope(bytes).header.ttl).toBe(0)
    const [event] = await deliver(bytes, alice)
    expect(event).toMatchObject({ type: 'message', message: { text: 'hop hop', id: message.id } })
  })

  it('any other flipped bit is a typed error or ignored, and changes no state', async () => {
    const { outgoing } = await bob.m.compose(alice.id, 'tamper with me')
    const before = await dump(alice.store)
    const region = (byte: number): string =>
      byte === 0 ? 'version' : byte < TTL_OFFSET ? 'id/destination' : byte < ENVELOPE_HEADER_BYTES ? 'expiresAt' : byte < ENVELOPE_HEADER_BYTES + 2 ? 'length' : 'body'
    const seen = new Map<string, Set<string>>()
    // Every bit of the header and length; one bit of each body byte (the AEAD is
    // tested bit by bit in engine/session).
    const bits: number[] = []
    for (let byte = 0; byte < outgoing.bytes.length; byte++) {
      // ttl and attempt are outside the associated data by design: relays and retries change them.
      if (byte === TTL_OFFSET || byte === TTL_OFFSET + 1) continue
      if (byte < ENVELOPE_HEADER_BYTES + 2) for (let b = 0; b < 8; b++) bits.push(byte * 8 + b)
      else bits.push(byte * 8 + (byte % 8))
    }
    for (const bit of bits) {
      const bad = outgoing.bytes.slice()
      bad[bit >> 3]! ^= 1 << (bit & 7)
      let outcome: string
      try {
        const events = await deliver(bad, alice)
        expect(events, `bit ${bit}`).toEqual([])
        outcome = 'ignored'
      } catch (err) {
        outcome = (err as Error).name
      }
      const at = region(bit >> 3)
      seen.set(at, (seen.get(at) ?? new Set()).add(outcome))
    }
    expect(await dump(alice.store)).toEqual(before)
    expect([...seen.get('version')!]).toEqual(['UnsupportedVersionError'])
    // A changed destination is mail for someone else; a changed id is associated data
    // no session's header key opens: NoSessionError.
    expect([...seen.get('id/destination')!].sort()).toEqual(['NoSessionError', 'ignored'])
    // Flipping a high bit of expiresAt pushes it into the past (ignored) or far future.
    expect([...seen.get('expiresAt')!].sort()).toEqual(['NoSessionError', 'ignored'])
    expect([...seen.get('length')!]).toEqual(['MalformedError'])
    const typed = ['DecryptError', 'WeakKeyError', 'MalformedError', 'UnknownFrameTypeError', 'UnsupportedVersionError', ...SESSION_ERROR_NAMES]
    for (const name of seen.get('body')!) expect(typed).toContain(name)
    // Untampered, it still opens: the loop failed for the right reason.
    expect(await deliver(outgoing, alice)).toHaveLength(1)
  })

  it('a known contact whose identity key changed with a valid binding is flagged, never silently rebound', async () => {
    await alice.m.setVerified(bob.id, true)
    const real = bob.m.identity()
    const rotated = generateX25519KeyPair(crypto, seededRandom('rotated'))
    const rekeyed: Identity = {
      signingKey: real.signingKey,
      staticKey: rotated,
      binding: bindStaticKey(crypto, real.signingKey.secretKey, rotated.publicKey),
    }
    clock.t += 5_000
    const events = await deliver(sealAsBob(rekeyed, 'new phone, same me'), alice)
    expect(events[0]).toMatchObject({ type: 'contact', contact: { id: bob.id, verified: false, keyChangedAt: clock.t } })
    expect(events[1]).toMatchObject({ type: 'message', message: { text: 'new phone, same me' } })
    // Verifying again clears the warning.
    expect(await alice.m.setVerified(bob.id, true)).toMatchObject({ verified: true, keyChangedAt: null })
  })

  it('a changed identity key whose binding is not signed by the contact is refused, storing nothing', async () => {
    const real = bob.m.identity()
    const rotated = generateX25519KeyPair(crypto, seededRandom('rotated-2'))
    const impostor: Identity = {
      signingKey: real.signingKey,
      staticKey: rotated,
      // Signed by someone else's key: the binding does not hold for Bob's identity.
      binding: bindStaticKey(crypto, (await person('Mallory', clock)).m.identity().signingKey.secretKey, rotated.publicKey),
    }
    const before = await dump(alice.store)
    expect(await errorName(() => deliver(sealAsBob(impostor, 'new key, who dis'), alice))).toBe('InvalidSenderError')
    expect(await dump(alice.store)).toEqual(before)
    // The same path with Bob's real keys is accepted: the test isolates the forged binding.
    expect(await deliver(sealAsBob(real, 'same key'), alice)).toHaveLength(1)
  })

  it('an unknown sender with a valid binding becomes a contact named Unknown …', async () => {
    clock.t += 1000
    const carol = await person('Carol', clock)
    await carol.m.acceptOffer(alice.m.createOffer([])) // Carol's intro is never delivered
    const { message, outgoing } = await carol.m.compose(alice.id, 'hi, it is Carol')
    const events = await deliver(outgoing, alice)
    const label = `Unknown ${shortFingerprint(crypto, fromHex(carol.id)).slice(0, 9)}`
    expect(label).toMatch(/^Unknown [0-9a-f]{4} [0-9a-f]{4}$/)
    expect(events).toHaveLength(2)
    expect(events[0]).toMatchObject({ type: 'contact', contact: { id: carol.id, displayName: label } })
    expect(events[1]).toMatchObject({ type: 'message', message: { id: message.id, contactId: carol.id } })
    expect((await alice.m.contacts()).map((c) => c.displayName)).toEqual(['Bob', label])
  })

  it('an unknown sender whose binding does not verify is refused, storing nothing', async () => {
    const carol = await person('Carol', clock)
    const real = carol.m.identity()
    const forged: Identity = { ...real, binding: bob.m.identity().binding }
    const before = await dump(alice.store)
    // The session layer checks the binding inside the prekey message, before the messenger sees it.
    expect(await errorName(() => deliver(sealAsBob(forged, 'forged'), alice))).toBe('InvalidSenderError')
    expect(await dump(alice.store)).toEqual(before)
    expect(toHex(real.binding)).not.toBe(toHex(forged.binding))
  })
})

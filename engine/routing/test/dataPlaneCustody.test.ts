/**
 * A custodian's acks wait for its journal (DESIGN.md §6: nothing is
 * acknowledged before it is durable): the tick flushes before it sends them,
 * and a failed flush withholds them until one succeeds. A data plane created
 * on a journal holds its mail again.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../bytes.ts'
import { nobleCrypto } from '../../crypto/nobleCrypto.ts'
import type { Clock } from '../../ports/index.ts'
import type { LinkFrame } from '../../wire/index.ts'
import { createMemoryJournal, CustodyStoreFailedError } from '../custodyJournal.ts'
import type { CustodyJournal } from '../custodyJournal.ts'
import { createDataPlane } from '../dataPlane.ts'
import type { PlaneHop } from '../dataPlane.ts'
import { envelope, hop, idOf, key, T0 } from './forwarderKit.ts'
import { identityOf } from './routerNet.ts'

const crypto = nobleCrypto()
const clock: Clock = { now: () => T0, setTimeout: () => 0, clearTimeout: () => undefined }
const SENDER = toHex(key(0x21))
const NOBODY = toHex(key(0x77))

describe('data plane custody journal', () => {
  it('flushes the journal before it sends custody acks, and withholds them while flushing fails', () => {
    const log: string[] = []
    const memory = createMemoryJournal()
    let failing = true
    const journal: CustodyJournal = {
      ...memory,
      put: (d, e) => (log.push('put'), memory.put(d, e)),
      flush: () => {
        log.push(failing ? 'flush failed' : 'flush')
        if (failing) throw new CustodyStoreFailedError('disk full')
        memory.flush()
      },
    }
    const relay = createDataPlane({ identity: identityOf('R'), crypto, clock, custodian: true, deliverLocal: () => undefined, custody: { journal } })
    const sender: PlaneHop = { ...hop('peer'), frame: (f: LinkFrame) => void log.push(f.type === 'ack' ? `ack ${f.ids.map(toHex).join()}` : f.type) }
    relay.linkOpen(SENDER, sender)
    const mail = envelope(NOBODY)
    relay.envelopes(SENDER, [mail])
    log.length = 0
    relay.tick(T0)
    expect(log.filter((l) => !l.startsWith('announce'))).toEqual(['flush failed'])
    expect(memory.load()).toEqual([])
    failing = false
    relay.tick(T0 + 1_000)
    expect(log.filter((l) => !l.startsWith('announce'))).toEqual(['flush failed', 'flush', `ack ${idOf(mail)}`])
    expect(memory.load().map((r) => r.envelope.id)).toEqual([idOf(mail)])
  })

  it('holds again, at creation, what its journal kept, and hands it on when the destination connects', () => {
    const journal = createMemoryJournal()
    const before = createDataPlane({ identity: identityOf('R'), crypto, clock, custodian: true, deliverLocal: () => undefined, custody: { journal } })
    const mail = envelope(NOBODY)
    before.envelopes(SENDER, [mail])
    before.tick(T0)
    const after = createDataPlane({ identity: identityOf('R'), crypto, clock, custodian: true, deliverLocal: () => undefined, custody: { journal: createMemoryJournal(journal.load()) } })
    expect(after.forwarder.stats().held).toBe(1)
    const recipient = { ...hop('peer'), frame: () => undefined }
    after.linkOpen(NOBODY, recipient)
    expect(recipient.sent.map(idOf)).toEqual([idOf(mail)])
    expect(after.forwarder.stats().held).toBe(0)
  })
})

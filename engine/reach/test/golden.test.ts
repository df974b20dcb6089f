/** Known-answer vectors; README.md says how golden.json was produced (independently, in Python). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../bytes.ts'
import { SignatureContext } from '../../identity/contexts.ts'
import { decodeCustodyReceipt, encodeCustodyReceipt, signCustodyReceipt, verifyCustodyReceipt } from '../custodyReceipt.ts'
import { decodeReachRecord, encodeReachRecord, signReachRecord, verifyReachRecord } from '../reachRecord.ts'
import golden from './golden.json'
import { crypto, identityOf } from './reachKit.ts'

describe('reach golden vectors', () => {
  it('pins the signature contexts the vectors were signed under', () => {
    expect(SignatureContext.reach).toBe('sovereign/v1/reach')
    expect(SignatureContext.custodyReceipt).toBe('sovereign/v1/custody-receipt')
  })

  it('derives every identity from its seed as the generator does', () => {
    for (const [seed, publicKey] of Object.entries(golden.identities)) expect(toHex(identityOf(seed).signingKey.publicKey)).toBe(publicKey)
  })

  for (const v of golden.reachRecords) {
    it(`reach record: ${v.name}`, () => {
      const fields = {
        seqno: v.seqno,
        issuedAt: v.issuedAt,
        expiresAt: v.expiresAt,
        relays: v.relays.map((relay) => ({ identity: fromHex(relay.identity), address: relay.address })),
      }
      const bytes = signReachRecord(crypto, identityOf(v.signerSeed), fields)
      expect(toHex(bytes)).toBe(v.encoded)
      const decoded = decodeReachRecord(fromHex(v.encoded))
      expect(decoded.record).toEqual({ ...fields, identity: fromHex(v.identity) })
      expect(toHex(decoded.signature)).toBe(v.signature)
      expect(toHex(encodeReachRecord(decoded))).toBe(v.encoded)
      expect(verifyReachRecord(crypto, fromHex(v.encoded), { now: v.now })).toEqual(decoded.record)
    })
  }

  for (const v of golden.custodyReceipts) {
    it(`custody receipt: ${v.name}`, () => {
      const fields = { recipient: fromHex(v.recipient), ids: v.ids.map(fromHex), issuedAt: v.issuedAt, heldUntil: v.heldUntil }
      const bytes = signCustodyReceipt(crypto, identityOf(v.signerSeed), fields)
      expect(toHex(bytes)).toBe(v.encoded)
      const decoded = decodeCustodyReceipt(fromHex(v.encoded))
      expect(decoded.receipt).toEqual({ ...fields, custodian: fromHex(v.custodian) })
      expect(toHex(decoded.signature)).toBe(v.signature)
      expect(toHex(encodeCustodyReceipt(decoded))).toBe(v.encoded)
      expect(verifyCustodyReceipt(crypto, fromHex(v.encoded), { now: v.now })).toEqual(decoded.receipt)
    })
  }

  it('docs/protocol.md shows the first vector of each format, byte for byte', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8').replace(/\s+/g, '')
    expect(doc).toContain(golden.reachRecords[0]!.encoded)
    expect(doc).toContain(golden.custodyReceipts[0]!.encoded)
  })
})

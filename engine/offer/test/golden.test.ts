/**
 * Offer golden vectors. golden.json holds version-2 codes (../../wire/test/README.md says how it
 * was produced): they still decode, without a reach record, and re-encode as the version-3 code
 * of the same inputs. goldenV3.json holds version-3 codes, made by offerVectors.py.
 */
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../bytes.ts'
import { decodeOffer, encodeOffer } from '../offerCode.ts'
import type { Offer } from '../offerCode.ts'
import golden from './golden.json'
import goldenV3 from './goldenV3.json'

interface Vector {
  readonly name: string
  readonly identity: string
  readonly staticKey: string
  readonly binding: string
  readonly signedPrekey: { readonly id: number; readonly publicKey: string; readonly signature: string }
  readonly displayName: string
  readonly relays: string[]
  readonly reach?: string | null
  readonly code: string
}

function offerOf(vector: Vector): Offer {
  const offer: Offer = {
    identity: fromHex(vector.identity),
    staticKey: fromHex(vector.staticKey),
    binding: fromHex(vector.binding),
    signedPrekey: {
      id: vector.signedPrekey.id,
      publicKey: fromHex(vector.signedPrekey.publicKey),
      signature: fromHex(vector.signedPrekey.signature),
    },
    displayName: vector.displayName,
    relays: vector.relays,
  }
  return vector.reach ? { ...offer, reach: fromHex(vector.reach) } : offer
}

describe('offer golden vectors, version 3', () => {
  for (const vector of goldenV3.offers as Vector[]) {
    it(vector.name, () => {
      const offer = offerOf(vector)
      expect(encodeOffer(offer)).toBe(vector.code)
      const decoded = decodeOffer(vector.code)
      expect(decoded).toEqual(offer)
      // No record decodes as no key at all, not as an empty array.
      expect('reach' in decoded).toBe(vector.reach !== null)
    })
  }
})

describe('offer golden vectors, version 2 (still read)', () => {
  for (const vector of golden.offers as Vector[]) {
    it(vector.name, () => {
      const decoded = decodeOffer(vector.code)
      expect(decoded).toEqual(offerOf(vector))
      expect(decoded.reach).toBeUndefined()
      const again = (goldenV3.offers as Vector[]).find((v) => v.name === `${vector.name}, no reach record`)
      expect(again, 'its version-3 counterpart').toBeDefined()
      expect(encodeOffer(decoded)).toBe(again!.code)
    })
  }
})

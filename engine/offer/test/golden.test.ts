/** Offer golden vectors; ../../wire/test/README.md says how golden.json was produced. */
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../bytes.ts'
import { decodeOffer, encodeOffer } from '../offerCode.ts'
import type { Offer } from '../offerCode.ts'
import golden from './golden.json'

describe('offer golden vectors', () => {
  for (const vector of golden.offers) {
    it(vector.name, () => {
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
      expect(encodeOffer(offer)).toBe(vector.code)
      expect(decodeOffer(vector.code)).toEqual(offer)
    })
  }
})

/**
 * End-to-end envelopes: a routable header plus a Noise_X sealed body. The header
 * bytes (all but the TTL, which hops decrement) are the Noise prologue, so a relay
 * that alters the id, destination, version or expiry breaks decryption. The sender
 * travels only inside the ciphertext (sealed sender): its Ed25519 identity and the
 * signature binding its Noise static key, which Noise_X authenticates.
 */
import type { Crypto, Random } from '../ports/index.ts'
import type { Identity } from '../identity/index.ts'
import { openSealed, sealMessage } from '../noise/index.ts'
import {
  ENVELOPE_VERSION,
  MESSAGE_ID_BYTES,
  decodeMessageBody,
  encodeEnvelope,
  encodeMessageBody,
  envelopeAssociatedData,
} from '../wire/index.ts'
import type { Envelope, EnvelopeHeader, MessageBody } from '../wire/index.ts'

export interface Recipient {
  readonly identity: Uint8Array
  readonly staticKey: Uint8Array
}

export interface SealInit {
  readonly crypto: Crypto
  readonly random: Random
  readonly identity: Identity
  readonly recipient: Recipient
  readonly body: MessageBody
  readonly expiresAt: number
  readonly ttl: number
}

export interface SealedEnvelope {
  readonly id: Uint8Array
  readonly bytes: Uint8Array
}

export function sealEnvelope(init: SealInit): SealedEnvelope {
  const header: EnvelopeHeader = {
    version: ENVELOPE_VERSION,
    id: init.random.bytes(MESSAGE_ID_BYTES),
    destination: init.recipient.identity,
    ttl: init.ttl,
    expiresAt: init.expiresAt,
  }
  const body = sealMessage({
    crypto: init.crypto,
    random: init.random,
    senderStatic: init.identity.staticKey,
    recipientStaticPublicKey: init.recipient.staticKey,
    associatedData: envelopeAssociatedData(header),
    payload: encodeMessageBody(init.body),
  })
  return { id: header.id, bytes: encodeEnvelope({ header, body }) }
}

export interface OpenedEnvelope {
  readonly body: MessageBody
  /** The sender's Noise static key as authenticated by Noise_X. */
  readonly senderStaticKey: Uint8Array
}

/** Decrypts an envelope addressed to `identity`; throws a typed error on any tampering. */
export function openEnvelope(crypto: Crypto, identity: Identity, envelope: Envelope): OpenedEnvelope {
  const opened = openSealed({
    crypto,
    recipientStatic: identity.staticKey,
    associatedData: envelopeAssociatedData(envelope.header),
    sealed: envelope.body,
  })
  return { body: decodeMessageBody(opened.payload), senderStaticKey: opened.senderStaticPublicKey }
}

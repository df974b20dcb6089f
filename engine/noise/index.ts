export { createCipherState, MAX_NONCE } from './cipherState.ts'
export type { CipherState } from './cipherState.ts'
export { createSymmetricState } from './symmetricState.ts'
export type { SymmetricState } from './symmetricState.ts'
export { createHandshake, MAX_MESSAGE_LENGTH } from './handshakeState.ts'
export type { HandshakeInit, HandshakeState, TransportCiphers } from './handshakeState.ts'
export { PATTERNS } from './patterns.ts'
export type { HandshakePattern, PatternName, PreMessageToken, Token } from './patterns.ts'
export { createLinkHandshake, LINK_MAX_PLAINTEXT, LINK_PROLOGUE } from './linkHandshake.ts'
export type { LinkHandshake, LinkHandshakeInit, LinkHandshakeStep, LinkSession } from './linkHandshake.ts'
export { openSealed, sealMessage, SEALED_MAX_PAYLOAD, SEALED_OVERHEAD } from './sealed.ts'
export type { OpenSealedInit, OpenedSealed, SealMessageInit } from './sealed.ts'
export {
  HandshakeError,
  IdentityBindingError,
  MessageTooLargeError,
  NoiseStateError,
  NonceExhaustedError,
} from './errors.ts'
export { DecryptError, WeakKeyError } from '../crypto/errors.ts'
export type { KeyPair } from '../crypto/keyPair.ts'

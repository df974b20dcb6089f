export {
  createOutboundSession,
  decryptMessage,
  encryptMessage,
} from './sessionCipher.ts'
export type { DecryptResult, EncryptResult, SessionLookup } from './sessionCipher.ts'
export {
  decodePrekeyBundle,
  encodePrekeyBundle,
  generateOneTimePrekeys,
  generateSignedPrekey,
  MAX_BUNDLE_ONE_TIME_PREKEYS,
  PREKEY_BUNDLE_VERSION,
  verifyPrekeyBundle,
} from './prekeys.ts'
export type { OneTimePrekey, PrekeyBundle, PublicOneTimePrekey, PublicSignedPrekey, SignedPrekey } from './prekeys.ts'
export {
  addOneTimePrekeys,
  consumeOneTimePrekey,
  createPrekeySecrets,
  decodePrekeySecrets,
  dropPreviousSignedPrekey,
  encodePrekeySecrets,
  findOneTimePrekey,
  findSignedPrekey,
  MAX_STORED_ONE_TIME_PREKEYS,
  PREKEY_SECRETS_VERSION,
  prekeyBundleOf,
  rotateSignedPrekey,
} from './prekeySecrets.ts'
export type { PrekeySecrets } from './prekeySecrets.ts'
export {
  decodeSessionState,
  encodeSessionState,
  MAX_RETIRED_HEADER_KEYS,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  SESSION_STATE_VERSION,
} from './ratchetState.ts'
export type { PendingPrekey, SessionState, SkippedMessageKey } from './ratchetState.ts'
export type { PeerIdentity } from './x3dh.ts'
export {
  decodeSessionMessage,
  encodeSessionMessage,
  PREKEY_MESSAGE_OVERHEAD,
  RATCHET_MESSAGE_OVERHEAD,
  SESSION_MESSAGE_VERSION,
} from './sessionMessage.ts'
export type { PrekeyHead, PrekeyPrefix, SessionMessage } from './sessionMessage.ts'
export { X3DH_INFO, x3dhInitiator, x3dhResponder } from './x3dh.ts'
export type { X3dhInitiatorInput, X3dhResponderKeys, X3dhResponse, X3dhSecrets } from './x3dh.ts'
export {
  DuplicateOrExpiredError,
  InvalidBundleError,
  InvalidSenderError,
  NoSessionError,
  SESSION_ERROR_NAMES,
  SessionStateError,
  TooManySkippedError,
  UnknownOneTimePrekeyError,
  UnknownSignedPrekeyError,
} from './errors.ts'
export { DecryptError, WeakKeyError } from '../crypto/errors.ts'
export { MalformedError, UnknownFrameTypeError, UnsupportedVersionError } from '../wire/errors.ts'

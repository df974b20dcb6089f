export { byteReader, MAX_VARINT } from './byteReader.ts'
export type { ByteReader } from './byteReader.ts'
export { byteWriter, isWellFormedText, varintLength } from './byteWriter.ts'
export type { ByteWriter } from './byteWriter.ts'
export {
  decodeEnvelope,
  decrementTtl,
  DESTINATION_BYTES,
  encodeEnvelope,
  ENVELOPE_HEADER_BYTES,
  ENVELOPE_VERSION,
  envelopeAssociatedData,
  MAX_ATTEMPT,
  MAX_ENVELOPE_BODY,
  MESSAGE_ID_BYTES,
  withAttempt,
} from './envelope.ts'
export type { Envelope, EnvelopeHeader } from './envelope.ts'
export {
  FrameTooLargeError,
  isWireError,
  MalformedError,
  TtlExhaustedError,
  UnknownFrameTypeError,
  UnsupportedVersionError,
  WIRE_ERROR_NAMES,
} from './errors.ts'
export {
  decodeLinkFrame,
  encodeLinkFrame,
  LINK_VERSION,
  MAX_ACK_IDS,
  MAX_ANNOUNCEMENT_BYTES,
  MAX_BATCH_ENVELOPES,
  MAX_CUSTODY_RECEIPT_BYTES,
  MAX_LINK_FRAME,
  MAX_REACH_RECORD_BYTES,
  packEnvelopeFrames,
  RETRACTION_METRIC,
} from './linkFrame.ts'
export type { CloseReason, LinkFrame, RefuseReason } from './linkFrame.ts'
export {
  BINDING_BYTES,
  decodeMessageBody,
  encodeMessageBody,
  IDENTITY_BYTES,
  MAX_TEXT_BYTES,
  MESSAGE_BODY_VERSION,
} from './messageBody.ts'
export type { MessageBody, SenderProof } from './messageBody.ts'
export {
  displayNameProblem,
  MAX_DISPLAY_NAME_BYTES,
  MAX_DISPLAY_NAME_CHARS,
  MAX_RELAY_URL_BYTES,
  MAX_RELAYS,
  readProfile,
  relayListProblem,
  relayUrlProblem,
  writeProfile,
} from './profileFields.ts'
export type { Profile } from './profileFields.ts'
export {
  BATCH_ID_BYTES,
  BATCH_ITEM_OVERHEAD,
  decodeMessageBatch,
  encodeMessageBatch,
  MAX_BATCH_MESSAGES,
  MESSAGE_BATCH_VERSION,
} from './messageBatch.ts'
export type { BatchedMessage } from './messageBatch.ts'

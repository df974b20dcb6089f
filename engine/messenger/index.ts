export { createMessenger, DEFAULT_TTL, MAX_BATCH_PLAINTEXT, MAX_TEXT_BYTES, MESSAGE_LIFETIME_MS } from './messenger.ts'
export type { AcceptedOffer, Effects, Messenger, MessengerComponents, Outgoing, ReachDropReason } from './messenger.ts'
export { normalizeDisplayName, MAX_DISPLAY_NAME } from './displayName.ts'
export { heldContactReach } from './contactReach.ts'
export {
  CorruptRecordError,
  InvalidDisplayNameError,
  InvalidMessageError,
  NoProfileError,
  ProfileExistsError,
  SenderProofError,
  UnknownContactError,
} from './errors.ts'
export type {
  ContactPath,
  ContactView,
  DeliveryProblem,
  EngineEvent,
  HistoryQuery,
  LinkView,
  MessageStatus,
  MessageView,
  ProfileView,
} from './views.ts'

export {
  checkReachRecordSignature,
  checkReachRecordTimes,
  decodeReachRecord,
  encodeReachRecord,
  encodeReachRecordBody,
  isNewer,
  MAX_REACH_LIFETIME_MS,
  MAX_REACH_RELAYS,
  MIN_REACH_RELAYS,
  namesRelay,
  REACH_RECORD_VERSION,
  signReachRecord,
  verifyReachRecord,
} from './reachRecord.ts'
export type { DecodedReachRecord, ReachRecord, ReachRecordFields, ReachRelay, VerifiedReachRecord } from './reachRecord.ts'
export {
  acceptsCustodyReceipt,
  checkCustodyReceipt,
  CUSTODY_RECEIPT_VERSION,
  decodeCustodyReceipt,
  encodeCustodyReceipt,
  encodeCustodyReceiptBody,
  MAX_CUSTODY_HOLD_MS,
  MAX_RECEIPT_IDS,
  signCustodyReceipt,
  verifyCustodyReceipt,
} from './custodyReceipt.ts'
export type {
  CustodyAcceptance,
  CustodyReceipt,
  CustodyReceiptFields,
  CustodyRefusal,
  DecodedCustodyReceipt,
  VerifiedCustodyReceipt,
} from './custodyReceipt.ts'
export { createReachBook, DEFAULT_REACH_BOOK_ENTRIES } from './reachBook.ts'
export type { HeldReachRecord, ReachBook, ReachBookInit, ReachInvalidReason, ReachPutResult } from './reachBook.ts'
export { DEFAULT_MAX_AHEAD_MS } from './validity.ts'
export type { Verified, VerifyOptions } from './validity.ts'
export {
  BadRecordSignatureError,
  isReachError,
  REACH_ERROR_NAMES,
  RecordExpiredError,
  RecordFromFutureError,
  RecordLifetimeError,
} from './errors.ts'
export type { SignedFormat } from './errors.ts'
export { createHomeRegistry } from './homeRegistry.ts'
export type { HomeRegistry, HomeRegistryInit, RegistrationRefusal, RegistrationResult, RegistrationStats } from './homeRegistry.ts'

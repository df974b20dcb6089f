export { createMemoryNetwork } from './memoryTransport.ts'
export type { MemoryNetwork } from './memoryTransport.ts'
export { MAX_MESSAGE_BYTES, createLinkCore } from './linkCore.ts'
export type { LinkCore, LinkCoreInit } from './linkCore.ts'
export {
  AddressInUseError,
  DialError,
  InvalidAddressError,
  LinkClosedError,
  MessageTooLargeError,
} from './errors.ts'
export { createCompositeTransport } from './compositeTransport.ts'
export {
  createMemorySignalling,
  createSignalledRtcTransport,
  decodeRtcSignal,
  encodeRtcSignal,
  RTC_CHANNEL_LABEL,
} from './rtcSignalling.ts'
export type { RtcSignal, RtcSignaller, RtcTransport } from './rtcSignalling.ts'

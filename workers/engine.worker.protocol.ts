/**
 * The one message the page posts to the engine worker outside Comlink: the port
 * of the main-thread WebRTC bridge (or null where the page has no WebRTC).
 */
export const RTC_PORT_MESSAGE = 'sovereign:rtc-port'

export interface RtcPortMessage {
  readonly type: typeof RTC_PORT_MESSAGE
  readonly port: MessagePort | null
}

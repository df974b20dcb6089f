/**
 * What test/e2e/rtcContract.test.ts (through contract.html) and the contract
 * worker say to each other. Each Link end lives in a worker and is named by a
 * number; message bytes cross as base64 strings.
 */
export type ContractCommand =
  | { readonly op: 'init'; readonly selfId: string; readonly dialTimeoutMs: number }
  | { readonly op: 'signal'; readonly from: string; readonly bytes: number[] }
  | { readonly op: 'listen' }
  | { readonly op: 'stopListening' }
  | { readonly op: 'dial'; readonly req: number; readonly address: string; readonly timeoutMs?: number }
  /** Sets the link's onMessage / onClose only now, so that its own queueing is what the test sees. */
  | { readonly op: 'onMessage'; readonly link: number }
  | { readonly op: 'onClose'; readonly link: number }
  | { readonly op: 'send'; readonly link: number; readonly data: string[] }
  | { readonly op: 'close'; readonly link: number; readonly reason?: string }

export type ContractEvent =
  | { readonly ev: 'signal'; readonly to: string; readonly bytes: number[] }
  | { readonly ev: 'ready' }
  | { readonly ev: 'listening' }
  | { readonly ev: 'stopped' }
  | { readonly ev: 'dialled'; readonly req: number; readonly link: number; readonly label: string }
  | { readonly ev: 'dialFailed'; readonly req: number; readonly name: string; readonly message: string }
  | { readonly ev: 'accepted'; readonly link: number; readonly label: string }
  | { readonly ev: 'message'; readonly link: number; readonly data: string }
  | { readonly ev: 'closed'; readonly link: number; readonly reason: string }
  /** The link's bufferedAmount after a batch of sends. */
  | { readonly ev: 'buffered'; readonly link: number; readonly amount: number }
  /** Anything the worker did not expect (a send that threw, a failed command). */
  | { readonly ev: 'error'; readonly name: string; readonly message: string }

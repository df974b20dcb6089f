/**
 * Typed errors of the wire codecs. Callers branch on `err.name` (it survives the
 * Comlink boundary, `instanceof` does not). Messages name the field that was
 * wrong and never carry key bytes or plaintext.
 */
import { SovereignError } from '../errors.ts'

/** Input is truncated, has trailing bytes, a bad length, bad UTF-8 or an out-of-range number. */
export class MalformedError extends SovereignError {
  constructor(message: string) {
    super('MalformedError', message)
  }
}

/** The version byte of a format is one this build does not speak. */
export class UnsupportedVersionError extends SovereignError {
  readonly format: string
  readonly version: number
  constructor(format: string, version: number) {
    super('UnsupportedVersionError', `${format} version ${version} is not supported`)
    this.format = format
    this.version = version
  }
}

/** The type tag of a link frame or message body is unknown. */
export class UnknownFrameTypeError extends SovereignError {
  readonly format: string
  readonly tag: number
  constructor(format: string, tag: number) {
    super('UnknownFrameTypeError', `${format} type ${tag} is unknown`)
    this.format = format
    this.tag = tag
  }
}

/** A link frame (or an envelope that must fit in one) exceeds the size limit. */
export class FrameTooLargeError extends SovereignError {
  readonly size: number
  readonly max: number
  constructor(what: string, size: number, max: number) {
    super('FrameTooLargeError', `${what} is ${size} bytes, over the limit of ${max}`)
    this.size = size
    this.max = max
  }
}

/** A relay was asked to forward an envelope whose hop budget is already spent. */
export class TtlExhaustedError extends SovereignError {
  constructor() {
    super('TtlExhaustedError', 'envelope ttl is 0: it must not be forwarded')
  }
}

/** Every name above: what a caller that penalizes a misbehaving peer matches on. */
export const WIRE_ERROR_NAMES: readonly string[] = [
  'MalformedError',
  'UnsupportedVersionError',
  'UnknownFrameTypeError',
  'FrameTooLargeError',
  'TtlExhaustedError',
]

/** True for any error thrown by this folder's codecs, also after a worker boundary. */
export function isWireError(err: unknown): boolean {
  return err instanceof Error && WIRE_ERROR_NAMES.includes(err.name)
}

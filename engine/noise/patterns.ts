/** The handshake patterns Sovereign uses (Noise rev 34 §7.4, §7.5). */

/** §7: message tokens. `psk` is not used by any pattern here. */
export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss'

/**
 * Pre-message tokens (§7.1). §7.1 also allows `e` and `e, s`, but no pattern
 * here needs an ephemeral known in advance, so only `s` is supported.
 */
export type PreMessageToken = 's'

export type PatternName = 'XX' | 'X'

export interface HandshakePattern {
  readonly name: PatternName
  /** Full protocol name, the input of InitializeSymmetric (§8). */
  readonly protocolName: string
  /** Keys the responder knows of the initiator before the handshake (`-> ...` pre-message). */
  readonly initiatorPreMessage: readonly PreMessageToken[]
  /** Keys the initiator knows of the responder before the handshake (`<- ...` pre-message). */
  readonly responderPreMessage: readonly PreMessageToken[]
  /** Message patterns; even indices are sent by the initiator. */
  readonly messages: ReadonlyArray<readonly Token[]>
  /** §7.4 one-way patterns: only the initiator ever sends transport messages. */
  readonly oneWay: boolean
}

const SUITE = '25519_ChaChaPoly_SHA256'

/**
 * XX (§7.5): mutual authentication, both statics sent encrypted. The link
 * handshake (DESIGN.md §3).
 *   -> e
 *   <- e, ee, s, es
 *   -> s, se
 */
export const XX: HandshakePattern = {
  name: 'XX',
  protocolName: `Noise_XX_${SUITE}`,
  initiatorPreMessage: [],
  responderPreMessage: [],
  messages: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']],
  oneWay: false,
}

/**
 * X (§7.4): one-way, sender authenticated by `ss`, recipient static known.
 * Sealed messages.
 *   <- s
 *   ...
 *   -> e, es, s, ss
 */
export const X: HandshakePattern = {
  name: 'X',
  protocolName: `Noise_X_${SUITE}`,
  initiatorPreMessage: [],
  responderPreMessage: ['s'],
  messages: [['e', 'es', 's', 'ss']],
  oneWay: true,
}

export const PATTERNS: Readonly<Record<PatternName, HandshakePattern>> = { XX, X }

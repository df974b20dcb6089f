export { nobleCrypto } from './nobleCrypto.ts'
export { ed25519KeyPair, generateEd25519KeyPair, generateX25519KeyPair, x25519KeyPair } from './keyPair.ts'
export type { KeyPair } from './keyPair.ts'
export { DecryptError, InvalidLengthError, WeakKeyError } from './errors.ts'

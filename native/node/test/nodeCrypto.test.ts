import { cryptoContract } from '../../../engine/crypto/test/cryptoContract.ts'
import { nodeCrypto } from '../nodeCrypto.ts'

cryptoContract(nodeCrypto())

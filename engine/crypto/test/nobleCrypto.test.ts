import { nobleCrypto } from '../nobleCrypto.ts'
import { cryptoContract } from './cryptoContract.ts'

cryptoContract(nobleCrypto())

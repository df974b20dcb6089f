"""Independent cross-check of the backup known-answer vector (backupVector.json).

Uses only Python's hashlib.scrypt (OpenSSL) and pyca/cryptography's ChaCha20 and
ChaCha20Poly1305; none of the engine's code or noble. XChaCha20-Poly1305 is
assembled per draft-irtf-cfrg-xchacha-03 §2.3: subkey = HChaCha20(key, nonce[0:16]),
then ChaCha20-Poly1305(subkey, 0^4 || nonce[16:24]). HChaCha20 is read off one
ChaCha20 block: block = rounds(state) + state, and HChaCha20 is words 0..3 and
12..15 of rounds(state), so subtracting the known initial words recovers it.
The HChaCha20 step is checked against the draft's §2.2.1 test vector first.

Run: python3 engine/backup/test/makeVector.py  (prints the JSON to commit)
"""
import hashlib
import json
import struct
import unicodedata

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

SIGMA = struct.unpack('<4I', b'expand 32-byte k')


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    # pyca's 16-byte ChaCha20 nonce is state words 12..15 verbatim (counter || nonce).
    block = Cipher(algorithms.ChaCha20(key, nonce16), mode=None).encryptor().update(bytes(64))
    words = struct.unpack('<16I', block)
    init = SIGMA + struct.unpack('<4I', nonce16)
    out = [(words[i] - init[i]) % 2**32 for i in range(4)] + [(words[12 + i] - init[4 + i]) % 2**32 for i in range(4)]
    return struct.pack('<8I', *out)


assert hchacha20(bytes(range(32)), bytes.fromhex('000000090000004a0000000031415927')).hex() == (
    '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc'
)


def xchacha_seal(key: bytes, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
    return ChaCha20Poly1305(hchacha20(key, nonce[:16])).encrypt(bytes(4) + nonce[16:], plaintext, ad)


# Inputs: the passphrase is given in NFD (decomposed) form, as the TS test passes
# it; the format normalises to NFC before UTF-8 encoding. Salt and nonce are the
# first two draws of seededRandom('backup-kat') (16 then 24 bytes).
passphrase_nfd = unicodedata.normalize('NFD', 'Ünïcödé horse battery staple')
payload = b'Sovereign backup known-answer payload \x00\x01\x02\xff'
log_n, r, p = 15, 8, 1
salt = bytes.fromhex('0380947b4f2f80eb2b4a507ec8906dba')
nonce = bytes.fromhex('8baa835d9abf3cf9b91a568b0183793d90cf55f961ceb1cc')

password = unicodedata.normalize('NFC', passphrase_nfd).encode('utf-8')
key = hashlib.scrypt(password, salt=salt, n=2**log_n, r=r, p=p, dklen=32, maxmem=64 * 2**20)
header = b'SOVB' + bytes([1, log_n, r, p]) + salt + nonce
file = header + xchacha_seal(key, nonce, payload, header)

print(json.dumps({
    'source': 'engine/backup/test/makeVector.py (hashlib.scrypt + pyca/cryptography, independent of the engine)',
    'passphraseNfd': passphrase_nfd,
    'passphraseNfcUtf8Hex': password.hex(),
    'seededRandom': 'backup-kat',
    'params': {'logN': log_n, 'r': r, 'p': p},
    'saltHex': salt.hex(),
    'nonceHex': nonce.hex(),
    'payloadHex': payload.hex(),
    'keyHex': key.hex(),
    'fileHex': file.hex(),
}, indent=2, ensure_ascii=True))

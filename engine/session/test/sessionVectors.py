# Independent generator of golden.json (see README.md). Run from the repo root:
#   python3 engine/session/test/sessionVectors.py
# Uses only the standard library and the `cryptography` package (X25519,
# Ed25519, HKDF-SHA256, ChaCha20-Poly1305): none of the TypeScript under test.
import hashlib, hmac, json, os, struct
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

class Seeded:
    """engine/crypto/test/seededRandom.ts: SHA-256(seed || 0x00 || u32le counter), one block per 32 bytes."""
    def __init__(self, seed): self.seed, self.counter = seed.encode(), 0
    def bytes(self, n):
        out = b''
        while len(out) < n:
            out += hashlib.sha256(self.seed + b'\x00' + struct.pack('<I', self.counter)).digest()[:n - len(out)]
            self.counter += 1
        return out

def x_pub(sk): return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes_raw()
def dh(sk, pk): return X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))
def ed_pub(seed): return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
def sign(seed, context, msg):  # engine/identity/contexts.ts: len(context) || context || message
    return Ed25519PrivateKey.from_private_bytes(seed).sign(bytes([len(context)]) + context + msg)
def hkdf(ikm, salt, info, n): return HKDF(hashes.SHA256(), n, salt, info).derive(ikm)
def seal(key, nonce, pt, ad): return ChaCha20Poly1305(key).encrypt(nonce, pt, ad)
def u32(v): return struct.pack('>I', v)
ZERO = bytes(32)

def identity(rnd):
    seed, static = rnd.bytes(32), rnd.bytes(32)
    pub, spub = ed_pub(seed), x_pub(static)
    return {'seed': seed, 'id': pub, 'ik': static, 'ikpub': spub, 'binding': sign(seed, b'sovereign/v1/static-binding', spub)}

def x3dh(dh1, dh2, dh3, dh4):
    sk = hkdf(b'\xff' * 32 + dh1 + dh2 + dh3 + (dh4 or b''), ZERO, b'Sovereign_X3DH_v1', 32)
    return sk, hkdf(dh2 + dh3, ZERO, b'Sovereign_X3DH_v1_sealed_sender', 32)

def kdf_rk(rk, dh_out):
    o = hkdf(dh_out, rk, b'Sovereign_Ratchet_v1', 96)
    return o[:32], o[32:64], o[64:]
def kdf_ck(ck): return hmac.new(ck, b'\x02', hashlib.sha256).digest(), hmac.new(ck, b'\x01', hashlib.sha256).digest()

def ratchet_message(rnd, s, prefix, plaintext, ad):
    """sessionCipher.ts encryptMessage: header under HKs, body under mk; AD = sessionAD || u32 len(ad) || ad || prefix."""
    full = s['ad'] + u32(len(ad)) + ad + prefix
    s['cks'], mk = kdf_ck(s['cks'])
    nonce = rnd.bytes(12)
    enc_header = nonce + seal(s['hks'], nonce, x_pub(s['dhs']) + u32(s['pn']) + u32(s['ns']), full)
    keys = hkdf(mk, ZERO, b'Sovereign_Message_v1', 44)
    s['ns'] += 1
    return prefix + enc_header + seal(keys[:32], keys[32:], plaintext, full + enc_header)

def dh_ratchet(rnd, s, their_dh):  # Double Ratchet §4.4 DHRatchetHE
    s['pn'], s['ns'], s['hks'] = s['ns'], 0, s['nhks']
    s['rk'], _ckr, s['nhkr'] = kdf_rk(s['rk'], dh(s['dhs'], their_dh))
    s['dhs'] = rnd.bytes(32)
    s['rk'], s['cks'], s['nhks'] = kdf_rk(s['rk'], dh(s['dhs'], their_dh))

# 1. X3DH known answer: five secrets drawn in order from seededRandom('x3dh-kat').
r = Seeded('x3dh-kat')
ika, ikb, spkb, opkb, eka = (r.bytes(32) for _ in range(5))
d1, d2, d3, d4 = dh(ika, x_pub(spkb)), dh(eka, x_pub(ikb)), dh(eka, x_pub(spkb)), dh(eka, x_pub(opkb))
sk, ssk = x3dh(d1, d2, d3, d4)
sk_no_opk, _ = x3dh(d1, d2, d3, None)
x3dh_vector = {'seed': 'x3dh-kat', 'draws': 'IK_A, IK_B, SPK_B, OPK_B, EK_A secrets, 32 bytes each',
               'sharedSecret': sk.hex(), 'sharedSecretWithoutOneTimePrekey': sk_no_opk.hex(), 'sealedSenderKey': ssk.hex()}

# 2. A whole exchange: Alice's prekey message, Bob's reply, Alice's next (ratchet) message.
ra, rb = Seeded('golden/alice'), Seeded('golden/bob')
alice, bob = identity(ra), identity(rb)
spk = rb.bytes(32)
spk_sig = sign(bob['seed'], b'sovereign/v1/prekey', u32(7) + x_pub(spk))
opks = [(100, rb.bytes(32)), (101, rb.bytes(32))]
bundle = (bytes([1]) + bob['id'] + bob['ikpub'] + bob['binding'] + u32(7) + x_pub(spk) + spk_sig + bytes([2])
          + b''.join(u32(i) + x_pub(k) for i, k in opks))
pick = ra.bytes(4)
opk_id, opk = opks[int.from_bytes(pick, 'big') % 2]
ek = ra.bytes(32)
sk, ssk = x3dh(dh(alice['ik'], x_pub(spk)), dh(ek, bob['ikpub']), dh(ek, x_pub(spk)), dh(ek, x_pub(opk)))
seeds = hkdf(sk, ZERO, b'Sovereign_X3DH_v1_ratchet', 96)
rk0, hka, nhkb = seeds[:32], seeds[32:64], seeds[64:]
session_ad = alice['id'] + alice['ikpub'] + bob['id'] + bob['ikpub']
head = bytes([1, 1]) + x_pub(ek) + u32(7) + bytes([1]) + u32(opk_id)
sealed = seal(ssk, bytes(12), alice['id'] + alice['ikpub'] + alice['binding'], head + bob['ikpub'])
a = {'ad': session_ad, 'dhs': ra.bytes(32), 'ns': 0, 'pn': 0, 'hks': hka}
a['rk'], a['cks'], a['nhks'] = kdf_rk(rk0, dh(a['dhs'], x_pub(spk)))
ad = b'golden envelope ad'
m1 = ratchet_message(ra, a, head + sealed, b'hello Bob', ad)

b = {'ad': session_ad, 'dhs': spk, 'ns': 0, 'pn': 0, 'rk': rk0, 'nhks': nhkb}
dh_ratchet(rb, b, x_pub(a['dhs']))
m2 = ratchet_message(rb, b, bytes([1, 2]), 'hello Alice, 世界'.encode(), ad)
dh_ratchet(ra, a, x_pub(b['dhs']))
m3 = ratchet_message(ra, a, bytes([1, 2]), b'third', ad)

golden = {'x3dh': x3dh_vector, 'exchange': {
    'aliceSeed': 'golden/alice', 'bobSeed': 'golden/bob', 'signedPrekeyId': 7, 'oneTimePrekeyIds': [100, 101],
    'ad': ad.hex(), 'bundle': bundle.hex(), 'oneTimePrekeyUsed': opk_id,
    'messages': [{'from': 'alice', 'plaintext': 'hello Bob', 'bytes': m1.hex()},
                 {'from': 'bob', 'plaintext': 'hello Alice, 世界', 'bytes': m2.hex()},
                 {'from': 'alice', 'plaintext': 'third', 'bytes': m3.hex()}]}}
with open(os.path.join(os.path.dirname(__file__), 'golden.json'), 'w') as f:
    json.dump(golden, f, indent=2, ensure_ascii=False)
    f.write('\n')

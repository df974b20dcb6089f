# Independent generator of golden.json (see README.md). Run from the repo root:
#   python3 engine/reach/test/reachVectors.py
# Uses only the standard library and the `cryptography` package (Ed25519):
# none of the TypeScript under test.
import hashlib, json, os, struct
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

def seeded(seed, n=32):
    """engine/crypto/test/seededRandom.ts: SHA-256(seed || 0x00 || u32le counter); an identity's Ed25519 seed is its first draw."""
    return hashlib.sha256(seed.encode() + b'\x00' + struct.pack('<I', 0)).digest()[:n]
def ed_pub(sk): return Ed25519PrivateKey.from_private_bytes(sk).public_key().public_bytes_raw()
def sign(sk, context, msg):  # engine/identity/contexts.ts: len(context) || context || message
    return Ed25519PrivateKey.from_private_bytes(sk).sign(bytes([len(context)]) + context + msg)
def seq(n, start): return bytes((start + i) & 0xff for i in range(n))
def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7f) | 0x80); n >>= 7
    out.append(n)
    return bytes(out)
def u48(v): return struct.pack('>Q', v)[2:]

DAY = 24 * 60 * 60 * 1000
T0 = 1735689600000  # 2025-01-01T00:00:00Z
names = ['reach/alice', 'reach/relay-1', 'reach/relay-2', 'reach/relay-3']
keys = {name: seeded(name) for name in names}
pubs = {name: ed_pub(sk) for name, sk in keys.items()}

# Reach record v1: version | identity | seqno u48 | issuedAt u48 | expiresAt u48 | count u8
# | count × (relay identity 32 | varint length + UTF-8 address) | signature over all before it.
def reach_record(name, signer, seqno, issued, expires, relays, now):
    body = (bytes([1]) + pubs[signer] + u48(seqno) + u48(issued) + u48(expires) + bytes([len(relays)])
            + b''.join(pubs[r] + varint(len(a.encode())) + a.encode() for r, a in relays))
    signature = sign(keys[signer], b'sovereign/v1/reach', body)
    return {'name': name, 'signerSeed': signer, 'identity': pubs[signer].hex(), 'seqno': seqno, 'issuedAt': issued,
            'expiresAt': expires, 'relays': [{'seed': r, 'identity': pubs[r].hex(), 'address': a} for r, a in relays],
            'now': now, 'signature': signature.hex(), 'encoded': (body + signature).hex()}

long_address = 'wss://relay-3.example.net/' + 'p' * 110 + '?shard=7'
assert len(long_address) >= 128  # its length needs a 2-byte varint
reach_records = [
    reach_record('one relay, lifetime exactly 30 days', 'reach/alice', 1, T0, T0 + 30 * DAY,
                 [('reach/relay-1', 'wss://relay.example.org')], T0),
    reach_record('three relays, clock seqno, 2-byte address length', 'reach/alice', T0, T0, T0 + DAY,
                 [('reach/relay-1', 'wss://relay.example.org'), ('reach/relay-2', 'ws://[2001:db8::1]:8080/mesh'),
                  ('reach/relay-3', long_address)], T0 + DAY - 1),
]

# Custody receipt v1: version | custodian | recipient | issuedAt u48 | heldUntil u48
# | count varint | count × 16-byte envelope id | signature over all before it.
def custody_receipt(name, custodian, recipient, issued, held, ids, now):
    body = (bytes([1]) + pubs[custodian] + pubs[recipient] + u48(issued) + u48(held) + varint(len(ids)) + b''.join(ids))
    signature = sign(keys[custodian], b'sovereign/v1/custody-receipt', body)
    return {'name': name, 'signerSeed': custodian, 'custodian': pubs[custodian].hex(), 'recipient': pubs[recipient].hex(),
            'issuedAt': issued, 'heldUntil': held, 'ids': [i.hex() for i in ids], 'now': now,
            'signature': signature.hex(), 'encoded': (body + signature).hex()}

custody_receipts = [
    custody_receipt('one id, held 14 days', 'reach/relay-1', 'reach/alice', T0, T0 + 14 * DAY, [seq(16, 0xf0)], T0),
    custody_receipt('130 ids: 2-byte count varint, held exactly 30 days', 'reach/relay-2', 'reach/alice', T0 + 5,
                    T0 + 5 + 30 * DAY, [seq(16, i) for i in range(130)], T0 + 5 + 30 * DAY - 1),
]

golden = {'identities': {name: pubs[name].hex() for name in names},
          'reachRecords': reach_records, 'custodyReceipts': custody_receipts}
with open(os.path.join(os.path.dirname(__file__), 'golden.json'), 'w') as f:
    json.dump(golden, f, indent=2, ensure_ascii=False)
    f.write('\n')

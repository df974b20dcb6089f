# Independent generator of the golden vectors (see README.md). Run from the repo root:
#   python3 engine/wire/test/goldenVectors.py
import base64, hashlib, json, struct

def seq(n, start): return bytes((start + i) & 0xff for i in range(n))
def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7f) | 0x80); n >>= 7
    out.append(n)
    return bytes(out)
def lp(b): return varint(len(b)) + b
def u48(v): return struct.pack('>Q', v)[2:]

# Envelope v2: version | id | destination | ttl | attempt | expiresAt | body.
# The associated data leaves out ttl and attempt (relays and retries change them).
def envelope(name, id, dest, ttl, attempt, expires, body):
    ad = bytes([2]) + id + dest + u48(expires)
    enc = bytes([2]) + id + dest + bytes([ttl, attempt]) + u48(expires) + lp(body)
    return {'name': name, 'id': id.hex(), 'destination': dest.hex(), 'ttl': ttl, 'attempt': attempt, 'expiresAt': expires,
            'body': body.hex(), 'encoded': enc.hex(), 'associatedData': ad.hex()}

envelopes = [
    envelope('minimal: ttl 0, attempt 0, epoch, 1-byte body', seq(16, 0), seq(32, 0x20), 0, 0, 0, bytes([0])),
    envelope('130-byte body: 2-byte length varint', seq(16, 0xf0), seq(32, 0x80), 16, 0, 1735689600000, seq(130, 0)),
    envelope('max ttl, attempt and expiry', bytes(16), b'\xff' * 32, 255, 255, 2**48 - 1, b'sealed'),
    # The same sealed bytes as the 130-byte vector, retransmitted (attempt 3) one hop
    # later (ttl 15): the associated data is identical to that vector's.
    envelope('retry of the 130-byte vector: attempt 3, ttl 15', seq(16, 0xf0), seq(32, 0x80), 15, 3, 1735689600000, seq(130, 0)),
]
assert envelopes[1]['associatedData'] == envelopes[3]['associatedData']

identity, binding = seq(32, 0x40), seq(64, 0x60)
head = lambda t, sent: bytes([1, t]) + identity + binding + u48(sent)
sender = {'identity': identity.hex(), 'binding': binding.hex()}
relays = ['wss://relay.example.org/mesh', 'ws://192.168.1.20:8080']
message_bodies = [
    {'name': 'text with CJK and emoji', 'value': {'type': 'text', **sender, 'sentAt': 1735689600000, 'text': 'Hello, 世界 👋'},
     'encoded': (head(1, 1735689600000) + lp('Hello, 世界 👋'.encode())).hex()},
    {'name': 'intro with two relays', 'value': {'type': 'intro', **sender, 'sentAt': 1735689600001, 'displayName': 'Zoë', 'relays': relays},
     'encoded': (head(2, 1735689600001) + lp('Zoë'.encode()) + bytes([2]) + b''.join(lp(r.encode()) for r in relays)).hex()},
    {'name': 'intro without relays', 'value': {'type': 'intro', **sender, 'sentAt': 0, 'displayName': 'A', 'relays': []},
     'encoded': (head(2, 0) + lp(b'A') + bytes([0])).hex()},
]
# reach: the sender's signed reach record, opaque at this layer (the messenger verifies it
# with engine/reach); placeholder bytes, 172 of them so the length needs a 2-byte varint.
message_bodies.append({'name': 'reach (a 172-byte record)',
                       'value': {'type': 'reach', **sender, 'sentAt': 1735689600002, 'record': seq(172, 0x40).hex()},
                       'encoded': (head(5, 1735689600002) + lp(seq(172, 0x40))).hex()})

batch = [bytes.fromhex(envelopes[0]['encoded']), bytes([0xaa, 0xbb, 0xcc])]
link_frames = [
    {'name': 'envelopes batch of 2', 'value': {'type': 'envelopes', 'envelopes': [b.hex() for b in batch]},
     'encoded': (bytes([1, 1]) + varint(len(batch)) + b''.join(lp(b) for b in batch)).hex()},
    {'name': 'ping', 'value': {'type': 'ping', 'nonce': 0x01020304, 'sentAt': 1735689600000},
     'encoded': (bytes([1, 2]) + struct.pack('>I', 0x01020304) + u48(1735689600000)).hex()},
    {'name': 'pong', 'value': {'type': 'pong', 'nonce': 0xfffffffe, 'sentAt': 1735689600123},
     'encoded': (bytes([1, 3]) + struct.pack('>I', 0xfffffffe) + u48(1735689600123)).hex()},
    {'name': 'close shutdown', 'value': {'type': 'close', 'reason': 'shutdown'}, 'encoded': '010401'},
    {'name': 'close protocol', 'value': {'type': 'close', 'reason': 'protocol'}, 'encoded': '010402'},
    {'name': 'close overload', 'value': {'type': 'close', 'reason': 'overload'}, 'encoded': '010403'},
]

# announce: metric u16, then the signed announcement as opaque length-prefixed
# bytes (the link codec does not parse it). A 200-byte one needs a 2-byte varint;
# metric 0xffff is a retraction.
for name, announcement, metric in [
    ('announce from the origin (metric 0)', seq(200, 0x30), 0),
    ('announce retraction (metric 0xffff)', seq(3, 0xa0), 0xffff),
]:
    link_frames.append({'name': name, 'value': {'type': 'announce', 'announcement': announcement.hex(), 'metric': metric},
                        'encoded': (bytes([1, 5]) + struct.pack('>H', metric) + lp(announcement)).hex()})
# ack: count varint, then that many 16-byte envelope ids.
ack_ids = [seq(16, 0), seq(16, 0xf0)]
link_frames.append({'name': 'ack of 2 ids', 'value': {'type': 'ack', 'ids': [i.hex() for i in ack_ids]},
                    'encoded': (bytes([1, 6]) + varint(len(ack_ids)) + b''.join(ack_ids)).hex()})
# refuse: reason u8 (1..6), then ids as in ack. 130 ids need a 2-byte count varint.
for reason, code, ids in [('destination-full', 1, [seq(16, 0x20)]), ('expired', 4, [seq(16, i) for i in range(130)]), ('no-custody', 5, [seq(16, 0x30)]), ('home-unreachable', 6, [seq(16, 0x40)])]:
    link_frames.append({'name': f'refuse {reason}, {len(ids)} id(s)', 'value': {'type': 'refuse', 'reason': reason, 'ids': [i.hex() for i in ids]},
                        'encoded': (bytes([1, 7, code]) + varint(len(ids)) + b''.join(ids)).hex()})
# reach: the sender's signed reach record, opaque here (engine/reach parses it); 172 bytes need a 2-byte varint.
reach_record = seq(172, 0x40)
link_frames.append({'name': 'reach (a 172-byte record)', 'value': {'type': 'reach', 'record': reach_record.hex()},
                    'encoded': (bytes([1, 8]) + lp(reach_record)).hex()})
# custody: a custodian's signed custody receipt, opaque here (engine/reach parses it); 158 bytes (one id).
custody_receipt = seq(158, 0x90)
link_frames.append({'name': 'custody (a 158-byte receipt)', 'value': {'type': 'custody', 'receipt': custody_receipt.hex()},
                    'encoded': (bytes([1, 9]) + lp(custody_receipt)).hex()})

def offer(name, ident, static, bind, spk, display, relays):
    spk_id, spk_pub, spk_sig = spk
    body = (bytes([2]) + ident + static + bind + struct.pack('>I', spk_id) + spk_pub + spk_sig
            + lp(display.encode()) + bytes([len(relays)]) + b''.join(lp(r.encode()) for r in relays))
    code = 'SOV1' + base64.b32encode(body + hashlib.sha256(body).digest()[:4]).decode().rstrip('=')
    return {'name': name, 'identity': ident.hex(), 'staticKey': static.hex(), 'binding': bind.hex(),
            'signedPrekey': {'id': spk_id, 'publicKey': spk_pub.hex(), 'signature': spk_sig.hex()},
            'displayName': display, 'relays': relays, 'code': code}

# Signed prekeys: ids on the u32 boundaries (0, 1, 2^32-1); signatures are
# placeholder bytes, the codec does not verify them.
offers = [
    offer('one relay', seq(32, 0xa0), seq(32, 0xc0), seq(64, 0), (1, seq(32, 0xe0), seq(64, 0x40)),
          'Ada Lovelace', ['wss://relay.example.org']),
    offer('no relays, CJK and emoji ZWJ name', seq(32, 0x10), seq(32, 0x30), seq(64, 0x50), (0, seq(32, 0x90), seq(64, 0xb0)),
          '李 👩\u200d💻', []),
    offer('four relays', b'\x01' * 32, b'\x02' * 32, b'\x03' * 64, (0xffffffff, b'\x04' * 32, b'\x05' * 64), 'Relay Hub',
          ['wss://a.example.org', 'wss://b.example.org:8443/x', 'ws://10.0.0.1:9000', 'ws://[::1]:9001/mesh?room=1']),
]

dump = lambda obj: json.dumps(obj, indent=2, ensure_ascii=False) + '\n'
open('engine/wire/test/golden.json', 'w').write(dump({'envelopes': envelopes, 'messageBodies': message_bodies, 'linkFrames': link_frames}))
open('engine/offer/test/golden.json', 'w').write(dump({'offers': offers}))

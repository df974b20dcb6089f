# Independent generator of the version-3 offer code vectors (goldenV3.json), in
# the manner of engine/wire/test/goldenVectors.py (which makes golden.json, the
# version-2 codes, still decoded): a deliberately naive implementation of the
# layout in the header of engine/offer/offerCode.ts, Python standard library
# only. Run from the repo root, only for a deliberate format change:
#   python3 engine/offer/test/offerVectors.py
#
# The inputs are those of the version-2 vectors, each once without a reach
# record (version byte 3, a 0 reach length), and two with one: 172 placeholder
# bytes (a 2-byte length varint) and 1024 (the most a code may carry). The
# record is opaque to the codec, as the signatures are: placeholder bytes.
import base64, hashlib, json, struct

def seq(n, start): return bytes((start + i) & 0xff for i in range(n))
def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7f) | 0x80); n >>= 7
    out.append(n)
    return bytes(out)
def lp(b): return varint(len(b)) + b

def offer(name, ident, static, bind, spk, display, relays, reach):
    spk_id, spk_pub, spk_sig = spk
    body = (bytes([3]) + ident + static + bind + struct.pack('>I', spk_id) + spk_pub + spk_sig
            + lp(display.encode()) + bytes([len(relays)]) + b''.join(lp(r.encode()) for r in relays)
            + lp(reach if reach is not None else b''))
    code = 'SOV1' + base64.b32encode(body + hashlib.sha256(body).digest()[:4]).decode().rstrip('=')
    return {'name': name, 'identity': ident.hex(), 'staticKey': static.hex(), 'binding': bind.hex(),
            'signedPrekey': {'id': spk_id, 'publicKey': spk_pub.hex(), 'signature': spk_sig.hex()},
            'displayName': display, 'relays': relays, 'reach': reach.hex() if reach is not None else None, 'code': code}

ONE = (seq(32, 0xa0), seq(32, 0xc0), seq(64, 0), (1, seq(32, 0xe0), seq(64, 0x40)), 'Ada Lovelace', ['wss://relay.example.org'])
CJK = (seq(32, 0x10), seq(32, 0x30), seq(64, 0x50), (0, seq(32, 0x90), seq(64, 0xb0)), '李 👩\u200d💻', [])
FOUR = (b'\x01' * 32, b'\x02' * 32, b'\x03' * 64, (0xffffffff, b'\x04' * 32, b'\x05' * 64), 'Relay Hub',
        ['wss://a.example.org', 'wss://b.example.org:8443/x', 'ws://10.0.0.1:9000', 'ws://[::1]:9001/mesh?room=1'])

offers = [
    offer('one relay, no reach record', *ONE, None),
    offer('no relays, CJK and emoji ZWJ name, no reach record', *CJK, None),
    offer('four relays, no reach record', *FOUR, None),
    offer('one relay, 172-byte reach record', *ONE, seq(172, 0x10)),
    offer('four relays, 1024-byte reach record', *FOUR, seq(1024, 0)),
]

dump = lambda obj: json.dumps(obj, indent=2, ensure_ascii=False) + '\n'
open('engine/offer/test/goldenV3.json', 'w').write(dump({'offers': offers}))

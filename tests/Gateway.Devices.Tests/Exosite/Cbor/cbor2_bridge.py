#!/usr/bin/python3
"""Cross-check helper for the Exosite CBOR mapping tests, run with Debian's /usr/bin/python3 and python3-cbor2.

generate SEED COUNT NOMAP: random JSON-like documents (what the Exosite API carries: integers of
  [-2^64, 2^64-1], finite floats, text, byte strings, arrays, maps with text or integer keys, true,
  false, null); prints "<cbor2 default hex>\t<cbor2 canonical hex>\t<dump of the mapped value>".
  NOMAP=1: no maps and no byte strings, so the mapped value re-encodes to cbor2's canonical bytes.
decode: stdin has one hex document per line; prints "<dump>\t<cbor2 canonical hex>".
encode-canonical: stdin has one float per line; prints cbor2's canonical encoding.

The dump is the value after RFC 8949 §6.1 as the mapping applies it (byte strings as base64url text,
integer keys as decimal text): N T F i:<int> f:<double bits hex> t:<utf-8 hex> [..] {sorted k=v}.
"""
import base64
import math
import random
import struct
import sys

import cbor2


def text(s):
    return "t:" + s.encode("utf-8").hex()


def dump(o):
    if o is None:
        return "N"
    if o is True:
        return "T"
    if o is False:
        return "F"
    if isinstance(o, int):
        return "i:%d" % o
    if isinstance(o, float):
        return "f:" + struct.pack(">d", o).hex()
    if isinstance(o, (bytes, bytearray)):
        return text(base64.urlsafe_b64encode(bytes(o)).decode("ascii").rstrip("="))
    if isinstance(o, str):
        return text(o)
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(dump(x) for x in o) + "]"
    if isinstance(o, dict):
        return "{" + ",".join(sorted(text(str(k)) + "=" + dump(v) for k, v in o.items())) + "}"
    raise TypeError(type(o))


def is_half(v):
    try:
        return struct.unpack(">e", struct.pack(">e", v))[0] == v
    except OverflowError:
        return False


def large_half_workaround(nomap, v):
    # cbor2's canonical encoder writes a single, not a half, for 32768 <= |v| <= 65504 (e.g. 65504.0
    # as fa477fe000 where RFC 8949 Appendix A has f97bff). Byte-exact comparisons (nomap) avoid that range.
    if nomap and 32768 <= abs(v) <= 65504 and is_half(v):
        return v / 4
    return v


def finite(v):
    return v if math.isfinite(v) else 0.5


def gen(r, depth, nomap):
    kinds = ["int", "float", "text", "bool", "null"] + ([] if nomap else ["bytes"])
    if depth < 4:
        kinds += ["array"] + ([] if nomap else ["map", "map"])
    k = r.choice(kinds)
    if k == "int":
        return r.choice([0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, -1, -24, -25,
                         -2**63, -2**63 - 1, -2**64, r.randint(-2**64, 2**64 - 1), r.randint(-1000, 1000)])
    if k == "float":
        return large_half_workaround(nomap, finite(r.choice([0.0, -0.0, 1.5, 65504.0, 1e300, 5.960464477539063e-8,
                         struct.unpack(">e", struct.pack(">H", r.getrandbits(16) & 0x7bff))[0],
                         struct.unpack(">f", struct.pack(">I", r.getrandbits(32) & 0x7f7fffff))[0],
                         r.uniform(-1e10, 1e10)])))
    if k == "bytes":
        return bytes(r.getrandbits(8) for _ in range(r.choice([0, 1, 2, 3, 23, 24, 300])))
    if k == "text":
        alphabet = "aZ09 \"\\\u00fc\u6c34\U00010151\u0000\u007f"
        return "".join(r.choice(alphabet) for _ in range(r.choice([0, 1, 5, 30])))
    if k == "bool":
        return r.choice([True, False])
    if k == "null":
        return None
    if k == "array":
        return [gen(r, depth + 1, nomap) for _ in range(r.choice([0, 1, 3, 25]))]
    m = {}
    names = set()
    for _ in range(r.choice([0, 1, 4, 10])):
        key = r.choice([r.randint(-100, 100), "k%d" % r.randint(0, 50)])
        if str(key) in names:
            continue  # 1 and "1" are one member name after the mapping: the mapping refuses the pair (tested apart)
        names.add(str(key))
        m[key] = gen(r, depth + 1, nomap)
    return m


def main():
    if sys.argv[1] == "encode-canonical":
        for line in sys.stdin:
            if line.strip():
                print(cbor2.dumps(float(line), canonical=True).hex())
        return
    if sys.argv[1] == "decode":
        for line in sys.stdin:
            line = line.strip()
            if line:
                o = cbor2.loads(bytes.fromhex(line))
                print(dump(o) + "\t" + cbor2.dumps(o, canonical=True).hex())
        return
    r = random.Random(int(sys.argv[2]))
    nomap = sys.argv[4] == "1"
    for _ in range(int(sys.argv[3])):
        o = gen(r, 0, nomap)
        print(cbor2.dumps(o).hex() + "\t" + cbor2.dumps(o, canonical=True).hex() + "\t" + dump(o))


main()

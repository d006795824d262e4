#!/usr/bin/python3
"""Cross-check helper for Gateway.Cbor tests, run with Debian's /usr/bin/python3 and python3-cbor2.

decode: stdin has one hex document per line; prints "<dump>\t<cbor2 canonical re-encoding hex>".
generate SEED COUNT NOMAP: prints "<cbor2 default hex>\t<cbor2 canonical hex>\t<dump>" per document.

The dump is a small text form both sides can produce identically: i:<int> f:<double bits hex>|f:nan
b:<hex> t:<utf-8 hex> T F N U s:<n> [..] {sorted k=v} g<tag>(..).
"""
import math
import random
import struct
import sys

import cbor2
from cbor2 import CBORSimpleValue, CBORTag, undefined


def dump(o):
    if o is None:
        return "N"
    if o is True:
        return "T"
    if o is False:
        return "F"
    if o is undefined:
        return "U"
    if isinstance(o, CBORSimpleValue):
        return "s:%d" % o.value
    if isinstance(o, int):
        return "i:%d" % o
    if isinstance(o, float):
        return "f:nan" if math.isnan(o) else "f:" + struct.pack(">d", o).hex()
    if isinstance(o, (bytes, bytearray)):
        return "b:" + bytes(o).hex()
    if isinstance(o, str):
        return "t:" + o.encode("utf-8").hex()
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(dump(x) for x in o) + "]"
    if isinstance(o, dict):
        return "{" + ",".join(sorted(dump(k) + "=" + dump(v) for k, v in o.items())) + "}"
    if isinstance(o, CBORTag):
        return "g%d(%s)" % (o.tag, dump(o.value))
    raise TypeError(type(o))


def is_half(v):
    try:
        return struct.unpack(">e", struct.pack(">e", v))[0] == v
    except OverflowError:
        return False


def large_half_workaround(nomap, v):
    # cbor2 5.4.6's canonical encoder writes a single, not a half, for 32768 <= |v| <= 65504 (e.g. 65504.0
    # as fa477fe000 where RFC 8949 Appendix A has f97bff). Byte-exact comparisons (nomap) avoid that range.
    if nomap and math.isfinite(v) and 32768 <= abs(v) <= 65504 and is_half(v):
        return v / 4
    return v


def gen(r, depth, nomap):
    kinds = ["int", "big", "float", "bytes", "text", "bool", "null", "undef", "simple"]
    if depth < 4:
        kinds += ["array", "tag"] + ([] if nomap else ["map", "map"])
    k = r.choice(kinds)
    if k == "int":
        return r.choice([0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1, -1, -24, -25, -2**64,
                         r.randint(-2**64, 2**64 - 1), r.randint(-1000, 1000)])
    if k == "big":
        return r.choice([1, -1]) * r.randint(2**64, 2**130)
    if k == "float":
        return large_half_workaround(nomap, r.choice([0.0, -0.0, 1.5, 65504.0, 1e300, math.inf, -math.inf, math.nan, 5.960464477539063e-8,
                         struct.unpack(">e", struct.pack(">H", r.getrandbits(16) & 0x7bff))[0],
                         struct.unpack(">f", struct.pack(">I", r.getrandbits(32) & 0x7f7fffff))[0],
                         r.uniform(-1e10, 1e10)]))
    if k == "bytes":
        return bytes(r.getrandbits(8) for _ in range(r.choice([0, 1, 23, 24, 300])))
    if k == "text":
        alphabet = "aZ09 \"\\\u00fc\u6c34\U00010151\u0000\u007f"
        return "".join(r.choice(alphabet) for _ in range(r.choice([0, 1, 5, 30])))
    if k == "bool":
        return r.choice([True, False])
    if k == "null":
        return None
    if k == "undef":
        return undefined
    if k == "simple":
        return CBORSimpleValue(r.choice(list(range(0, 20)) + list(range(32, 256))))
    if k == "array":
        return [gen(r, depth + 1, nomap) for _ in range(r.choice([0, 1, 3, 25]))]
    if k == "tag":
        return CBORTag(r.randint(40000, 50000), gen(r, depth + 1, nomap))
    m = {}
    for _ in range(r.choice([0, 1, 4, 10])):
        key = r.choice([r.randint(-100, 100), "k%d" % r.randint(0, 50), bytes([r.getrandbits(8)])])
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
            if not line:
                continue
            o = cbor2.loads(bytes.fromhex(line))
            print(dump(o) + "\t" + cbor2.dumps(o, canonical=True).hex())
    else:
        r = random.Random(int(sys.argv[2]))
        nomap = sys.argv[4] == "1"
        for _ in range(int(sys.argv[3])):
            o = gen(r, 0, nomap)
            print(cbor2.dumps(o).hex() + "\t" + cbor2.dumps(o, canonical=True).hex() + "\t" + dump(o))


main()

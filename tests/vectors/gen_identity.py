#!/usr/bin/env python3
"""tests/vectors/gen_identity.py - known-answer vectors for docs/wire.md §1-§2.

Computes, independently of the C code, the expected values in
tests/vectors/identity.json (seed -> public key, node ID, overlay address)
and tests/vectors/node_record.json (record fields -> signed encoding), and
the seed corpus of tests/fuzz/fuzz_record.c. Uses only the standard
library: hashlib for BLAKE2b and SHA-512, and a small Ed25519 written from
the RFC 8032 §5.1 description (slow, not constant time: for vectors only).
The Ed25519 code checks itself against RFC 8032 §7.1 before writing anything.

Run from anywhere: python3 tests/vectors/gen_identity.py
"""
import hashlib
import ipaddress
import json
import os
import struct
import sys

# ---- Ed25519 (RFC 8032 §5.1) --------------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def recover_x(y, sign):
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        raise ValueError("not a square")
    if x & 1 != sign:
        x = P - x
    return x


# Points in extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, xy = T/Z.
GY = 4 * pow(5, P - 2, P) % P
GX = recover_x(GY, 0)
G = (GX, GY, 1, GX * GY % P)


def point_add(a, b):
    pa = (a[1] - a[0]) * (b[1] - b[0]) % P
    pb = (a[1] + a[0]) * (b[1] + b[0]) % P
    pc = 2 * a[3] * b[3] * D % P
    pd = 2 * a[2] * b[2] % P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = point_add(acc, pt)
        pt = point_add(pt, pt)
        s >>= 1
    return acc


def point_encode(pt):
    zinv = pow(pt[2], P - 2, P)
    x, y = pt[0] * zinv % P, pt[1] * zinv % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    return point_encode(point_mul(expand(seed)[0], G))


def ed25519_sign(seed, msg):
    a, prefix = expand(seed)
    pub = point_encode(point_mul(a, G))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % L
    big_r = point_encode(point_mul(r, G))
    k = int.from_bytes(hashlib.sha512(big_r + pub + msg).digest(), "little") % L
    return big_r + ((r + k * a) % L).to_bytes(32, "little")


def self_check():
    """RFC 8032 §7.1, TEST 1 and TEST 2."""
    tests = [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
         "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
         "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ]
    for seed, pub, msg, sig in tests:
        s = bytes.fromhex(seed)
        if ed25519_public(s).hex() != pub:
            sys.exit("Ed25519 self-check failed: public key for seed " + seed)
        if ed25519_sign(s, bytes.fromhex(msg)).hex() != sig:
            sys.exit("Ed25519 self-check failed: signature for seed " + seed)


# ---- vx6 derivations (docs/wire.md §1) -----------------------------------

GLOBAL_ID_LABEL = b"vx6 overlay global id v1"
RECORD_LABEL = b"vx6 node record v1"
TRANSPORTS = {"tcp": 1, "quic": 2, "udp": 3}


def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def base32(data):
    import base64
    return base64.b32encode(data).decode().rstrip("=").lower()


def node_id(pub):
    return blake2b256(pub)  # §1.1: no label


def global_id(network):
    return blake2b256(GLOBAL_ID_LABEL + network.encode())[:5]


def overlay_address(network, nid):
    return ipaddress.IPv6Address(b"\xfd" + global_id(network) + nid[:10])


# ---- node record (docs/wire.md §2) ---------------------------------------

def record_body(pub, seq, issued, expires, name, endpoints):
    out = struct.pack(">BBH", 1, 1, 0) + node_id(pub) + pub
    out += struct.pack(">QQQ", seq, issued, expires)
    out += struct.pack(">B", len(name)) + name.encode()
    out += struct.pack(">B", len(endpoints))
    for ep in endpoints:
        out += ipaddress.IPv6Address(ep["addr"]).packed
        out += struct.pack(">HBB", ep["port"], TRANSPORTS[ep["transport"]], 0)
    return out


def record_encode(seed, rec):
    pub = ed25519_public(seed)
    body = record_body(pub, rec["seq"], rec["issued"], rec["expires"], rec["name"],
                       rec["endpoints"])
    sig = ed25519_sign(seed, RECORD_LABEL + body)
    return body + sig, sig


# ---- the vectors -----------------------------------------------------------

SEEDS = [
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",  # RFC 8032 TEST 1
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",  # RFC 8032 TEST 2
    "00" * 32,
    "ff" * 32,
    bytes(range(32)).hex(),
]
NETWORKS = ["vx6", "branch-office", "a", "0", "lab-" + "x" * 58 + "9"]

RECORDS = [
    {"seed": SEEDS[0], "seq": 1, "issued": 1700000000, "expires": 1700086400,
     "name": "alice", "endpoints": []},
    {"seed": SEEDS[1], "seq": 1700000000123456, "issued": 1700000000,
     "expires": 1700000000 + 30 * 24 * 3600, "name": "branch-office-7",
     "endpoints": [
         {"addr": "2001:db8::1", "port": 4433, "transport": "quic"},
         {"addr": "::ffff:192.0.2.10", "port": 443, "transport": "tcp"},
     ]},
    {"seed": SEEDS[4], "seq": 2**53 - 1, "issued": 0, "expires": 1,
     "name": "n" + "0123456789-" * 5 + "abcdefg", "endpoints": [
         {"addr": "fd00::%x" % i, "port": [1, 65535, 51820, 7][i % 4],
          "transport": ["tcp", "quic", "udp"][i % 3]} for i in range(8)
     ]},
    {"seed": SEEDS[2], "seq": 42, "issued": 4102444800, "expires": 4102448400,
     "name": "a", "endpoints": [
         {"addr": "fe80::1", "port": 22, "transport": "udp"},
     ]},
]


def identity_vectors():
    cases = []
    for i, seed in enumerate(SEEDS):
        pub = ed25519_public(bytes.fromhex(seed))
        nid = node_id(pub)
        # Case i gets two networks, so every network appears twice.
        nets = [NETWORKS[i % len(NETWORKS)], NETWORKS[(i + 2) % len(NETWORKS)]]
        cases.append({
            "case": i + 1,
            "seed": seed,
            "public_key": pub.hex(),
            "node_id": base32(nid),
            "addresses": [{
                "network": n,
                "global_id": global_id(n).hex(),
                "overlay_address": overlay_address(n, nid).compressed,
            } for n in nets],
        })
    return {
        "description": "docs/wire.md §1: Ed25519 seed -> public key -> node ID "
                       "(BLAKE2b-256, base32) -> overlay address per network. "
                       "Generated by gen_identity.py.",
        "cases": cases,
    }


def record_vectors():
    cases = []
    for i, rec in enumerate(RECORDS):
        enc, sig = record_encode(bytes.fromhex(rec["seed"]), rec)
        case = {"case": i + 1}
        case.update(rec)
        case["public_key"] = ed25519_public(bytes.fromhex(rec["seed"])).hex()
        case["signature"] = sig.hex()
        case["encoded"] = enc.hex()
        cases.append(case)
    return {
        "description": "docs/wire.md §2: node records, signed with the key from "
                       "`seed` over \"vx6 node record v1\" || body. Generated by "
                       "gen_identity.py.",
        "cases": cases,
    }


def corpus(records):
    """Valid encodings plus malformed neighbours, for fuzz_record."""
    out = {}
    for c in records["cases"]:
        out["valid-%d" % c["case"]] = bytes.fromhex(c["encoded"])
    good = bytes.fromhex(records["cases"][1]["encoded"])
    out["bad-empty"] = b""
    out["bad-truncated"] = good[:-1]
    out["bad-trailing"] = good + b"\x00"
    out["bad-version"] = good[:1] + b"\x02" + good[2:]
    out["bad-flags"] = good[:3] + b"\x01" + good[4:]
    out["bad-nodeid"] = good[:4] + bytes([good[4] ^ 1]) + good[5:]
    name_at = 4 + 32 + 32 + 24
    out["bad-name-len-64"] = good[:name_at] + b"\x40" + good[name_at + 1:]
    out["bad-name-char"] = good[:name_at + 1] + b"A" + good[name_at + 2:]
    ep_at = name_at + 1 + good[name_at] + 1
    out["bad-port-0"] = good[:ep_at + 16] + b"\x00\x00" + good[ep_at + 18:]
    out["bad-transport-4"] = good[:ep_at + 18] + b"\x04" + good[ep_at + 19:]
    out["bad-reserved"] = good[:ep_at + 19] + b"\x01" + good[ep_at + 20:]
    return out


def main():
    self_check()
    here = os.path.dirname(os.path.abspath(__file__))
    recs = record_vectors()
    for name, doc in (("identity.json", identity_vectors()), ("node_record.json", recs)):
        with open(os.path.join(here, name), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
            f.write("\n")
    cdir = os.path.join(here, "..", "fuzz", "corpus", "record")
    os.makedirs(cdir, exist_ok=True)
    for name, data in corpus(recs).items():
        with open(os.path.join(cdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

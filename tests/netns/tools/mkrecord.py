#!/usr/bin/env python3
"""tests/netns/tools/mkrecord.py - sign a node record with a node's own key,
for tests that need records vx6d would never issue itself (expired ones).
Uses the independent RFC 8032 implementation in tests/vectors/gen_identity.py.

  mkrecord.py STATE_DIR SEQ ISSUED EXPIRES     prints the record in hex
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "vectors"))
import gen_identity  # noqa: E402


def main():
    state, seq, issued, expires = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open(os.path.join(state, "identity.key"), encoding="ascii") as f:
        magic, seed = f.read().split()
    if magic != "vx6-ed25519-seed-v1":
        sys.exit("mkrecord: not a vx6 key file")
    with open(os.path.join(state, "identity.json"), encoding="utf-8") as f:
        name = __import__("json").load(f)["name"]
    rec, _ = gen_identity.record_encode(bytes.fromhex(seed), {"seq": seq, "issued": issued, "expires": expires,
                                               "name": name, "endpoints": []})
    print(rec.hex())


if __name__ == "__main__":
    main()

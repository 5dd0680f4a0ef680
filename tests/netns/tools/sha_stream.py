#!/usr/bin/env python3
"""tests/netns/tools/sha_stream.py - a SHA-256-checked bulk transfer, for
tests/netns/services.sh and bench/services.sh. Talks only to the address it
is given (a lab namespace's or loopback).

  sink ADDR PORT [STALL_S]   accept connections forever; for each, wait
                             STALL_S seconds (default 0), read to EOF, answer
                             "<bytes> <sha256 hex>" and close
  send HOST PORT MB          send MB random megabytes, half-close, read the
                             sink's answer; print "<Mbit/s> ok" when size and
                             digest match, "<Mbit/s> MISMATCH" otherwise
                             (exit 1)
"""
import hashlib
import os
import socket
import sys
import time


def sink(addr, port, stall):
    s = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    while True:
        c, _ = s.accept()
        time.sleep(stall)
        h, n = hashlib.sha256(), 0
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        c.sendall(('%d %s\n' % (n, h.hexdigest())).encode())
        c.close()


def send(host, port, mb):
    blk = os.urandom(1 << 20)
    h = hashlib.sha256()
    s = socket.create_connection((host, port))
    t = time.monotonic()
    for _ in range(mb):
        s.sendall(blk)
        h.update(blk)
    s.shutdown(socket.SHUT_WR)
    r = s.makefile().readline().split()
    dt = time.monotonic() - t
    ok = len(r) == 2 and int(r[0]) == mb << 20 and r[1] == h.hexdigest()
    print('%.0f %s' % (mb * 8 * 1.048576 / dt, 'ok' if ok else 'MISMATCH'))
    return 0 if ok else 1


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == 'sink':
        sink(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0)
    elif len(sys.argv) == 5 and sys.argv[1] == 'send':
        sys.exit(send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()

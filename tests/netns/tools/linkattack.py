#!/usr/bin/env python3
"""tests/netns/tools/linkattack.py - hostile traffic against a vx6 link
listener, for tests/netns/links.sh. Runs inside the attacker's namespace and
only ever targets the address it is given (a lab namespace's address).
Every mode is bounded in count and time.

  garbage-tcp ADDR PORT N        N connections that send random bytes
  truncated-tcp ADDR PORT N      N connections that announce a 139-byte
                                 handshake message, send 20 bytes, close
  replay-tcp ADDR PORT PCAP SRC  replay the first TCP payload SRC sent to
                                 PORT in PCAP (a captured handshake)
  flood-tcp ADDR PORT SECONDS    open connections as fast as possible
  garbage-udp ADDR PORT N        N random datagrams
  replay-udp ADDR PORT PCAP SRC  replay every UDP payload SRC sent to PORT
  flood-udp ADDR PORT SECONDS    QUIC-Initial-looking datagrams, flat out
Prints one line: "<mode> sent=<n>".
"""
import os
import socket
import struct
import sys
import time


def tcp_send(addr, port, data, linger=0.0):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((addr, port))
        if data:
            s.sendall(data)
        if linger:
            time.sleep(linger)
        return True
    except OSError:
        return False
    finally:
        s.close()


def pcap_payloads(path, src, port, proto):
    """Payloads of IPv6 `proto` packets from `src` to `port` in a pcap
    written by tcpdump on an Ethernet interface."""
    src_b = socket.inet_pton(socket.AF_INET6, src)
    out = []
    with open(path, 'rb') as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return out
        magic = struct.unpack('<I', hdr[:4])[0]
        endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
        linktype = struct.unpack(endian + 'I', hdr[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            incl = struct.unpack(endian + 'IIII', rec)[2]
            pkt = f.read(incl)
            off = {1: 14, 113: 16, 276: 20}.get(linktype)
            if off is None or len(pkt) < off + 40:
                continue
            ip = pkt[off:]
            if ip[0] >> 4 != 6 or ip[6] != proto or ip[8:24] != src_b:
                continue
            plen = struct.unpack('>H', ip[4:6])[0]
            l4 = ip[40:40 + plen]
            if proto == 6 and len(l4) >= 20:
                if struct.unpack('>H', l4[2:4])[0] != port:
                    continue
                doff = (l4[12] >> 4) * 4
                if len(l4) > doff:
                    out.append(l4[doff:])
            elif proto == 17 and len(l4) >= 8:
                if struct.unpack('>H', l4[2:4])[0] == port:
                    out.append(l4[8:])
    return out


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sent = 0
    if mode == 'garbage-tcp':
        for _ in range(int(sys.argv[4])):
            sent += tcp_send(addr, port, os.urandom(300), 0.05)
    elif mode == 'truncated-tcp':
        for _ in range(int(sys.argv[4])):
            sent += tcp_send(addr, port, struct.pack('>H', 139) + os.urandom(20), 0.05)
    elif mode == 'replay-tcp':
        payloads = pcap_payloads(sys.argv[4], sys.argv[5], port, 6)
        if not payloads:
            sys.exit('replay-tcp: no captured TCP payload from %s to port %d' % (sys.argv[5], port))
        sent += tcp_send(addr, port, payloads[0], 0.3)
    elif mode == 'flood-tcp':
        end = time.monotonic() + float(sys.argv[4])
        socks = []
        while time.monotonic() < end and sent < 20000:
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((addr, port))
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                continue
            socks.append(s)
            sent += 1
            if len(socks) > 200:
                for old in socks[:100]:
                    old.close()
                del socks[:100]
        for s in socks:
            s.close()
    elif mode in ('garbage-udp', 'replay-udp', 'flood-udp'):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        if mode == 'garbage-udp':
            for _ in range(int(sys.argv[4])):
                s.sendto(os.urandom(200 + sent % 1000), (addr, port))
                sent += 1
        elif mode == 'replay-udp':
            payloads = pcap_payloads(sys.argv[4], sys.argv[5], port, 17)
            if not payloads:
                sys.exit('replay-udp: no captured datagram from %s to port %d' % (sys.argv[5], port))
            for p in payloads[:500]:
                s.sendto(p, (addr, port))
                sent += 1
        else:
            end = time.monotonic() + float(sys.argv[4])
            while time.monotonic() < end and sent < 200000:
                # long header, Initial, version 1, random 8-byte CIDs
                pkt = bytes([0xc3]) + struct.pack('>I', 1) + b'\x08' + os.urandom(8) + \
                    b'\x08' + os.urandom(8) + os.urandom(1180)
                try:
                    s.sendto(pkt, (addr, port))
                    sent += 1
                except OSError:
                    time.sleep(0.001)
        s.close()
    else:
        sys.exit('unknown mode ' + mode)
    print('%s sent=%d' % (mode, sent))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small NTP server for tests: right, wrong or hostile on purpose.

    python3 hostile_ntp.py --addr 10.99.0.2 [--port 123] --mode MODE \\
        [--ahead SECONDS] [--log FILE]

It answers every client request (mode 3) it gets with one reply chosen
by --mode, its clock the host's plus --ahead seconds (which may be
negative, or days):

  good         a correct stratum 2 reply
  leap3        leap indicator 3: the server says it is unsynchronised
  stratum16    stratum 16: likewise
  deny         kiss-o'-death DENY: stop asking
  rate         kiss-o'-death RATE: ask less often
  origin       a correct reply whose origin is not the request's
               transmit timestamp (what a blind forger sends)
  zero-xmt     a transmit timestamp of zero

One log line per request goes to --log (or stderr): "rx from ADDR:PORT"
and "tx MODE". The first line is "ready" once the socket is bound. It
runs until SIGTERM or SIGINT.

    python3 hostile_ntp.py --query ADDR [--port 123]

asks the server at ADDR once and prints its offset from this host's
clock in seconds (RFC 5905 section 8), so that a server here can be set
to agree with a real one to the millisecond.
"""
import argparse
import signal
import socket
import struct
import sys
import time

NTP_EPOCH = 2208988800


def ntp_now(ahead):
    t = time.time() + ahead + NTP_EPOCH
    return int(t * 2**32) & (2**64 - 1)


def reply(req, mode, ahead):
    org = req[40:48]
    rec = ntp_now(ahead)
    leap, stratum, refid = 0, 2, b"\xc0\x00\x02\x01"
    if mode == "leap3":
        leap = 3
    elif mode == "stratum16":
        stratum = 16
    elif mode in ("deny", "rate"):
        stratum, refid = 0, mode.upper().encode()
    if mode == "origin":
        org = bytes(b ^ 0x5a for b in org)
    xmt = 0 if mode == "zero-xmt" else ntp_now(ahead)
    return struct.pack("!BBbbII4sQ8sQQ", leap << 6 | 4 << 3 | 4, stratum, 6,
                       -20, 0x10, 0x100, refid, rec - 2**32, org, rec, xmt)


def query(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    nonce = ntp_now(0)
    t1 = time.time()
    s.sendto(struct.pack("!B39xQ", 4 << 3 | 3, nonce), (addr, port))
    d = s.recv(1024)
    t4 = time.time()
    rec, xmt = (struct.unpack("!Q", d[i:i + 8])[0] / 2**32 - NTP_EPOCH
                for i in (32, 40))
    assert d[24:32] == struct.pack("!Q", nonce)
    print(f"{((rec - t1) + (xmt - t4)) / 2:.6f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--query")
    ap.add_argument("--addr")
    ap.add_argument("--port", type=int, default=123)
    ap.add_argument("--mode", default="good")
    ap.add_argument("--ahead", type=float, default=0.0)
    ap.add_argument("--log")
    a = ap.parse_args()
    if a.query:
        return query(a.query, a.port)
    log = open(a.log, "a", buffering=1) if a.log else sys.stderr
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    print("ready", file=log)
    while True:
        req, peer = s.recvfrom(1024)
        print(f"rx from {peer[0]}:{peer[1]}", file=log)
        if len(req) < 48 or req[0] & 7 != 3:
            continue
        s.sendto(reply(req, a.mode, a.ahead), peer)
        print(f"tx {a.mode}", file=log)


if __name__ == "__main__":
    main()

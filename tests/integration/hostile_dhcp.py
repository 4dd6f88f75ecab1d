#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small, deliberately hostile DHCPv4 server for tests.

It answers every DISCOVER and REQUEST it sees on one interface with
packets chosen by --mode: either correct ones (the control case) or
malformed ones that a robust DHCP client must ignore without crashing.

    python3 hostile_dhcp.py --iface IFNAME --server-ip 10.99.0.1 \\
        --offer-ip 10.99.0.50 --mode MODE [--count N] [--log FILE]

It needs no address on the interface: it receives and sends through an
AF_PACKET socket (SOCK_DGRAM, ETH_P_IP), so it sees the client's
broadcasts from 0.0.0.0 and replies with broadcast frames whose IPv4 and
UDP headers it builds itself. It runs until SIGTERM or SIGINT.

One log line per packet goes to --log (or stderr), e.g.

    rx DISCOVER xid=0x1a2b3c4d from 52:54:00:12:34:56
    tx OFFER(wrong-xid) xid=0x1a2b3c4e yiaddr=10.99.0.50 len=328

so a test can count the "tx " lines to prove hostile packets were sent.
The first line is "ready iface=... mode=..." once the socket is bound.

Modes (see MODES); every DISCOVER/REQUEST gets an answer:
  good          correct OFFER/ACK (53, 54, 51=600, 1=/24, 3, 6)
  truncated     last option runs past the end of the packet (IP/UDP
                lengths match the short packet); two variants
  overlong      option 51 with length 200; an option of length 255 that
                claims more bytes than remain
  wrong-xid     correct reply with xid + 1
  wrong-chaddr  correct reply addressed to another MAC
  overload      option 52 = 3 with garbage options in file/sname that run
                off the end of those fields; nested overload
  bad-121       option 121 with a width-40 route; a truncated route
  bad-119       option 119 with a self-pointer loop; a forward pointer
                into a two-name loop; a pointer past the end
  tiny          a 20-byte UDP payload
  bad-ip        IPv4 total length larger than the frame; a wrong
                non-zero UDP checksum on an otherwise correct reply
  nak           good OFFER for DISCOVER, NAK (56 = "go away") for REQUEST
  mix           each request gets the next hostile mode in HOSTILE_MODES
                (all its variants); after --count such hostile replies
                (default 6) it answers like "good"
  gauntlet      every request gets every hostile variant of every mode
                in HOSTILE_MODES, then one good reply last: a client must
                skip all the garbage to take the lease in one exchange

A mode with several variants sends all of them, one packet each, for
every request. Everything here is importable: parse_request() and
build_reply() return plain bytes (IPv4 packets) for other tests.
"""

import argparse
import signal
import socket
import struct
import sys
from dataclasses import dataclass, field

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
BROADCAST_MAC = b"\xff" * 6
BROADCAST_IP = "255.255.255.255"
SERVER_PORT = 67
CLIENT_PORT = 68
MAGIC = b"\x63\x82\x53\x63"
BOOTP_FIXED = 236  # op .. file, before the magic cookie

DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)
TYPE_NAMES = {
    DISCOVER: "DISCOVER", OFFER: "OFFER", REQUEST: "REQUEST",
    DECLINE: "DECLINE", ACK: "ACK", NAK: "NAK", RELEASE: "RELEASE",
    INFORM: "INFORM",
}

HOSTILE_MODES = [
    "truncated", "overlong", "wrong-xid", "wrong-chaddr", "overload",
    "bad-121", "bad-119", "tiny", "bad-ip",
]
MODES = ["good"] + HOSTILE_MODES + ["nak", "mix", "gauntlet"]

LEASE_SECONDS = 600
OTHER_MAC = bytes.fromhex("02deadbeef01")


# --------------------------------------------------------------------------
# helpers

def ip4(addr):
    """Dotted quad -> 4 bytes."""
    return socket.inet_aton(addr)


def mac_str(b):
    return ":".join(f"{x:02x}" for x in b)


def inet_checksum(data):
    """RFC 1071 ones' complement sum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def opt(code, data):
    """One well-formed option TLV."""
    data = bytes(data)
    if len(data) > 255:
        raise ValueError("option too long")
    return bytes([code, len(data)]) + data


def reply_type(req_type):
    """DISCOVER -> OFFER, REQUEST -> ACK, anything else -> None."""
    return {DISCOVER: OFFER, REQUEST: ACK}.get(req_type)


# --------------------------------------------------------------------------
# receiving

@dataclass
class Request:
    """What we keep from a client's BOOTREQUEST."""
    xid: int
    chaddr: bytes                 # 6-byte client MAC from chaddr
    msg_type: int = 0             # option 53, 0 if absent
    requested_ip: str = None      # option 50
    params: bytes = b""           # option 55
    flags: int = 0
    ciaddr: str = "0.0.0.0"
    src_ip: str = "0.0.0.0"
    src_mac: bytes = None         # from the link layer, if known

    @property
    def type_name(self):
        return TYPE_NAMES.get(self.msg_type, f"type{self.msg_type}")


def parse_options(buf):
    """Options as {code: bytes}; stops quietly at anything malformed.
    Repeated codes are concatenated (RFC 3396)."""
    out = {}
    i = 0
    while i < len(buf):
        code = buf[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(buf):
            break
        n = buf[i + 1]
        if i + 2 + n > len(buf):
            break
        out[code] = out.get(code, b"") + buf[i + 2:i + 2 + n]
        i += 2 + n
    return out


def parse_bootp_request(payload):
    """BOOTP/DHCP request payload -> Request, or None."""
    if len(payload) < BOOTP_FIXED + 4 or payload[0] != 1:
        return None
    if payload[BOOTP_FIXED:BOOTP_FIXED + 4] != MAGIC:
        return None
    xid, _secs, flags = struct.unpack_from("!IHH", payload, 4)
    ciaddr = socket.inet_ntoa(payload[12:16])
    hlen = min(payload[2], 16)
    chaddr = payload[28:28 + hlen]
    opts = parse_options(payload[BOOTP_FIXED + 4:])
    mt = opts.get(53, b"\0")
    req = Request(xid=xid, chaddr=chaddr, msg_type=mt[0] if mt else 0,
                  params=opts.get(55, b""), flags=flags, ciaddr=ciaddr)
    if len(opts.get(50, b"")) == 4:
        req.requested_ip = socket.inet_ntoa(opts[50])
    return req


def parse_request(packet, src_mac=None):
    """IPv4 packet (no link header) -> Request if it is UDP to port 67
    carrying a BOOTREQUEST, else None."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    tot_len, = struct.unpack_from("!H", packet, 2)
    frag, = struct.unpack_from("!H", packet, 6)
    if ihl < 20 or tot_len < ihl + 8 or tot_len > len(packet):
        return None
    if packet[9] != socket.IPPROTO_UDP or frag & 0x3FFF:
        return None
    packet = packet[:tot_len]  # drop link-layer padding
    _sport, dport, ulen = struct.unpack_from("!HHH", packet, ihl)
    if dport != SERVER_PORT or ulen < 8 or ihl + ulen > tot_len:
        return None
    req = parse_bootp_request(packet[ihl + 8:ihl + ulen])
    if req is not None:
        req.src_ip = socket.inet_ntoa(packet[12:16])
        req.src_mac = src_mac
    return req


# --------------------------------------------------------------------------
# building

def build_bootp(xid, chaddr, yiaddr="0.0.0.0", siaddr="0.0.0.0", flags=0,
                sname=b"", file=b"", options=b"", ciaddr="0.0.0.0", op=2):
    """A BOOTREPLY (op=1: a request): fixed header + magic cookie + raw option bytes.
    `options` is appended as-is (no END is added)."""
    if len(sname) > 64 or len(file) > 128:
        raise ValueError("sname/file too long")
    chaddr = bytes(chaddr)[:16]
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s",
                      op, 1, 6, 0, xid & 0xFFFFFFFF, 0, flags,
                      ip4(ciaddr), ip4(yiaddr), ip4(siaddr), ip4("0.0.0.0"),
                      chaddr.ljust(16, b"\0"), sname.ljust(64, b"\0"),
                      file.ljust(128, b"\0"))
    return hdr + MAGIC + bytes(options)


def build_ip_udp(payload, src_ip, dst_ip=BROADCAST_IP, sport=SERVER_PORT,
                 dport=CLIENT_PORT, udp_csum="good", ip_total_extra=0,
                 ip_id=0):
    """IPv4 + UDP around `payload`.

    udp_csum: "good" (correct), "zero" (none) or "bad" (wrong, non-zero).
    ip_total_extra: added to the IPv4 total length field only, so the
    header claims more bytes than the packet has (checksum still right).
    """
    ulen = 8 + len(payload)
    src, dst = ip4(src_ip), ip4(dst_ip)
    csum = 0
    if udp_csum in ("good", "bad"):
        pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_UDP, ulen)
        udp0 = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
        csum = inet_checksum(pseudo + udp0) or 0xFFFF
        if udp_csum == "bad":
            good = csum
            csum ^= 0x5A5A
            if csum in (0, 0xFFFF):
                csum = 0x1234 if good != 0x1234 else 0x4321
    elif udp_csum != "zero":
        raise ValueError(f"udp_csum {udp_csum!r}")
    udp = struct.pack("!HHHH", sport, dport, ulen, csum) + payload
    tot = 20 + len(udp) + ip_total_extra
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0x10, tot, ip_id & 0xFFFF, 0,
                      64, socket.IPPROTO_UDP, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]
    return hdr + udp


def ethernet_frame(ip_packet, src_mac, dst_mac=BROADCAST_MAC):
    """Link header for callers that use SOCK_RAW instead."""
    return bytes(dst_mac) + bytes(src_mac) + struct.pack("!H", ETH_P_IP) + \
        ip_packet


def end(options):
    """Options + END, padded like BOOTP wants (300-byte payload)."""
    o = bytes(options) + b"\xff"
    return o + bytes(max(0, 60 - len(o)))


def good_options(msg_type, server_ip):
    o = opt(53, [msg_type]) + opt(54, ip4(server_ip))
    if msg_type in (OFFER, ACK):
        o += (opt(51, struct.pack("!I", LEASE_SECONDS)) +
              opt(1, ip4("255.255.255.0")) +
              opt(3, ip4(server_ip)) + opt(6, ip4(server_ip)))
    return o


@dataclass
class Reply:
    label: str          # e.g. "OFFER(bad-121:width40)"
    packet: bytes       # full IPv4 packet
    xid: int
    yiaddr: str
    chaddr: bytes = field(default=b"")


def _variants(mode, mtype, req, server_ip, offer_ip):
    """(variant name, bootp payload, ip/udp kwargs) for one mode."""
    xid, ch, fl = req.xid, req.chaddr, req.flags
    good = good_options(mtype, server_ip)

    def bootp(options, **kw):
        args = dict(xid=xid, chaddr=ch, yiaddr=offer_ip, flags=fl)
        args.update(kw)
        return build_bootp(options=options, **args)

    if mode == "good":
        return [("", bootp(end(good)), {})]
    if mode == "nak":
        if mtype == OFFER:
            return [("", bootp(end(good)), {})]
        o = opt(53, [NAK]) + opt(54, ip4(server_ip)) + opt(56, b"go away")
        return [("", bootp(end(o), yiaddr="0.0.0.0"), {})]
    if mode == "truncated":
        return [
            # option 12 claims 60 bytes, 5 are there, packet ends
            ("len-past-end", bootp(good + b"\x0c\x3c" + b"trunc"), {}),
            # packet ends right after an option code: no length byte
            ("no-len-byte", bootp(good + b"\x0f"), {}),
        ]
    if mode == "overlong":
        o51 = opt(53, [mtype]) + opt(54, ip4(server_ip)) + \
            opt(51, struct.pack("!I", LEASE_SECONDS) * 50) + \
            opt(1, ip4("255.255.255.0")) + opt(3, ip4(server_ip)) + \
            opt(6, ip4(server_ip))
        o51 = end(o51)
        return [
            ("51-len200", bootp(o51), {}),
            # code 43, length 255, only 8 bytes left in the packet
            ("len255", bootp(good + b"\x2b\xff" + b"A" * 8), {}),
        ]
    if mode == "wrong-xid":
        return [("", bootp(end(good), xid=(xid + 1) & 0xFFFFFFFF), {})]
    if mode == "wrong-chaddr":
        other = OTHER_MAC if ch[:6] != OTHER_MAC else bytes.fromhex(
            "02deadbeef02")
        return [("", bootp(end(good), chaddr=other), {})]
    if mode == "overload":
        # file: option 3 claiming 200 bytes inside a 128-byte field
        file_ = b"\x03\xc8" + b"\x0a\x63\x00\x01" * 31 + b"\x0a\x63"
        # sname: option 6 claiming 100 bytes inside a 64-byte field
        sname = b"\x06\x64" + b"\x0a\x63\x00\x01" * 15 + b"\x0a\x63"
        # nested: file carries another 52=3, sname an option 53 of
        # length 0 and then garbage without END
        file2 = opt(52, [3]) + opt(53, b"") + b"\xff"
        sname2 = b"\x35\x00" + b"\x01\x07" * 31
        return [
            ("runoff", bootp(end(good + opt(52, [3])),
                             sname=sname, file=file_), {}),
            ("nested", bootp(end(good + opt(52, [3])),
                             sname=sname2, file=file2), {}),
        ]
    if mode == "bad-121":
        width40 = bytes([40]) + bytes(5) + ip4(server_ip)
        # 24-bit destination needs 3 + 4 bytes, only 3 present
        trunc = bytes([0]) + ip4(server_ip) + bytes([24, 10, 99, 1])
        return [
            ("width40", bootp(end(good + opt(121, width40))), {}),
            ("truncated-route",
             bootp(end(good + opt(121, trunc))), {}),
        ]
    if mode == "bad-119":
        selfloop = b"\xc0\x00"
        # "foo" -> forward to offset 6 "bar" -> back to offset 0: a loop
        fwd = b"\x03foo\xc0\x06\x03bar\xc0\x00"
        past = b"\x03foo\xc0\x7f"
        return [
            ("self-loop", bootp(end(good + opt(119, selfloop))), {}),
            ("forward-loop", bootp(end(good + opt(119, fwd))), {}),
            ("past-end", bootp(end(good + opt(119, past))), {}),
        ]
    if mode == "tiny":
        return [("", bootp(end(good))[:20], {})]
    if mode == "bad-ip":
        p = bootp(end(good))
        return [
            ("ip-len-past-frame", p, {"ip_total_extra": 100}),
            ("bad-udp-csum", p, {"udp_csum": "bad"}),
        ]
    raise ValueError(f"unknown mode {mode!r}")


def build_reply(mode, req, server_ip, offer_ip, ip_id=0):
    """Replies (list of Reply, possibly empty) that `mode` sends for
    request `req`. `mix` is stateful and lives in Server; pass a concrete
    mode here."""
    mtype = reply_type(req.msg_type)
    if mtype is None:
        return []
    if mode == "mix":
        raise ValueError("mix is handled by Server; pass a concrete mode")
    out = []
    for i, (variant, payload, kw) in enumerate(
            _variants(mode, mtype, req, server_ip, offer_ip)):
        if mode == "nak" and mtype == ACK:
            label = "NAK"
        elif mode in ("good", "nak"):
            label = f"{TYPE_NAMES[mtype]}(good)"
        else:
            tag = f"{mode}:{variant}" if variant else mode
            label = f"{TYPE_NAMES[mtype]}({tag})"
        pkt = build_ip_udp(payload, server_ip, ip_id=ip_id + i, **kw)
        xid = struct.unpack_from("!I", payload, 4)[0] if len(payload) >= 8 \
            else req.xid
        yi = socket.inet_ntoa(payload[16:20]) if len(payload) >= 20 \
            else "?"
        out.append(Reply(label, pkt, xid, yi, payload[28:34]))
    return out


# --------------------------------------------------------------------------
# server

class Stop(Exception):
    pass


class Server:
    def __init__(self, iface, server_ip, offer_ip, mode, count=6, log=None):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.iface = iface
        self.server_ip = server_ip
        self.offer_ip = offer_ip
        self.mode = mode
        self.count = count
        self.log = log or sys.stderr
        self.hostile_replies = 0   # mix: requests answered with garbage
        self.ip_id = 1
        self.sock = None

    def say(self, line):
        self.log.write(line + "\n")
        self.log.flush()

    def next_mode(self):
        """The concrete mode for the next request."""
        if self.mode != "mix":
            return self.mode
        if self.hostile_replies >= self.count:
            return "good"
        m = HOSTILE_MODES[self.hostile_replies % len(HOSTILE_MODES)]
        self.hostile_replies += 1
        return m

    def open(self):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                          socket.htons(ETH_P_IP))
        s.bind((self.iface, ETH_P_IP))
        self.sock = s
        self.say(f"ready iface={self.iface} mode={self.mode} "
                 f"server={self.server_ip} offer={self.offer_ip}")

    def handle(self, req):
        if self.mode == "gauntlet":
            for mode in HOSTILE_MODES + ["good"]:
                self.send(mode, req, f" [gauntlet {mode}]")
            return
        mode = self.next_mode()
        extra = ""
        if self.mode == "mix":
            extra = f" [mix {self.hostile_replies}/{self.count}]" \
                if mode != "good" else " [mix done]"
        self.send(mode, req, extra)

    def send(self, mode, req, extra):
        replies = build_reply(mode, req, self.server_ip, self.offer_ip,
                              ip_id=self.ip_id)
        self.ip_id = (self.ip_id + len(replies)) & 0xFFFF
        for r in replies:
            self.sock.sendto(r.packet, (self.iface, ETH_P_IP, 0, 0,
                                        BROADCAST_MAC))
            self.say(f"tx {r.label} xid=0x{r.xid:08x} yiaddr={r.yiaddr} "
                     f"chaddr={mac_str(r.chaddr)} len={len(r.packet)}"
                     f"{extra}")

    def run(self):
        if self.sock is None:
            self.open()
        while True:
            data, addr = self.sock.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            req = parse_request(data, src_mac=addr[4][:6])
            if req is None:
                continue
            src = mac_str(req.src_mac or req.chaddr[:6])
            detail = ""
            if req.requested_ip:
                detail += f" requested={req.requested_ip}"
            if req.params:
                detail += f" params={','.join(str(c) for c in req.params)}"
            self.say(f"rx {req.type_name} xid=0x{req.xid:08x} from {src}"
                     f"{detail}")
            self.handle(req)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iface", required=True)
    ap.add_argument("--server-ip", required=True)
    ap.add_argument("--offer-ip", required=True)
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--count", type=int, default=6,
                    help="mix: hostile replies before answering good")
    ap.add_argument("--log", help="log file (default stderr)")
    a = ap.parse_args(argv)
    for v in (a.server_ip, a.offer_ip):
        try:
            ip4(v)
        except OSError:
            ap.error(f"bad IPv4 address {v!r}")

    log = open(a.log, "a", buffering=1) if a.log else sys.stderr

    def stop(signum, _frame):
        raise Stop(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv = Server(a.iface, a.server_ip, a.offer_ip, a.mode, a.count, log)
    try:
        srv.open()
    except OSError as e:
        sys.stderr.write(f"hostile_dhcp: {a.iface}: {e.strerror}\n")
        return 1
    try:
        srv.run()
    except Stop as e:
        srv.say(f"exit signal={e.args[0]}")
    finally:
        srv.close()
        if log is not sys.stderr:
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

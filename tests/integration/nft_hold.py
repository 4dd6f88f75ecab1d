#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hold an nftables table so that no other program may change it.

    python3 nft_hold.py FAMILY NAME

Creates table FAMILY NAME (FAMILY: ip, ip6 or inet) with the owner flag
(NFT_TABLE_F_OWNER, Linux 5.12): the kernel refuses any other netlink
socket's change to it with EPERM, and deletes it when this process's
socket closes. Prints "held" once the kernel has acked, then waits until
it is killed or its standard input closes. For tests that need an
nftables batch to fail whole, as it would against another firewall
manager that owns the table.
"""
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 0x10, 0x11
NFT_MSG_NEWTABLE = 0
NFTA_TABLE_NAME, NFTA_TABLE_FLAGS = 1, 2
NFT_TABLE_F_OWNER = 0x2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE = 0x1, 0x4, 0x400
NLMSG_ERROR = 2
FAMILIES = {"ip": 2, "ip6": 10, "inet": 1}


def attr(kind, payload):
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def msg(kind, flags, seq, family, res_id, payload=b""):
    body = struct.pack("!BBH", family, 0, res_id) + payload
    return struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | flags,
                       seq, 0) + body


def main():
    family, name = FAMILIES[sys.argv[1]], sys.argv[2].encode() + b"\0"
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    table = attr(NFTA_TABLE_NAME, name) + \
        attr(NFTA_TABLE_FLAGS, struct.pack("!I", NFT_TABLE_F_OWNER))
    s.send(msg(NFNL_MSG_BATCH_BEGIN, 0, 1, 0, NFNL_SUBSYS_NFTABLES) +
           msg(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE,
               NLM_F_CREATE | NLM_F_ACK, 2, family, 0, table) +
           msg(NFNL_MSG_BATCH_END, 0, 3, 0, NFNL_SUBSYS_NFTABLES))
    reply = s.recv(65536)
    kind, = struct.unpack_from("=H", reply, 4)
    err, = struct.unpack_from("=i", reply, 16)
    if kind != NLMSG_ERROR or err:
        sys.exit(f"nft_hold: cannot create table {sys.argv[1]} "
                 f"{sys.argv[2]}: error {-err}")
    print("held", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()

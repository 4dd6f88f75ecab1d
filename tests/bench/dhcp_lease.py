#!/usr/bin/env python3
"""Link up to address applied: netd vs busybox udhcpc, side by side.

    dhcp_lease.py [NETD] [ROUNDS]   (default: the image's netd, 20)

Two network namespaces joined by a veth pair; the distribution's dnsmasq
serves DHCP on the server end. Each round takes the server end down (no
carrier on the client end), flushes the client's address and netd's
remembered lease (so both clients DISCOVER from scratch), then, from a
process in the client namespace already listening for address events,
sets the server end up (t0) and waits for the lease's address to appear
on the client end (t1). netd is already running and sees the carrier
come up; udhcpc is started at t0 (as a script would on a link-up event)
with a default script that makes the same `ip` calls. The rounds
alternate netd and udhcpc. Prints the medians, udhcpc/netd as a ratio
(goal: netd no slower, ratio >= 1), and netd's resident memory with
the lease held (goal: under 1 MiB).

The netd measured is the static musl build that goes into the image.
"""
import ctypes
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLONE_NEWNET = 0x40000000
RTMGRP_IPV4_IFADDR = 0x10
RTM_NEWADDR = 20

UDHCPC_SCRIPT = """#!/bin/sh
# what a default udhcpc script does for a lease: the same ip calls netd
# makes through netlink
case "$1" in
bound|renew)
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
	;;
deconfig)
	ip addr flush dev "$interface"
	;;
esac
exit 0
"""


def sh(*argv):
    subprocess.run(argv, check=True, capture_output=True)


def setns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)


def wait_address(nl, index, deadline):
    """Block until an IPv4 address is added on interface index."""
    while time.monotonic() < deadline:
        nl.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = nl.recv(65536)
        except socket.timeout:
            break
        off = 0
        while off + 16 <= len(data):
            length, kind = struct.unpack_from("=LH", data, off)
            if length < 16:
                break
            if kind == RTM_NEWADDR:
                family, _, _, _, ifindex = struct.unpack_from("=BBBBL", data,
                                                              off + 16)
                if family == socket.AF_INET and ifindex == index:
                    return time.monotonic()
            off += (length + 3) & ~3
    raise TimeoutError("no address within the deadline")


def one_round(ns_srv, ns_cli, client, script, tmp):
    """In a child in the client namespace: t0 = carrier up, t1 = address."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            setns(ns_cli)
            index = socket.if_nametoindex("cl0")
            nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
            nl.bind((0, RTMGRP_IPV4_IFADDR))
            t0 = time.monotonic()
            subprocess.run(["ip", "-n", ns_srv, "link", "set", "srv0", "up"],
                           check=True)
            proc = None
            if client == "udhcpc":
                proc = subprocess.Popen(
                    ["busybox", "udhcpc", "-i", "cl0", "-f", "-q", "-s",
                     script], stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
            t1 = wait_address(nl, index, t0 + 30)
            if proc:
                proc.wait(10)
            os.write(w, f"{t1 - t0:.6f}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    got = os.read(r, 64).decode()
    os.close(r)
    os.waitpid(pid, 0)
    if not got:
        raise RuntimeError(f"{client}: no address")
    return float(got)


def reset(ns_srv, ns_cli, state):
    sh("ip", "-n", ns_srv, "link", "set", "srv0", "down")
    time.sleep(0.3)  # let netd see the carrier go
    sh("ip", "-n", ns_cli, "addr", "flush", "dev", "cl0", "scope", "global")
    for f in os.listdir(state):
        os.unlink(os.path.join(state, f))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main():
    netd = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        TOP, "output", "qemu-x86_64", "build", "keel", "netd")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if os.geteuid() != 0:
        sys.exit("dhcp_lease: needs root (network namespaces)")
    for tool in ("dnsmasq", "busybox", "ip"):
        if not shutil.which(tool):
            sys.exit(f"dhcp_lease: no {tool}: run scripts/setup-host")
    tag = uuid.uuid4().hex[:6]
    ns_srv, ns_cli = f"kbs-{tag}", f"kbc-{tag}"
    tmp = tempfile.mkdtemp(prefix="dhcp-bench-")
    procs = []
    try:
        sh("ip", "netns", "add", ns_srv)
        sh("ip", "netns", "add", ns_cli)
        sh("ip", "link", "add", f"kba{tag}", "type", "veth", "peer", "name",
           f"kbb{tag}")
        sh("ip", "link", "set", f"kba{tag}", "netns", ns_srv)
        sh("ip", "link", "set", f"kbb{tag}", "netns", ns_cli)
        sh("ip", "-n", ns_srv, "link", "set", f"kba{tag}", "name", "srv0")
        sh("ip", "-n", ns_cli, "link", "set", f"kbb{tag}", "name", "cl0")
        sh("ip", "-n", ns_srv, "addr", "add", "10.99.0.1/24", "dev", "srv0")
        sh("ip", "-n", ns_srv, "link", "set", "srv0", "up")
        sh("ip", "-n", ns_cli, "link", "set", "cl0", "up")
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", ns_srv, "dnsmasq", "--no-daemon",
             "--conf-file=/dev/null", "--interface=srv0", "--bind-interfaces",
             "--except-interface=lo", "--port=0", "--no-ping", "--user=root",
             "--pid-file=", f"--dhcp-leasefile={tmp}/leases",
             "--dhcp-range=10.99.0.50,10.99.0.150,1h"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        script = os.path.join(tmp, "udhcpc.script")
        with open(script, "w") as f:
            f.write(UDHCPC_SCRIPT)
        os.chmod(script, 0o755)
        conf = os.path.join(tmp, "network.conf")
        with open(conf, "w") as f:
            f.write("[cl0]\ndhcp = yes\n")
        state = os.path.join(tmp, "state")
        os.makedirs(state)
        time.sleep(0.5)
        times = {"netd": [], "udhcpc": []}
        nd = None
        for i in range(rounds):
            for client in ("netd", "udhcpc"):
                reset(ns_srv, ns_cli, state)
                if client == "netd" and nd is None:
                    nd = subprocess.Popen(
                        ["ip", "netns", "exec", ns_cli, netd, "--config",
                         conf, "--state", state, "--run", f"{tmp}/run"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    procs.append(nd)
                    time.sleep(0.5)
                if client == "udhcpc" and nd is not None:
                    # one client on the link at a time
                    nd.send_signal(signal.SIGTERM)
                    nd.wait(10)
                    nd = None
                    reset(ns_srv, ns_cli, state)
                times[client].append(
                    one_round(ns_srv, ns_cli, client, script, tmp))
            print(f"round {i + 1}: netd {times['netd'][-1] * 1000:6.1f} ms, "
                  f"udhcpc {times['udhcpc'][-1] * 1000:6.1f} ms", flush=True)
        # steady state with one lease: netd alone, bound, idle
        reset(ns_srv, ns_cli, state)
        nd = subprocess.Popen(
            ["ip", "netns", "exec", ns_cli, netd, "--config", conf,
             "--state", state, "--run", f"{tmp}/run"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(nd)
        time.sleep(0.5)
        one_round(ns_srv, ns_cli, "netd", script, tmp)
        time.sleep(2)
        rss = rss_kib(nd.pid)
        n, u = (statistics.median(times[c]) for c in ("netd", "udhcpc"))
        print(f"netd:   median {n * 1000:6.1f} ms link up -> address "
              f"({rounds} rounds)")
        print(f"udhcpc: median {u * 1000:6.1f} ms (busybox "
              f"{subprocess.run(['busybox'], capture_output=True, text=True).stdout.split()[1]}"
              f", default-style script)")
        print(f"ratio udhcpc/netd: {u / n:.2f}  (goal >= 1: netd no slower)")
        print(f"netd RSS with one lease: {rss} KiB  (goal < 1024 KiB; "
              f"{os.path.basename(netd)}, "
              f"{os.path.getsize(netd)} bytes)")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        subprocess.run(["ip", "netns", "del", ns_cli])
        subprocess.run(["ip", "netns", "del", ns_srv])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

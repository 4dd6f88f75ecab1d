#!/usr/bin/env python3
"""netd's time sync: link up to synced, one sync beside chronyd's, and
netd's memory with the sync on.

    ntp_sync.py [NETD] [ROUNDS]   (default: the image's netd, 10)

Two network namespaces joined by a veth pair; on the server end the
distribution's dnsmasq (DHCP, option 42 naming the NTP server) and
chronyd (the NTP server, -x: it never sets this host's clock, and three
days ahead of it, as a box with a stale clock sees the world). netd
runs with --clock-dry-run, so this host's clock is never touched either.

1. Link up to synced (the goal: a box that boots with a wrong clock
   has the right one moments after its network): each round takes the
   server end down (no carrier), forgets netd's lease, starts netd,
   sets the server end up (t0) and waits for netd's time-synced marker
   (t1). The path: DHCP (DISCOVER from scratch), option 42, one NTP
   exchange, the clock stepped.
2. One sync from a cold start, side by side with chronyd's one-shot
   client (`chronyd -Q`, which measures and prints the offset without
   setting the clock), both on a link that is up with its address:
   process start to the offset known. chronyd takes four samples at
   iburst spacing before it believes one; netd believes the first good
   answer of each server (SNTP, RFC 5905 section 14), and falsetickers
   only fall out when several servers are known.
3. netd's resident memory, synced and idle (goal: under 1 MiB).

The netd measured is the static musl build that goes into the image.
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AHEAD_S = 3 * 86400
NO_SYS_TIME = ["setpriv", "--inh-caps=-sys_time", "--bounding-set=-sys_time"]


def sh(*argv):
    subprocess.run(argv, check=True, capture_output=True)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def wait_file(path, deadline):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {path}")
        time.sleep(0.001)
    return time.monotonic()


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def chronyd_server(ns, tmp):
    d = os.path.join(tmp, "chrony")
    os.makedirs(d, mode=0o700)
    with open(os.path.join(d, "chrony.conf"), "w") as f:
        f.write(f"pidfile {d}/chronyd.pid\ndriftfile {d}/drift\n"
                f"bindcmdaddress {d}/chronyd.sock\nbindaddress 10.99.0.1\n"
                "local stratum 3\nmanual\nallow all\n")
    p = subprocess.Popen(["ip", "netns", "exec", ns] + NO_SYS_TIME +
                         ["chronyd", "-x", "-d", "-u", "root", "-f",
                          f"{d}/chrony.conf"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    wait_file(f"{d}/chronyd.sock", time.monotonic() + 10)
    when = time.strftime("%Y-%m-%d %H:%M:%S",
                         time.gmtime(time.time() + AHEAD_S))
    subprocess.run(["chronyc", "-h", f"{d}/chronyd.sock", "settime", when],
                   check=True, capture_output=True,
                   env=dict(os.environ, TZ="UTC"))
    return p


class Bench:
    def __init__(self, netd, tmp, tag):
        self.netd_bin, self.tmp = netd, tmp
        self.srv, self.cli = f"kbs-{tag}", f"kbc-{tag}"
        self.conf = os.path.join(tmp, "network.conf")
        self.state = os.path.join(tmp, "state")
        self.run = os.path.join(tmp, "run")
        self.marker = os.path.join(self.run, "time-synced")

    def netd(self, conf):
        with open(self.conf, "w") as f:
            f.write(conf)
        for d in (self.state, self.run):
            shutil.rmtree(d, ignore_errors=True)
        return subprocess.Popen(
            ["ip", "netns", "exec", self.cli, self.netd_bin, "--config",
             self.conf, "--state", self.state, "--run", self.run,
             "--clock-dry-run", "--clock-file",
             os.path.join(self.tmp, "clock")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def link_up_to_synced(self):
        sh("ip", "-n", self.srv, "link", "set", "srv0", "down")
        sh("ip", "-n", self.cli, "addr", "flush", "dev", "cl0", "scope",
           "global")
        nd = self.netd("[cl0]\ndhcp = yes\n")
        try:
            time.sleep(0.5)  # netd up, seeing no carrier
            t0 = time.monotonic()
            sh("ip", "-n", self.srv, "link", "set", "srv0", "up")
            return wait_file(self.marker, t0 + 30) - t0
        finally:
            stop(nd)

    def netd_cold(self):
        t0 = time.monotonic()
        nd = self.netd("ntp = 10.99.0.1\n[cl0]\naddress = 10.99.0.2/24\n")
        try:
            return wait_file(self.marker, t0 + 30) - t0
        finally:
            stop(nd)

    def chronyd_cold(self):
        t0 = time.monotonic()
        r = subprocess.run(
            ["ip", "netns", "exec", self.cli] + NO_SYS_TIME +
            ["chronyd", "-Q", "-u", "root", "-f", "/dev/null",
             "server 10.99.0.1 iburst",
             f"pidfile {self.tmp}/chronyd-q.pid"],
            capture_output=True, text=True, timeout=60)
        t1 = time.monotonic()
        if "System clock wrong by" not in r.stderr + r.stdout:
            raise RuntimeError(f"chronyd -Q: {r.stderr}")
        return t1 - t0


def setup(b):
    sh("ip", "netns", "add", b.srv)
    sh("ip", "netns", "add", b.cli)
    tag = b.srv[4:]
    sh("ip", "link", "add", f"kba{tag}", "type", "veth", "peer", "name",
       f"kbb{tag}")
    sh("ip", "link", "set", f"kba{tag}", "netns", b.srv)
    sh("ip", "link", "set", f"kbb{tag}", "netns", b.cli)
    sh("ip", "-n", b.srv, "link", "set", f"kba{tag}", "name", "srv0")
    sh("ip", "-n", b.cli, "link", "set", f"kbb{tag}", "name", "cl0")
    sh("ip", "-n", b.srv, "addr", "add", "10.99.0.1/24", "dev", "srv0")
    sh("ip", "-n", b.srv, "link", "set", "srv0", "up")
    sh("ip", "-n", b.srv, "link", "set", "lo", "up")
    sh("ip", "-n", b.cli, "link", "set", "cl0", "up")


def main():
    netd = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        TOP, "output", "qemu-x86_64", "build", "keel", "netd")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    if os.geteuid() != 0:
        sys.exit("ntp_sync: needs root (network namespaces)")
    for tool in ("dnsmasq", "chronyd", "chronyc", "ip", "setpriv"):
        if not shutil.which(tool):
            sys.exit(f"ntp_sync: no {tool}: run scripts/setup-host")
    tmp = tempfile.mkdtemp(prefix="ntp-bench-")
    b = Bench(netd, tmp, uuid.uuid4().hex[:6])
    procs = []
    try:
        setup(b)
        procs.append(chronyd_server(b.srv, tmp))
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", b.srv, "dnsmasq", "--no-daemon",
             "--conf-file=/dev/null", "--interface=srv0", "--bind-interfaces",
             "--except-interface=lo", "--port=0", "--no-ping", "--user=root",
             "--pid-file=", f"--dhcp-leasefile={tmp}/leases",
             "--dhcp-range=10.99.0.50,10.99.0.150,1h",
             "--dhcp-option=option:ntp-server,10.99.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)
        up = []
        for i in range(rounds):
            up.append(b.link_up_to_synced())
            print(f"round {i + 1}: link up -> synced {up[-1] * 1000:6.1f} ms",
                  flush=True)
        # cold starts on a link that is up, side by side
        sh("ip", "-n", b.cli, "addr", "add", "10.99.0.2/24", "dev", "cl0")
        cold = {"netd": [], "chronyd": []}
        for i in range(max(3, rounds // 2)):
            cold["netd"].append(b.netd_cold())
            cold["chronyd"].append(b.chronyd_cold())
        # memory: netd synced and idle, its lease held
        nd = b.netd("[cl0]\ndhcp = yes\n")
        procs.append(nd)
        wait_file(b.marker, time.monotonic() + 30)
        time.sleep(2)
        rss = rss_kib(nd.pid)
        n, c = (statistics.median(cold[k]) for k in ("netd", "chronyd"))
        print(f"netd:    median {statistics.median(up) * 1000:6.1f} ms link "
              f"up -> synced (DHCP, option 42, one NTP exchange; "
              f"{rounds} rounds)")
        print(f"netd:    median {n * 1000:6.1f} ms start -> synced, link up")
        print(f"chronyd: median {c * 1000:6.1f} ms start -> offset known "
              f"(chronyd -Q, server iburst: four samples)")
        print(f"ratio chronyd/netd (cold start): {c / n:.1f}")
        print(f"netd RSS synced, with one lease: {rss} KiB  (goal < 1024 "
              f"KiB; {os.path.basename(netd)}, {os.path.getsize(netd)} "
              f"bytes)")
    finally:
        for p in reversed(procs):
            stop(p)
        subprocess.run(["ip", "netns", "del", b.cli])
        subprocess.run(["ip", "netns", "del", b.srv])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

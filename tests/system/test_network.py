"""netd in the booted image: DHCP from QEMU's user-mode server, DNS,
the host's loopback services reached through it, status, and a static
configuration from the ESP, with the time from an NTP server on the
host."""
import http.server
import os
import re
import socketserver
import subprocess
import threading
import time

import pytest

import keelvm
import ntpserver

pytestmark = pytest.mark.skipif(not keelvm.have_qemu(), reason="no qemu")


def wait_address(m, addr="10.0.2.15", timeout=60):
    deadline = time.time() + timeout
    while True:
        out = m.check("ip -4 addr show dev eth0")
        if f"inet {addr}/" in out:
            return out
        if time.time() > deadline:
            raise AssertionError(f"eth0 never got {addr}:\n{out}\n"
                                 + m.check("netd status; cat /var/log/netd.log"))
        time.sleep(1)


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the host loopback\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def host_server():
    srv = socketserver.TCPServer(("127.0.0.1", 0), Hello)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_dhcp_from_qemu_and_host_loopback(host_server, workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        wait_address(m)
        log = m.check("cat /var/log/netd.log")
        assert re.search(r"eth0: dhcp: bound 10\.0\.2\.15/24 from "
                         r"10\.0\.2\.2, lease \d+ s", log), log
        routes = m.check("ip route")
        assert re.search(r"default via 10\.0\.2\.2 dev eth0", routes), routes
        # QEMU's DNS server, written by netd, through the /etc symlink
        assert "nameserver 10.0.2.3" in m.check("cat /etc/resolv.conf")
        out = m.check(f"wget -qO- http://10.0.2.2:{host_server}/")
        assert "hello from the host loopback" in out
        st = m.check("netd status")
        assert re.search(r"^eth0 +up +carrier yes", st, re.M), st
        assert re.search(r"dhcp bound: 10\.0\.2\.15 from 10\.0\.2\.2, "
                         r"\d+ s left", st), st
        assert re.search(r"default via 10\.0\.2\.2 dev eth0 metric \d+ "
                         r"\(dhcp\)", st), st
        assert re.search(r"^netd +ready", m.check("initctl status"), re.M)
        # the lease is remembered on /var for the next boot
        assert "address 10.0.2.15" in m.check(
            "cat /var/lib/keel/netd/lease-*")
    finally:
        m.kill()


DAYS_AHEAD = 3


@pytest.fixture
def ntp_server(tmp_path):
    """chronyd on the host, DAYS_AHEAD days ahead: (port, seconds); None
    without chronyd (the boot's other checks still run)."""
    if not ntpserver.have_chronyd():
        yield None
        return
    with ntpserver.chronyd(tmp_path, DAYS_AHEAD * 86400) as server:
        yield server


def guest_time(m):
    return int(m.check("date +%s").strip())


def time_follows(m, ahead):
    """The guest's clock, its RTC at 2001, follows the server (ahead
    seconds ahead of the host) within a minute of ready, and so do the
    marker, the saved time and the RTC."""
    ready = time.time()
    while abs(guest_time(m) - (time.time() + ahead)) > 10:
        assert time.time() < ready + 60, \
            m.check("date; netd status; cat /var/log/netd.log")
        time.sleep(2)
    log = m.check("cat /var/log/netd.log")
    # from the clock's floor (the image's build time, not 2001): a step of
    # at least the server's lead
    step = re.search(r"ntp: stepped the clock by \+(\d+)\.\d{6} s", log)
    assert step and int(step.group(1)) >= ahead - 60, log
    assert "netd: time synced" in log
    st = m.check("netd status")
    assert re.search(r"^time: synced to 10\.0\.2\.2, offset [+-]\d+\.\d+ s, "
                     r"\d+ s ago$", st, re.M), st
    assert re.search(r"^  server 10\.0\.2\.2: offset", st, re.M), st
    # the marker for services, the saved time for the next boot
    assert "10.0.2.2" in m.check("cat /run/keel/time-synced")
    saved = int(m.check("cat /var/lib/keel/clock").strip())
    assert abs(saved - (time.time() + ahead)) < 120
    # STA_UNSYNC clear: the kernel copies its clock to the RTC at once,
    # then every 11 minutes (CONFIG_RTC_SYSTOHC)
    deadline = time.time() + 30
    while abs(int(m.check("cat /sys/class/rtc/rtc0/since_epoch")) -
              guest_time(m)) > 5:
        assert time.time() < deadline, "the RTC was not set"
        time.sleep(2)


@pytest.mark.one_arch("x86_64")
def test_static_config_from_esp(ntp_server, workdir):
    """config/network.conf on the ESP (as a user writes it before the
    first boot) wins over the image's DHCP default. Its ntp server is
    chronyd on the host, days ahead of the host's time, with QEMU's RTC
    at 2001: the guest's clock follows the server within a minute of
    ready, and the kernel's clock is marked synchronised."""
    ntp = f"ntp = 10.0.2.2:{ntp_server[0]}\n" if ntp_server else ""
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    conf = os.path.join(workdir, "network.conf")
    with open(conf, "w") as f:
        f.write(f"dns = 10.0.2.3\nsearch = keel.test\n{ntp}"
                "\n[eth0]\naddress = 10.0.2.77/24\ngateway = 10.0.2.2\n"
                "required = yes\n")
    start, _ = keelvm.partition_extent(disk, 1)
    img = f"{disk}@@{start}"
    subprocess.run(["mmd", "-i", img, "::config"], check=False,
                   capture_output=True)
    subprocess.run(["mcopy", "-o", "-i", img, conf, "::config/network.conf"],
                   check=True)
    m = keelvm.Machine(disk, workdir,
                       extra_args=["-rtc", "base=2001-01-01T00:00:00"]).start()
    try:
        m.wait_ready()
        if ntp_server:
            time_follows(m, ntp_server[1])
        wait_address(m, "10.0.2.77")
        assert "10.0.2.15" not in m.check("ip -4 addr show dev eth0")
        assert re.search(r"default via 10\.0\.2\.2 dev eth0",
                         m.check("ip route"))
        resolv = m.check("cat /etc/resolv.conf")
        assert "search keel.test" in resolv and "nameserver 10.0.2.3" in resolv
        # user-mode networking answers for the gateway
        m.check("ping -c 1 -W 5 10.0.2.2")
        assert "config: /boot/config/network.conf /etc/keel/network.conf" \
            in m.check("netd status")
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_pod_network_reaches_the_host(host_server, workdir):
    """A pod's network namespace gets eth0 on keel0 and reaches the
    host's loopback through the guest's uplink, masqueraded."""
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        wait_address(m)
        m.check("unshare -n sleep 1000 & echo $! > /run/podpid")
        forwarding = ("cat /proc/sys/net/ipv4/ip_forward "
                      "/proc/sys/net/ipv6/conf/all/forwarding")
        assert m.check(forwarding).split() == ["0", "0"]
        out = m.check("netd pod-add t1 /proc/$(cat /run/podpid)/ns/net")
        assert re.search(r"address 10\.88\.0\.2/16 gateway 10\.88\.0\.1 "
                         r"interface vk[0-9a-f]{8}", out), out
        inside = "nsenter -t $(cat /run/podpid) -n "
        assert "inet 10.88.0.2/16" in m.check(inside + "ip addr show eth0")
        got = m.check(inside + f"wget -qO- http://10.0.2.2:{host_server}/")
        assert "hello from the host loopback" in got
        log = m.check("cat /var/log/netd.log")
        # the modules came from the root filesystem, on demand
        assert re.search(r"loaded \d+ kernel modules for pod networks", log)
        # nft_ct loaded for the forward filter, then forwarding on (IPv4)
        assert "firewall and outbound NAT on, IPv4 forwarding on" in log
        assert m.check(forwarding).split() == ["1", "0"]
        m.check("netd pod-del t1")
        rc, _ = m.run(inside + "ip link show eth0")
        assert rc != 0
    finally:
        m.kill()

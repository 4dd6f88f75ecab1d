"""hostPort in the booted image: netd's DNAT rules take a connection
from the real host, through QEMU's user-mode port forward to the guest's
eth0, to a web server in a pod's network namespace; the guest reaches it
at its own address too (the output chain); pod-del closes the port."""
import os
import re
import socket
import subprocess
import time
import urllib.request

import pytest

import keelvm

pytestmark = pytest.mark.skipif(
    not keelvm.have_qemu() or not keelvm.busybox(),
    reason="needs qemu and the distribution's static busybox of the "
    "guest's arch (make test-busybox; the image's has no httpd)")

BODY = "hello through a host port"


def wait_address(m, addr="10.0.2.15", timeout=60):
    deadline = time.time() + timeout
    while f"inet {addr}/" not in m.check("ip -4 addr show dev eth0"):
        if time.time() > deadline:
            raise AssertionError(f"eth0 never got {addr}:\n"
                                 + m.check("cat /var/log/netd.log"))
        time.sleep(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port):
    """The page at 127.0.0.1:port on this host, or what went wrong."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/",
                                    timeout=5) as r:
            return r.read().decode()
    except Exception as e:  # refused, reset, timed out: all "no"
        return f"error: {e!r}"


def test_host_port(workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    # the distribution's static busybox, for its httpd, by way of the ESP
    start, _ = keelvm.partition_extent(disk, 1)
    subprocess.run(["mcopy", "-o", "-i", f"{disk}@@{start}", keelvm.busybox(),
                    "::t-busybox"], check=True)
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        wait_address(m)
        m.check("cp /boot/t-busybox /run/busybox && chmod 755 /run/busybox")
        m.check(f"mkdir -p /run/www && echo {BODY} >/run/www/index.html")
        m.check("unshare -n sleep 1000 & echo $! > /run/podpid")
        pod_ns = "/proc/$(cat /run/podpid)/ns/net"
        out = m.check(f"netd pod-add hp {pod_ns} tcp:8080:80")
        assert re.search(r"address 10\.88\.0\.2/16 ", out), out
        m.check("nsenter -t $(cat /run/podpid) -n /run/busybox httpd -p 80 "
                "-h /run/www")

        port = free_port()
        r = m.qmp.cmd("human-monitor-command", **{
            "command-line": f"hostfwd_add net0 tcp:127.0.0.1:{port}-:8080"})
        assert r.get("return") == "", r
        # host -> QEMU -> 10.0.2.15:8080 -> DNAT (prerouting) -> the pod
        deadline = time.time() + 20
        while BODY not in (got := fetch(port)) and time.time() < deadline:
            time.sleep(1)
        assert BODY in got, got + "\n" + m.check("cat /var/log/netd.log")
        # the guest at its own address: the output chain
        assert BODY in m.check("wget -qO- -T 5 http://10.0.2.15:8080/")
        log = m.check("cat /var/log/netd.log")
        assert "pod hp: address 10.88.0.2/16" in log
        assert "host ports tcp:8080:80" in log
        assert "2 tcp:8080:80" in m.check("cat /run/keel/pods/hp")

        # refused before anything is made: the netns path is not even
        # looked at
        rc, out = m.run("netd pod-add hp2 /run/none tcp:8080:81")
        assert rc == 1 and "host port tcp/8080 is taken by pod hp" in out, \
            out
        rc, out = m.run("netd pod-add hp2 /run/none tcp:80")
        assert rc == 1 and "bad host port 'tcp:80'" in out, out

        m.check("netd pod-del hp")
        assert BODY not in fetch(port)
        rc, out = m.run("wget -qO- -T 5 http://10.0.2.15:8080/")
        assert rc != 0, out
    finally:
        m.kill()

"""Boot failures init must explain, then offer the emergency shell (or
reboot when that is turned off); with no one at the console, a /var that
cannot be mounted gives way to a degraded boot. Most boot the kernel and
initramfs from the image's ESP directly, so each test can choose the
command line."""
import functools
import hashlib
import http.server
import os
import re
import socket
import socketserver
import subprocess
import threading
import time

import pytest

import keelvm

# init's failure paths: the same code on every arch
pytestmark = pytest.mark.one_arch("x86_64")


@pytest.fixture(scope="module")
def kernel_files(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("esp"))
    disk = os.path.join(keelvm.images_dir(), "disk.img")
    offset, _ = keelvm.partition_extent(disk, 1)
    files = {}
    for name in ("vmlinuz", "initramfs.img"):
        dest = os.path.join(work, name)
        subprocess.run(["mcopy", "-n", "-i", f"{disk}@@{offset}",
                        f"::a/{name}", dest], check=True)
        files[name] = dest
    verity, _ = keelvm.slot_settings(disk, "a", work)
    return files["vmlinuz"], files["initramfs.img"], verity


def boot(workdir, kernel_files, append, corrupt_data=False):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    if corrupt_data:
        # neither blank nor ext4: init must not format it
        offset, size = keelvm.partition_extent(disk, 4)
        with open(disk, "r+b") as f:
            f.seek(offset)
            f.write(os.urandom(1 << 20))
    kernel, initrd, verity = kernel_files
    m = keelvm.Machine(disk, workdir,
                       kernel_boot=(kernel, initrd,
                                    f"console={keelvm.console()} quiet {verity} " + append))
    return m.start()


def test_missing_root_partition(workdir, kernel_files):
    m = boot(workdir, kernel_files, "root=PARTLABEL=nope rootwait=2")
    try:
        # to the line's end: a match on what has come so far could stop at
        # any entry's ")" (CI saw one)
        m.expect(r"unable to find root partition PARTLABEL=nope: "
                 r"No such file or directory \(waited 2 s; partitions: "
                 r"([^\r\n]*)\)" + keelvm.NL)
        listed = m.child.match.group(1)
        for part in ("(esp)", "(root-a)", "(root-b)", "(data)"):
            assert part in listed
        assert listed.split() == sorted(listed.split()), listed
        # a root that cannot be mounted has nothing to boot: no timeout
        m.expect(r"keel: press Enter for an emergency shell \(" +
                 keelvm.console() + r"\)" + keelvm.NL)
        # the line typed is the shell's first command
        m.sync_shell()
        assert f"keel: emergency shell on /dev/{keelvm.console()}" in \
            m.console_text()
        # the shell is real: it can see the initramfs
        assert m.check("ls /init").strip() == "/init"
    finally:
        m.kill()


def test_bad_root_spec(workdir, kernel_files):
    m = boot(workdir, kernel_files, "root=LABEL=x rootwait=1")
    try:
        m.expect(r"unable to find root partition LABEL=x: use "
                 r"PARTLABEL=<name> or /dev/<name>")
        m.expect(r"keel: press Enter for an emergency shell")
    finally:
        m.kill()


def test_unrepairable_data_partition(workdir, kernel_files):
    m = boot(workdir, kernel_files, "root=PARTLABEL=root-a", corrupt_data=True)
    try:
        m.expect(r"keel: stage 2")
        m.expect(r"unable to repair data partition /dev/vda4: e2fsck -p "
                 r"exit (\d+),")
        assert int(m.child.match.group(1)) >= 4
        m.expect(r"keel: press Enter for an emergency shell \(\w+\); with "
                 r"no one there, boot goes on degraded in 15 s")
        m.sync_shell()
        assert "keel: emergency shell on /dev/" in m.console_text()
        # nothing was formatted or mounted
        rc, out = m.run("grep -c ' /var ' /proc/mounts")
        assert out.strip() == "0"
        assert "data: created" not in m.console_text()
    finally:
        m.kill()


def test_unverified_root_is_refused(workdir, kernel_files):
    kernel, initrd, _ = kernel_files
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir, kernel_boot=(
        kernel, initrd,
        f"console={keelvm.console()} quiet root=PARTLABEL=root-a")).start()
    try:
        m.expect(r"no keel.verity= on the command line: refusing to mount "
                 r"/dev/vda2 unverified")
        m.expect(r"keel: press Enter for an emergency shell")
    finally:
        m.kill()


def test_wrong_root_hash_fails(workdir, kernel_files):
    m = boot(workdir, kernel_files, "root=PARTLABEL=root-a keel.verity=" +
             "0" * 64 + ":" + kernel_files[2].split(":")[1])
    try:
        # every block fails verification: the root cannot be mounted
        m.expect(r"unable to mount /dev/dm-0 read-only as|unable to mount "
                 r"/dev/dm-0 \(squashfs\)")
        m.expect(r"keel: press Enter for an emergency shell")
    finally:
        m.kill()


def test_no_emergency_shell_reboots(workdir, kernel_files):
    m = boot(workdir, kernel_files,
             "root=PARTLABEL=nope rootwait=1 keel.emergency=0")
    try:
        m.expect(r"emergency shell disabled; rebooting in \d+ s")
        # -no-reboot turns the guest's reboot into QEMU exiting
        m.wait_exit(60)
    finally:
        m.kill()


def corrupt_data(disk):
    """Neither blank nor ext4, and e2fsck -p cannot repair it."""
    offset, size = keelvm.partition_extent(disk, 4)
    with open(disk, "r+b") as f:
        f.seek(offset)
        f.write(os.urandom(1 << 20))
    return offset, size


def partition_digest(disk, offset, size):
    h = hashlib.sha256()
    with open(disk, "rb") as f:
        f.seek(offset)
        left = size
        while left:
            chunk = f.read(min(left, 1 << 20))
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def busybox_server():
    """The test containers' busybox over HTTP on 127.0.0.1 (the guest's
    10.0.2.2): the image's busybox has no nc server."""
    path = keelvm.busybox()
    if not path:
        pytest.skip("no static busybox (make test-busybox)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=os.path.dirname(path))
    handler.log_message = lambda *a: None
    srv = socketserver.TCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_nobody_at_the_console_boots_degraded(workdir, busybox_server):
    """A good slot whose data partition e2fsck cannot repair, and no one
    at the console: after CONFIG_KEEL_EMERGENCY_WAIT (15 s in the test
    image) init boots with /var on a tmpfs, the services and the network
    up, says why in initctl health, and leaves the partition as it was."""
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    extent = corrupt_data(disk)
    before = partition_digest(disk, *extent)
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.expect(r"unable to repair data partition /dev/vda4: e2fsck -p "
                 r"exit \d+", timeout=180)
        m.expect(r"keel: press Enter for an emergency shell \(ttyS0\); "
                 r"with no one there, boot goes on degraded in 15 s")
        t0 = time.time()
        m.expect(r"keel: no one at the console for 15 s", timeout=60)
        assert time.time() - t0 > 12
        m.expect(r"keel: booting degraded: data partition unusable, /var "
                 r"is a tmpfs: unable to repair data partition /dev/vda4")
        m.expect(r"keel: ready at [0-9.]+ s since kernel start \(degraded; "
                 r"initctl health says why\)", timeout=120)
        m.sync_shell()
        var = [l.split() for l in m.check("cat /proc/mounts").splitlines()
               if l.split()[1] == "/var"]
        assert var and var[-1][2] == "tmpfs", var
        rc, out = m.run("initctl health")
        assert rc == 1, out
        assert re.search(r"^degraded: data partition unusable, /var is a "
                         r"tmpfs: unable to repair data partition /dev/vda4: "
                         r"e2fsck -p exit \d+", out, re.M), out
        # the host answers on the network: the same line, from a port the
        # test reaches through QEMU's user network
        deadline = time.time() + 60
        while "inet 10.0.2.15/" not in m.check("ip -4 addr show dev eth0"):
            assert time.time() < deadline, m.check("netd status")
            time.sleep(1)
        m.check("printf '#!/bin/sh\\ninitctl health 2>&1\\n' >/tmp/h && "
                "chmod +x /tmp/h")
        m.check(f"wget -qO /tmp/busybox http://10.0.2.2:{busybox_server}/"
                "busybox && chmod +x /tmp/busybox")
        m.check("(/tmp/busybox nc -l -p 7777 -e /tmp/h </dev/null "
                ">/dev/null 2>&1 &)")
        port = free_port()
        reply = m.qmp.cmd("human-monitor-command", **{
            "command-line": f"hostfwd_add net0 tcp:127.0.0.1:{port}-:7777"})
        assert "error" not in reply, reply
        # (QEMU accepts on the host side at once; until nc listens in the
        # guest, such a connection just closes)
        deadline = time.time() + 30
        got = b""
        while not got and time.time() < deadline:
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=30) as s:
                while chunk := s.recv(4096):
                    got += chunk
            time.sleep(0.5)
        assert got.startswith(b"degraded: data partition unusable"), got
    finally:
        m.kill()
    # never formatted, never written
    assert partition_digest(disk, *extent) == before

"""OS updates end to end: signed bundles served over HTTP from 127.0.0.1
(the guest reaches it as 10.0.2.2 through QEMU's user network), installed
by imaged into the inactive slot, booted by GRUB, kept by the health gate
or rolled back by boot counting; refused when tampered with."""
import functools
import glob
import http.server
import os
import re
import shutil
import ssl
import subprocess
import threading
import time

import pytest

import keelvm

BOARD = os.path.basename(keelvm.board_dir().rstrip("/"))
KEY = os.path.join(keelvm.TOP, ".dev-keys", "bundle-signing.pem")
# tests/system/test.config
TRIES = 2


def build_dir():
    return os.path.join(os.path.dirname(keelvm.images_dir()), "build")


def make_bundle(work, name, version, edit=None, cmdline="", key=KEY,
                board=BOARD, fmt=2, delta=False, magic="KEELBDL2"):
    """A bundle of the test image's root with os-release at `version`,
    after edit(root dir) if given; with delta, also <name>-delta.keelb
    and its chunk store <name>.castr. magic KEELBDL1: the old header,
    signed without the bundle context, as mkbundle wrote it before."""
    images = keelvm.images_dir()
    root = os.path.join(work, name + ".root")
    shutil.copytree(os.path.join(os.path.dirname(images), "target"), root,
                    symlinks=True)
    rel = os.path.join(root, "etc", "os-release")
    with open(rel) as f:
        text = f.read()
    with open(rel, "w") as f:
        f.write(re.sub(r"(?m)^VERSION_ID=.*$", f"VERSION_ID={version}", text))
    if edit:
        edit(root)
    img = os.path.join(work, name + ".img")
    subprocess.run([os.path.join(keelvm.TOP, "scripts", "mkroot"), root, img,
                    "squashfs", img + ".verity"], check=True)
    with open(img + ".verity") as f:
        verity = f.read().strip()
    kernel = glob.glob(os.path.join(build_dir(), "linux", "boot", "vmlinuz-*"))[0]
    out = os.path.join(work, name + ".keelb")
    subprocess.run([os.path.join(keelvm.TOP, "scripts", "mkbundle"),
                    "--key", key, "--version", version, "--board", board,
                    "--verity", verity, "--root", img, "--kernel", kernel,
                    "--initramfs", os.path.join(images, "initramfs.cpio.gz"),
                    "--cmdline", cmdline, "--format", str(fmt),
                    "--magic", magic, "-o", out]
                   + (["--delta", os.path.join(work, name + "-delta.keelb"),
                       "--store", os.path.join(work, name + ".castr")]
                      if delta else []),
                   check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(root)
    os.unlink(img)
    return out


def manifest(bundle):
    with open(bundle, "rb") as f:
        head = f.read(16)
        return f.read(int.from_bytes(head[8:12], "little")).decode()


def index_ids(data):
    """The chunk ids of a casync index, in order (caindex.h)."""
    n = (len(data) - 64) // 40 - 1
    return [data[64 + 40 * i + 8:64 + 40 * i + 40].hex() for i in range(n)]


def chunked_index(bundle, name):
    m = re.search(rf"^chunked {name} (\d+) (\d+) ", manifest(bundle), re.M)
    with open(bundle, "rb") as f:
        f.seek(int(m.group(1)))
        return f.read(int(m.group(2)))


def fetched_chunk(work, delta, base):
    """A chunk of the delta's root the running root (the test image's)
    does not have: one the install must fetch."""
    images = keelvm.images_dir()
    with open(os.path.join(images, "root.verity")) as f:
        blocks = int(f.read().strip().split(":")[1])
    data = os.path.join(work, "running-root.data")
    with open(os.path.join(images, "root.img"), "rb") as f, \
            open(data, "wb") as g:
        g.write(f.read(blocks * 4096))
    idx = os.path.join(work, "running-root.caibx")
    subprocess.run(["casync", "make", "--digest=sha256",
                    "--chunk-size=4096:16384:65536",
                    f"--store={os.path.join(work, 'scratch.castr')}", idx,
                    data], check=True, capture_output=True)
    with open(idx, "rb") as f:
        have = set(index_ids(f.read()))
    want = index_ids(chunked_index(delta, "root"))
    return next(i for i in want if i not in have)


def store_variant(work, base, sub, chunk, how):
    """The delta of bundle base in work/sub/, beside a copy of its store
    with chunk corrupted or missing (the delta names its store relative
    to itself, and is signed as it is)."""
    os.mkdir(os.path.join(work, sub))
    shutil.copy(os.path.join(work, base + "-delta.keelb"),
                os.path.join(work, sub))
    store = os.path.join(work, sub, base + ".castr")
    shutil.copytree(os.path.join(work, base + ".castr"), store)
    path = os.path.join(store, chunk[:4], chunk + ".cacnk")
    os.chmod(path, 0o644)
    if how == "missing":
        os.unlink(path)
        return
    with open(path, "rb") as f:
        raw = subprocess.run(["zstd", "-dc"], stdin=f, check=True,
                             capture_output=True).stdout
    raw = raw[:100] + bytes([raw[100] ^ 1]) + raw[101:]
    with open(path, "wb") as f:
        f.write(subprocess.run(["zstd", "-c"], input=raw, check=True,
                               capture_output=True).stdout)


def flip_bit(src, dest, offset):
    shutil.copyfile(src, dest)
    with open(dest, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


def relabel(src, dest, magic):
    shutil.copyfile(src, dest)
    with open(dest, "r+b") as f:
        f.write(magic)


def payload_offset(bundle, name):
    with open(bundle, "rb") as f:
        head = f.read(16)
        manifest = f.read(int.from_bytes(head[8:12], "little")).decode()
    m = re.search(rf"^payload {name} (\d+) (\d+)", manifest, re.M)
    return int(m.group(1)), int(m.group(2))


def unhealthy(root):
    # a required service that never says it is ready: a network that
    # never comes up, a pod that never gets healthy
    with open(os.path.join(root, "etc", "init", "t-unhealthy.conf"), "w") as f:
        f.write("exec = /bin/sleep 100000\nready = notify\nrequired = yes\n")


def init_exits(root):
    init = os.path.join(root, "sbin", "init")
    os.unlink(init)
    with open(init, "w") as f:
        f.write("#!/bin/sh\necho 'broken init: exiting'\nexit 1\n")
    os.chmod(init, 0o755)


def one_binary(root):
    """150 KB more of one binary: what a small fix to one program is to
    the root (a static ELF runs with bytes after it)."""
    with open(os.path.join(root, "sbin", "netd"), "ab") as f:
        f.write(os.urandom(150 * 1024))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Every bundle the tests use, served on 127.0.0.1."""
    work = str(tmp_path_factory.mktemp("bundles"))
    v2 = make_bundle(work, "v2", "0.2.0", delta=True)
    # an old bundle, as mkbundle wrote them before issue 20
    v2_old = make_bundle(work, "v2-format1", "0.2.0", fmt=1, magic="KEELBDL1")
    make_bundle(work, "v2b", "0.2.1", edit=one_binary, delta=True)
    make_bundle(work, "v3-unhealthy", "0.3.0", edit=unhealthy)
    make_bundle(work, "v3-init-exits", "0.3.0", edit=init_exits)
    # the kernel finds neither its rdinit nor a root: it panics
    make_bundle(work, "v3-panic", "0.3.0",
                cmdline="rdinit=/nonexistent root=/dev/nonexistent")
    make_bundle(work, "old", "0.0.9")
    make_bundle(work, "other-board", "0.2.0", board="pc-x86_64")
    other_key = os.path.join(work, "other.pem")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", other_key], check=True)
    make_bundle(work, "other-key", "0.2.0", key=other_key)
    for payload in ("root", "kernel", "initramfs", "verity"):
        off, size = payload_offset(v2, payload)
        flip_bit(v2, os.path.join(work, f"flip-{payload}.keelb"),
                 off + size // 2)
    flip_bit(v2, os.path.join(work, "flip-manifest.keelb"), 40)
    # the magic says whether the signature covers the bundle context:
    # relabelled either way, the signature no longer matches
    relabel(v2, os.path.join(work, "relabelled-v1.keelb"), b"KEELBDL1")
    relabel(v2_old, os.path.join(work, "relabelled-v2.keelb"), b"KEELBDL2")
    with open(v2, "rb") as f, \
            open(os.path.join(work, "short.keelb"), "wb") as g:
        g.write(f.read(os.path.getsize(v2) - 5000))
    chunk = fetched_chunk(work, os.path.join(work, "v2b-delta.keelb"), "v2b")
    store_variant(work, "v2b", "corrupt", chunk, "corrupt")
    store_variant(work, "v2b", "missing", chunk, "missing")
    SERVED["chunk"] = chunk

    handler = functools.partial(_QuietHandler, directory=work)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://10.0.2.2:{httpd.server_address[1]}", work
    httpd.shutdown()


# body bytes the test server sent, and the chunk the store variants spoil
SERVED = {"bytes": 0, "chunk": None}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """The bundle folder with Range (RFC 9110 section 14), as a CDN
    serves it, over kept-alive connections; and on request a network
    that misbehaves: /cut/NAME drops the connection after 40% of the body
    (when asked from the start), /trickle/NAME sends 30% and then a byte
    every 2 s."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path, mode = self.path.split("?")[0], None
        for m in ("cut", "trickle"):
            if path.startswith(f"/{m}/"):
                mode, path = m, path[len(m) + 1:]
        fs = os.path.join(self.directory, path.lstrip("/"))
        if ".." in path or not os.path.isfile(fs):
            self.send_error(404)
            return
        size, start = os.path.getsize(fs), 0
        rng = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if rng:
            start = int(rng.group(1))
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        try:
            self.body(fs, start, size, mode, bool(rng))
        except (BrokenPipeError, ConnectionResetError):
            # imaged hangs up as soon as it has seen enough of a bad bundle
            self.close_connection = True

    def body(self, fs, pos, size, mode, ranged):
        cut = size * 4 // 10 if mode == "cut" and not ranged else None
        slow = size * 3 // 10 if mode == "trickle" else None
        with open(fs, "rb") as f:
            f.seek(pos)
            while pos < size:
                n = 65536
                if cut is not None and pos + n > cut:
                    n = cut - pos
                    if n <= 0:
                        self.close_connection = True
                        return
                if slow is not None and pos >= slow:
                    n = 1
                    time.sleep(2)
                data = f.read(n)
                self.wfile.write(data)
                self.wfile.flush()
                SERVED["bytes"] += len(data)
                pos += len(data)


def wait_network(m, timeout=60):
    """netd's DHCP lease from QEMU's user-mode network."""
    deadline = time.time() + timeout
    while "inet 10.0.2.15/" not in m.check("ip -4 addr show dev eth0"):
        assert time.time() < deadline, m.check("netd status")
        time.sleep(1)


def boot(disk, work):
    m = keelvm.Machine(disk, work).start()
    m.wait_ready()
    wait_network(m)
    return m


def status(m):
    return m.check("imagectl os status")


def slot_line(text, slot):
    return re.search(rf"^slot {slot}: .*$", text, re.M).group(0)


def booted(m):
    return re.search(r"keel\.slot=([ab])", m.check("cat /proc/cmdline")).group(1)


def version(m):
    return re.search(r"VERSION_ID=(\S+)", m.check("cat /etc/os-release")).group(1)


def wait_status(m, pattern, timeout=90):
    """Poll imagectl os status until pattern shows."""
    deadline = time.time() + timeout
    while True:
        text = status(m)
        if re.search(pattern, text, re.M):
            return text
        if time.time() > deadline:
            raise AssertionError(f"no {pattern!r} in:\n{text}")
        time.sleep(2)


def reboot_ready(m, timeout=240):
    """After the guest reboots by itself: wait for the next ready."""
    m.expect(r"keel: ready at", timeout)
    m.sync_shell()
    wait_network(m)


def test_update_v1_to_v2_and_back(server, workdir):
    url, _ = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        assert booted(m) == "a" and version(m) == "0.1.0"
        m.check("echo kept > /var/lib/marker && sync")
        m.child.sendline(f"imagectl os update {url}/v2.keelb")
        m.expect(rf"verified: keel 0\.2\.0 for {BOARD}, signed, its "
                 r"verity tree matching; installing into slot b")
        # bytes, rate and time left as it goes
        m.expect(r"write: 100% \([\d.]+ of [\d.]+ MiB, [\d.]+ MiB/s, 0 s left\)")
        m.expect(r"installed keel 0\.2\.0 into slot b; boots next")
        m.expect(r"rebooting into it now")
        reboot_ready(m)
        assert booted(m) == "b" and version(m) == "0.2.0"
        # the health gate passes (every required service is ready)
        text = wait_status(m, r"slot b \(0\.2\.0\) passed the health gate")
        assert re.search(r"^slot b: 0\.2\.0 +good, booted, boots next$",
                         text, re.M), text
        assert re.search(r"^slot a: 0\.1\.0 +good$", text, re.M), text
        assert m.check("cat /var/lib/marker").strip() == "kept"
        # a second update of the same version is refused
        rc, out = m.run(f"imagectl os update {url}/v2.keelb")
        assert rc == 1 and "not newer than the running 0.2.0" in out, out

        # and back: the old slot is still good
        m.child.sendline("imagectl os rollback")
        m.expect(r"slot a \(0\.1\.0\) boots next; rebooting now")
        reboot_ready(m)
        assert booted(m) == "a" and version(m) == "0.1.0"
        text = status(m)
        assert "rollback asked for: slot a (0.1.0) boots next" in text, text
        assert m.check("cat /var/lib/marker").strip() == "kept"
    finally:
        m.kill()


# refused before a byte is written
REFUSED = [
    ("flip-manifest", "bad signature"),
    ("relabelled-v1", "bad signature"),
    ("relabelled-v2", "bad signature"),
    ("flip-verity", r"verity tree does not match the signed root hash "
                    r"\(level 0 block \d+\)"),
    ("other-key", "bad signature: no trusted key \\(of 1\\) signed this bundle"),
    ("other-board", f"bundle is for board pc-x86_64; this is a {BOARD}"),
    ("old", "bundle version 0.0.9 is not newer than the running 0.1.0"),
    ("missing", "HTTP status 404"),
]
# found while the bundle streams into the slot, already not bootable
STOPPED = [
    ("flip-root", r"root block \d+ \(at byte \d+\) does not match the "
                  r"verity tree"),
    ("flip-kernel", "payload kernel is corrupt"),
    ("flip-initramfs", "payload initramfs is corrupt"),
    ("short", "the bundle is cut short"),
]


ZEROS_4M_MD5 = "b5cfa9d6c8febd618f91ac2843d50a1c"


@pytest.mark.one_arch("x86_64")
def test_tampered_bundles_refused_before_writing(server, workdir):
    url, _ = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        before = status(m)
        state = " ".join(keelvm.bootstate_files())
        env = m.check(f"md5sum {state}")
        for name, why in REFUSED:
            rc, out = m.run(f"imagectl os update {url}/{name}.keelb")
            assert rc == 1, (name, out)
            assert re.search(why, out), (name, out)
            assert "(nothing written)" in out, (name, out)
            # slot b is still blank, the boot state as it was
            assert m.check("head -c 4194304 /dev/vda3 | md5sum").split()[0] \
                == ZEROS_4M_MD5
            assert m.check("ls /boot/b") == ""
        assert m.check(f"md5sum {state}") == env
        # nothing changed on disk; the failure is reported
        after = status(m)
        assert slot_line(after, "b") == slot_line(before, "b")
        assert "update: failed: " in after, after
        # the first bad block (or payload, or the end) stops the install
        for name, why in STOPPED:
            rc, out = m.run(f"imagectl os update {url}/{name}.keelb")
            assert rc == 1, (name, out)
            assert re.search(why, out), (name, out)
            assert "(slot b left not bootable)" in out, (name, out)
            text = status(m)
            assert re.search(r"^slot b: .*not bootable$", text, re.M), text
            assert re.search(r"^slot a: 0\.1\.0 +good, booted, boots next$",
                             text, re.M), text
            assert m.check("ls /boot/b") == ""
    finally:
        m.kill()


@pytest.mark.parametrize("variant,why", [
    # imaged's health gate and init's exit: the same on every arch
    pytest.param("v3-unhealthy",
                 r"slot b \(0\.3\.0\) failed its health gate after 20 s: "
                 r"not ready: t-unhealthy is starting",
                 marks=pytest.mark.one_arch("x86_64")),
    pytest.param("v3-init-exits",
                 r"slot b \(0\.3\.0\) never reached the health gate",
                 marks=pytest.mark.one_arch("aarch64")),
    ("v3-panic", r"slot b \(0\.3\.0\) never reached the health gate"),
])
def test_broken_update_rolls_back(server, workdir, variant, why):
    url, _ = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        m.child.sendline(f"imagectl os update {url}/{variant}.keelb")
        m.expect(r"rebooting into it now")
        # every try of b fails, then GRUB boots a (vda2) again
        m.expect(r"keel: root /dev/vda2 verified", 900)
        reboot_ready(m)
        assert booted(m) == "a" and version(m) == "0.1.0"
        tries_of_b = m.console_text().count("keel: root /dev/vda3 verified")
        assert tries_of_b == (0 if variant == "v3-panic" else TRIES)
        text = wait_status(m, r"^last: .*rolled back to slot a \(0\.1\.0\)")
        assert re.search(why, text), text
        assert re.search(r"^slot a: 0\.1\.0 +good, booted, boots next$",
                         text, re.M), text
        assert re.search(r"^slot b: 0\.3\.0 +not bootable$", text, re.M), text
        # a good update still goes in afterwards
        m.child.sendline(f"imagectl os update {url}/v2.keelb")
        reboot_ready(m)
        assert booted(m) == "b" and version(m) == "0.2.0"
        wait_status(m, r"passed the health gate")
    finally:
        m.kill()


def test_verity_error_in_new_slot_fails_over(server, workdir):
    url, _ = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        # the install's state shows in imagectl os status while it runs
        m.check(f"(imagectl os update --no-reboot {url}/v2.keelb "
                ">/tmp/update.out 2>&1; touch /tmp/update.done) & true")
        # (and once after its end: a fast install's last state may come
        # between two looks)
        m.check("while [ ! -e /tmp/update.done ]; do imagectl os status | "
                "grep '^update: '; done >/tmp/phases; imagectl os status | "
                "grep '^update: ' >>/tmp/phases; true", timeout=120)
        phases = set(re.findall(r"^update: \[([a-z ]+)\]",
                                m.check("cat /tmp/phases"), re.M))
        assert "done" in phases and len(phases) > 1, phases
        assert "installed keel 0.2.0" in m.check("cat /tmp/update.out")
        # one block of the installed root changes on the disk
        m.check("dd if=/dev/urandom of=/dev/vda3 bs=4096 count=1 "
                "conv=notrunc,fsync 2>/dev/null")
        m.child.sendline("initctl reboot")
        m.expect(r"data block 0 is corrupted", 120)
        m.expect(r"keel: root /dev/vda2 verified", 600)
        reboot_ready(m)
        assert booted(m) == "a"
        text = wait_status(m, r"rolled back to slot a")
        assert "never reached the health gate" in text, text
    finally:
        m.kill()


def fault_points(name):
    """A list of imaged/os/update.h: UPDATE_FAULT_POINTS, in the order an
    install passes them (one at the end of each state of the install), or
    UPDATE_DELTA_FAULT_POINTS, those only a delta bundle passes."""
    with open(os.path.join(keelvm.TOP, "imaged", "os", "update.h")) as f:
        text = f.read()
    m = re.search(rf"#define {name}((?:.*\\\n)*.*)", text)
    return re.findall(r'"([^"]+)"', m.group(1))


DELTA_ONLY = fault_points("UPDATE_DELTA_FAULT_POINTS")
FAULT_POINTS = [p for p in fault_points("UPDATE_FAULT_POINTS")
                if p not in DELTA_ONLY]
# before this one nothing is written: no note, nothing to report
FIRST_WRITE = FAULT_POINTS.index("unbootable")


def consistent_slot(m):
    """The running root is the one its slot's ESP files describe: same
    version, same verity root hash. Returns the slot."""
    slot = booted(m)
    assert m.check(f"cat /boot/{slot}/version").strip() == version(m)
    cmdline = m.check("cat /proc/cmdline")
    name, end = keelvm.slot_file()
    cfg = m.check(f"cat /boot/{slot}/{name}")
    verity = re.search(r"keel\.verity=(\S+)", cmdline).group(1)
    assert f"keel.verity={verity}{end}" in cfg.replace("\r", ""), \
        (cmdline, cfg)
    return slot


def test_power_cut_at_every_fault_point(server, workdir):
    url, _ = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        running = "a"
        for point in keelvm.share_of(FAULT_POINTS):
            new = "b" if running == "a" else "a"
            last = re.findall(r"^last: .*$", status(m), re.M)
            m.check(f"echo {point} > /run/imaged.fault")
            m.child.sendline(f"imagectl os update --force {url}/v2.keelb")
            m.expect(rf"imaged: fault point '{point}': power cut")
            reboot_ready(m)
            slot = consistent_slot(m)
            # before the commit the old slot runs on; after it, the new
            assert slot == (new if point == "committed" else running), point
            if point == "committed":
                wait_status(m, r"passed the health gate")
                running = new
                continue
            if FAULT_POINTS.index(point) < FIRST_WRITE:
                # nothing was written: nothing to report
                text = status(m)
                assert re.findall(r"^last: .*$", text, re.M) == last, text
            else:
                text = wait_status(m, r"cut off before its commit")
            assert re.search(rf"^slot {running}: \S+ +good, booted", text,
                             re.M), (point, text)
            # and a retried update goes through
            m.child.sendline(f"imagectl os update --force {url}/v2.keelb")
            reboot_ready(m)
            assert consistent_slot(m) == new, point
            wait_status(m, r"passed the health gate")
            running = new
    finally:
        m.kill()


def slot_digest(m, slot, size):
    """sha256 of the first size bytes of slot's root partition, read
    past the caches."""
    dev = "/dev/vda3" if slot == "b" else "/dev/vda2"
    m.check(f"echo 3 > /proc/sys/vm/drop_caches")
    return m.check(f"head -c {size} {dev} | sha256sum", timeout=120).split()[0]


def root_data(bundle):
    """The root's data blocks and their size, from a full bundle."""
    off, size = payload_offset(bundle, "root")
    with open(bundle, "rb") as f:
        f.seek(off)
        return f.read(size)


@pytest.mark.one_arch("x86_64")
def test_delta_update(server, workdir):
    """A delta bundle fetches only the chunks the running slot lacks, and
    writes the same root casync extract makes from the same index and
    seed; an old bundle (format 1, its header KEELBDL1, signed without
    the bundle context) still installs. A kernel file slot b has already
    is kept, not written, but still checked: one changed behind its sums
    stops the install, and the next writes it."""
    import hashlib
    url, work = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        # from a file, named as a user names it (relative: imagectl sends
        # imaged its absolute path)
        m.check(f"mkdir -p /var/tmp && cd /var/tmp && "
                f"wget -q -O old.keelb {url}/v2-format1.keelb"
                " && imagectl os update --no-reboot old.keelb && "
                "rm old.keelb && cd /", timeout=300)
        assert "slot b: 0.2.0" in status(m)
        # the ESP is read-only again once the install is committed: it
        # is written for an install and the boot state alone
        mounts = m.check("grep ' /boot ' /proc/mounts")
        assert " ro," in mounts, mounts
        log = m.check("cat /var/log/imaged.log")
        assert "read-only again" not in log, log
        # the version that changes nothing but os-release, then one binary
        for name, most in (("v2", 0.01), ("v2b", 0.10)):
            full = os.path.join(work, name + ".keelb")
            if name == "v2b":
                # slot b's kernel, kept by v2, changed behind its sums
                m.check("mount -o remount,rw /boot && printf X | dd "
                        "of=/boot/b/vmlinuz bs=1 seek=4096 conv=notrunc "
                        "2>/dev/null && mount -o remount,ro /boot")
                rc, out = m.run(f"imagectl os update --force --no-reboot "
                                f"{url}/{name}-delta.keelb", timeout=300)
                assert rc == 1 and "the slot's kept kernel is corrupt" \
                    in out and "(slot b left not bootable)" in out, out
            before = SERVED["bytes"]
            lines = int(m.check("wc -l < /var/log/imaged.log").split()[-1])
            out = m.check(f"imagectl os update --force --no-reboot "
                          f"{url}/{name}-delta.keelb", timeout=300)
            took = SERVED["bytes"] - before
            assert "seed: " in out and "MiB fetched in" in out, out
            # v2 keeps the kernel files format 1 wrote; after the failed
            # try above, v2b copies them from slot a again
            log = m.check(f"tail -n +{lines + 1} /var/log/imaged.log")
            assert ("kernel: kept, not written" in log) == (name == "v2"), \
                (name, log)
            assert took < most * os.path.getsize(full), (name, took, out)
            data = root_data(full)
            want = hashlib.sha256(data).hexdigest()
            assert slot_digest(m, "b", len(data)) == want, name
        # casync makes the same root from the same index and seed
        images = keelvm.images_dir()
        with open(os.path.join(images, "root.verity")) as f:
            blocks = int(f.read().strip().split(":")[1])
        seed = os.path.join(workdir, "seed.data")
        with open(os.path.join(images, "root.img"), "rb") as f, \
                open(seed, "wb") as g:
            g.write(f.read(blocks * 4096))
        index = os.path.join(workdir, "root.caibx")
        with open(index, "wb") as f:
            f.write(chunked_index(os.path.join(work, "v2b-delta.keelb"),
                                  "root"))
        out = os.path.join(workdir, "casync.out")
        subprocess.run(["casync", "extract", f"--seed={seed}",
                        f"--store={os.path.join(work, 'v2b.castr')}", index,
                        out], check=True, capture_output=True)
        with open(out, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == want
        m.child.sendline("initctl reboot")
        reboot_ready(m)
        assert booted(m) == "b" and version(m) == "0.2.1"
        wait_status(m, r"passed the health gate")
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_delta_store_faults(server, workdir):
    """A chunk that is not what its id says, or not there: the install
    stops naming it, and nothing is committed."""
    url, _ = server
    chunk = SERVED["chunk"]
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        for sub, why in (("corrupt", f"chunk {chunk} from the store is "
                                     f"corrupt"),
                         ("missing", f"chunk {chunk} is missing from the "
                                     f"store")):
            rc, out = m.run(f"imagectl os update {url}/{sub}/v2b-delta.keelb",
                            timeout=300)
            assert rc == 1 and why in out, (sub, out)
            assert "(slot b left not bootable)" in out, out
            text = status(m)
            assert re.search(r"^slot a: 0\.1\.0 +good, booted, boots next$",
                             text, re.M), text
            assert re.search(r"^slot b: .*not bootable$", text, re.M), text
        m.child.sendline("initctl reboot")
        reboot_ready(m)
        assert booted(m) == "a"
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_delta_power_cut(server, workdir):
    """Power cut during a delta install: the old slot boots; a retry
    goes through."""
    url, _ = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        for point in DELTA_ONLY + ["root-half"]:
            m.check(f"echo {point} > /run/imaged.fault")
            m.child.sendline(f"imagectl os update {url}/v2b-delta.keelb")
            m.expect(rf"imaged: fault point '{point}': power cut")
            reboot_ready(m)
            assert consistent_slot(m) == "a", point
        m.child.sendline(f"imagectl os update {url}/v2b-delta.keelb")
        reboot_ready(m)
        assert consistent_slot(m) == "b"
        wait_status(m, r"passed the health gate")
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_delta_falls_back_without_a_seed(server, workdir):
    """A running slot with a damaged block cannot seed a delta: the
    install takes the full bundle the delta names instead."""
    url, _ = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = boot(disk, workdir)
    try:
        blocks = int(re.search(r"keel\.verity=\w+:(\d+)",
                               m.check("cat /proc/cmdline")).group(1))
        # the last data block of the running root, where no file is read
        m.check(f"dd if=/dev/urandom of=/dev/vda2 bs=4096 seek={blocks - 1} "
                f"count=1 conv=notrunc,fsync 2>/dev/null")
        m.check("echo 3 > /proc/sys/vm/drop_caches")
        out = m.check(f"imagectl os update --no-reboot "
                      f"{url}/v2b-delta.keelb", timeout=300)
        assert re.search(r"slot a's root cannot be read whole .*; falling "
                         r"back to the full bundle .*/v2b\.keelb", out), out
        assert "installed keel 0.2.1 into slot b" in out, out
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_download_resume_and_stall(server, workdir):
    """A download cut mid-stream resumes where it stopped; one that
    trickles gives up after update_stall_timeout."""
    url, _ = server
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    conf = os.path.join(workdir, "update.conf")
    with open(conf, "w") as f:
        f.write("update_stall_timeout = 10\n")
    offset, _ = keelvm.partition_extent(disk, 1)
    subprocess.run(["mcopy", "-i", f"{disk}@@{offset}", conf,
                    "::config/update.conf"], check=True)
    m = boot(disk, workdir)
    try:
        m.check(f"imagectl os update --no-reboot {url}/cut/v2.keelb",
                timeout=300)
        assert re.search(r"/cut/v2\.keelb: .*; resuming at byte \d+",
                         m.check("cat /var/log/imaged.log")), \
            m.check("tail -n 20 /var/log/imaged.log")
        start = time.time()
        rc, out = m.run(f"imagectl os update --force --no-reboot "
                        f"{url}/trickle/v2.keelb", timeout=300)
        assert rc == 1, out
        assert "no progress for 10 s (update_stall_timeout)" in out, out
        assert "(slot b left not bootable)" in out, out
        assert time.time() - start < 120, out
    finally:
        m.kill()


@pytest.mark.one_arch("aarch64")
def test_power_cut_at_random_moments(server, workdir):
    """QEMU killed at random moments of an install (seeded, so a failure
    can be replayed): 20 in make check-full, 8 in make check."""
    import random
    url, _ = server
    rng = random.Random(int(os.environ.get("KEEL_CUT_SEED", "7")))
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    took = None
    for cut in range(20 if keelvm.full() else 8):
        m = boot(disk, workdir)
        try:
            consistent_slot(m)
            # the ESP was repaired before it was mounted (fsck.fat)
            assert "FAT-fs" not in m.check("dmesg"), cut
            # a slot left on trial by the last round is judged first
            wait_status(m, r"^health gate: (passed|slot . is good)")
            start = time.time()
            if took is None:
                # the first round measures how long an install takes
                m.check(f"imagectl os update --force --no-reboot "
                        f"{url}/v2.keelb", timeout=300)
                took = time.time() - start
                continue
            m.child.sendline(f"imagectl os update --force --no-reboot "
                             f"{url}/v2.keelb")
            time.sleep(rng.uniform(0, took))
        finally:
            m.kill()
    m = boot(disk, workdir)
    try:
        consistent_slot(m)
        wait_status(m, r"^health gate: (passed|slot . is good)")
        m.child.sendline(f"imagectl os update --force {url}/v2.keelb")
        m.expect(r"rebooting into it now", 300)
        reboot_ready(m)
        consistent_slot(m)
        wait_status(m, r"passed the health gate")
    finally:
        m.kill()


def write_channel(work, rollout, serial, key=KEY, version="0.2.0",
                  bundle="v2.keelb", port=None):
    doc = os.path.join(work, "channel.json")
    url = f"http://10.0.2.2:{port}/{bundle}"
    with open(doc + ".tmp", "w") as f:
        f.write(f'{{"format": 1, "serial": {serial}, '
                '"boards": {"' + BOARD + '": '
                f'{{"version": "{version}", "url": "{url}", '
                f'"rollout": {rollout}}}}}}}\n')
    subprocess.run([os.path.join(keelvm.TOP, "scripts", "mkbundle"),
                    "--key", key, "--sign", doc + ".tmp", "-o", doc + ".sig"],
                   check=True)
    os.rename(doc + ".tmp", doc)


@pytest.mark.one_arch("aarch64")
def test_channel_rollout_and_auto_update(server, workdir):
    url, work = server
    port = url.rsplit(":", 1)[1]
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    # the user's channel settings, on the ESP before first boot
    conf = os.path.join(workdir, "update.conf")
    with open(conf, "w") as f:
        f.write(f"channel_url = {url}/channel.json\npoll_interval = 10\n")
    offset, _ = keelvm.partition_extent(disk, 1)
    subprocess.run(["mcopy", "-i", f"{disk}@@{offset}", conf,
                    "::config/update.conf"], check=True)

    write_channel(work, 100, 1, key=os.path.join(work, "other.pem"), port=port)
    m = boot(disk, workdir)
    try:
        wait_status(m, r"^channel: .*channel\.json: bad signature")
        assert booted(m) == "a"
        write_channel(work, 0, 5, port=port)
        wait_status(m, r"^channel: 0\.2\.0 is out to 0% of hosts; this one "
                       r"is at \d+% and waits")
        # an older signed document, replayed, is not believed
        write_channel(work, 100, 4, port=port)
        wait_status(m, r"^channel: serial 4 is older than 5")
        write_channel(work, 100, 6, port=port)
        m.expect(r"keel: root /dev/vda3 verified", 120)
        reboot_ready(m)
        assert booted(m) == "b" and version(m) == "0.2.0"
        wait_status(m, r"passed the health gate")
        wait_status(m, r"^channel: up to date: the channel offers 0\.2\.0, "
                       r"0\.2\.0 runs")
        # rolled back by hand, 0.2.0 does not come back by itself
        m.child.sendline("imagectl os rollback")
        reboot_ready(m)
        assert booted(m) == "a"
        wait_status(m, r"^channel: 0\.2\.0 was rolled back on this host; "
                       r"waiting for a newer version")
        assert booted(m) == "a"
    finally:
        m.kill()


def make_ca(work, name):
    key, pem = os.path.join(work, name + ".key"), os.path.join(work, name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", pem, "-days", "30", "-subj", f"/CN={name}",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign"],
                   check=True, capture_output=True)
    return key, pem


def make_server_cert(work, ca, name):
    key, csr = os.path.join(work, "srv.key"), os.path.join(work, "srv.csr")
    pem, ext = os.path.join(work, "srv.pem"), os.path.join(work, "srv.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", csr, "-subj", f"/CN={name}"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[1],
                    "-CAkey", ca[0], "-CAcreateserial", "-out", pem,
                    "-days", "30", "-extfile", ext],
                   check=True, capture_output=True)
    return pem, key


def tls_server(directory, cert):
    handler = functools.partial(_QuietHandler, directory=directory)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.mark.one_arch("x86_64")
def test_https_update_checks_the_server(server, workdir):
    """Over https the server must show a certificate for its name from a
    CA the host trusts; the test CA is given on the ESP (config/ca.crt)."""
    _, bundles = server
    ca = make_ca(workdir, "keel-test-CA")
    good = tls_server(bundles, make_server_cert(workdir, ca, "updates.test"))
    rogue_dir = os.path.join(workdir, "rogue")
    os.mkdir(rogue_dir)
    rogue = tls_server(bundles, make_server_cert(
        rogue_dir, make_ca(rogue_dir, "rogue-CA"), "updates.test"))
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    offset, _ = keelvm.partition_extent(disk, 1)
    subprocess.run(["mcopy", "-i", f"{disk}@@{offset}", ca[1],
                    "::config/ca.crt"], check=True)
    m = boot(disk, workdir)
    try:
        port, rport = good.server_address[1], rogue.server_address[1]
        rc, out = m.run(f"imagectl os update https://updates.test:{rport}/v2.keelb")
        assert rc == 1 and "certificate is not signed by a trusted CA" in out, out
        rc, out = m.run(f"imagectl os update https://10.0.2.2:{port}/v2.keelb")
        assert rc == 1 and "the certificate is not for 10.0.2.2" in out, out
        m.child.sendline(f"imagectl os update https://updates.test:{port}/v2.keelb")
        m.expect(r"installed keel 0\.2\.0 into slot b")
        reboot_ready(m)
        assert booted(m) == "b" and version(m) == "0.2.0"
    finally:
        m.kill()
        good.shutdown()
        rogue.shutdown()


def write_channel2(work, serial, version_bundle="v2.keelb", serve=None,
                   expires="+1d", min_version=None, rollout=100, port=None):
    """A format 2 channel by scripts/mkchannel: the entry binds
    version_bundle (its size and digests) and names the URL of serve
    (another file, to stand in for it) or of itself."""
    doc = os.path.join(work, "channel.json")
    args = [os.path.join(keelvm.TOP, "scripts", "mkchannel"), "--key", KEY,
            "--serial", str(serial), "--expires", expires,
            "--bundle", os.path.join(work, version_bundle),
            "--url", f"http://10.0.2.2:{port}/{serve or version_bundle}",
            "--rollout", str(rollout), "-o", doc + ".new"]
    if min_version:
        args += ["--min-version", min_version]
    if not expires.startswith("+"):
        args.append("--allow-expired")
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    os.rename(doc + ".new.sig", doc + ".sig")
    os.rename(doc + ".new", doc)


def report_receiver(work, token):
    """scripts/report-receiver on 127.0.0.1: (its port, the file each
    document is appended to, the process)."""
    out = os.path.join(work, "reports.jsonl")
    proc = subprocess.Popen(
        [os.path.join(keelvm.TOP, "scripts", "report-receiver"), "--listen",
         "127.0.0.1", "--port", "0", "--token", token, out],
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))
    return port, out, proc


def reports(path):
    import json
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_reports(path, wanted, timeout=180):
    """Until a report of each (event, result, reason pattern) has come."""
    deadline = time.time() + timeout
    while True:
        docs = reports(path)
        missing = [w for w in wanted if not any(
            d["report"] == "outcome" and d["outcome"]["event"] == w[0] and
            d["outcome"]["result"] == w[1] and
            re.search(w[2], d["outcome"]["reason"]) for d in docs)]
        if not missing:
            return docs
        if time.time() > deadline:
            raise AssertionError(f"no report {missing} in "
                                 f"{[d['outcome'] for d in docs]}")
        time.sleep(2)


def check_report(doc, slot, version):
    """The fields every report has (imaged/README.md, "Status reports")."""
    assert doc["format"] == 1 and doc["board"] == BOARD, doc
    assert re.fullmatch(r"[0-9a-f]{32}", doc["machine_id"]), doc
    assert doc["hostname"] and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["time"]), doc
    assert doc["booted"] == {"slot": slot, "version": version}, doc
    assert set(doc["slots"]) == {"a", "b"}, doc
    assert doc["slots"][slot]["booted"] and \
        doc["slots"][slot]["state"] in ("good", "on trial"), doc
    assert doc["workloads"] == {"current": None, "rejected": None}, doc
    assert isinstance(doc["pods"], list), doc
    for p in doc["pods"]:
        assert set(p) == {"name", "phase", "ready", "containers",
                          "restarts"}, doc


@pytest.mark.one_arch("aarch64")
def test_channel_format2_expiry_binding_floor_reports(server, workdir):
    """One boot (and the reboot into what the channel installs): an
    expired document refused; a newer bundle signed by the right key,
    served in place of the one the channel names, refused by its manifest
    digest before a byte is written; --force below min_version refused,
    and a rollback below it; a status report for each outcome, with the
    bearer token from the ESP."""
    url, work = server
    port = url.rsplit(":", 1)[1]
    token = "s3cret-t0ken_for.keel~tests"
    rport, received, receiver = report_receiver(workdir, token)
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    conf = os.path.join(workdir, "update.conf")
    with open(conf, "w") as f:
        f.write(f"channel_url = {url}/channel.json\npoll_interval = 10\n"
                f"report_url = http://10.0.2.2:{rport}/reports\n")
    with open(os.path.join(workdir, "report-token"), "w") as f:
        f.write(token + "\n")
    offset, _ = keelvm.partition_extent(disk, 1)
    for name in ("update.conf", "report-token"):
        subprocess.run(["mcopy", "-i", f"{disk}@@{offset}",
                        os.path.join(workdir, name), f"::config/{name}"],
                       check=True)

    expired = "2025-01-31T00:00:00Z"
    write_channel2(work, 1, expires=expired, port=port)
    m = boot(disk, workdir)
    try:
        wait_status(m, rf"^channel: refused: the document expired at "
                       rf"{expired}")
        assert "channel document:" not in status(m)

        # the entry names v2; what is served there is 0.3.0, signed
        write_channel2(work, 2, serve="v3-unhealthy.keelb",
                       min_version="0.1.0", port=port)
        text = wait_status(m, r"^channel: 0\.2\.0 at \S+v3-unhealthy\.keelb "
                              r"is not the bundle serial 2 names")
        assert re.search(r"^update: failed: the bundle is not the one the "
                         r"channel names: its header and manifest has "
                         r"sha256 .*\(nothing written\)$", text, re.M), text
        assert m.check("head -c 4194304 /dev/vda3 | md5sum").split()[0] \
            == ZEROS_4M_MD5
        assert m.check("ls /boot/b") == ""
        assert re.search(r"^channel document: serial 2, expires "
                         r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", text, re.M), text
        assert re.search(r"^version floor: 0\.1\.0$", text, re.M), text
        assert re.search(r"^workloads: revision none$", text, re.M), text

        # the floor holds against --force
        rc, out = m.run(f"imagectl os update --force {url}/old.keelb")
        assert rc == 1 and "bundle version 0.0.9 is below the version " \
            "floor 0.1.0" in out and "(nothing written)" in out, out

        # what this host would report now, with a pod that cannot run
        m.check("printf 'apiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: "
                "probe\\nspec:\\n  containers:\\n  - name: c\\n    image: "
                "10.0.2.2:1/none:1\\n' >/tmp/probe.yaml && "
                "imagectl apply -f /tmp/probe.yaml")
        import json
        now = json.loads(m.check("imagectl os report").replace("\r", ""))
        check_report(now, "a", "0.1.0")
        assert now["report"] == "heartbeat" and now["channel"] == {
            "serial": 2, "expires": now["channel"]["expires"],
            "min_version": "0.1.0"}, now
        assert [(p["name"], p["containers"], p["restarts"])
                for p in now["pods"]] == [("probe", 1, 0)], now
        assert now["pods"][0]["phase"] in ("ContainerCreating",
                                           "ErrImagePull"), now

        # the real bundle, and a floor it meets: installed, booted, kept
        write_channel2(work, 3, min_version="0.2.0", port=port)
        m.expect(r"keel: root /dev/vda3 verified", 300)
        reboot_ready(m)
        assert booted(m) == "b" and version(m) == "0.2.0"
        wait_status(m, r"passed the health gate")
        rc, out = m.run("imagectl os rollback")
        assert rc == 1 and "slot a's version 0.1.0 is below the version " \
            "floor 0.2.0" in out, out
        assert booted(m) == "b"

        docs = wait_reports(received, [
            ("channel", "refused", rf"expired at {expired}"),
            ("channel", "fetched", r"0\.2\.0 is out to 100% of hosts, this "
                                   r"one included: installing"),
            ("install", "failed", r"not the one the channel names"),
            ("channel", "fetched", r"is not the bundle serial 2 names"),
            ("install", "failed", r"0\.0\.9 is below the version floor"),
            ("install", "installed", r"installed 0\.2\.0 into slot b"),
            ("health_gate", "passed", r"slot b \(0\.2\.0\) passed"),
        ])
        outcomes = [d for d in docs if d["report"] == "outcome"]
        # one document per outcome: a poll that finds the same sends none
        keys = [(d["outcome"]["event"], d["outcome"]["result"],
                 d["outcome"]["reason"]) for d in outcomes]
        assert len(keys) == len(set(keys)), keys
        for d in outcomes:
            after = d["outcome"]["event"] == "health_gate" or \
                "up to date" in d["outcome"]["reason"]
            check_report(d, "b" if after else "a",
                         "0.2.0" if after else "0.1.0")
        installed = next(d for d in outcomes
                         if d["outcome"]["result"] == "installed")
        assert installed["slots"]["b"] == {
            "version": "0.2.0", "state": "on trial", "tries": TRIES,
            "booted": False, "boots_next": True}, installed
        gate = next(d for d in outcomes
                    if d["outcome"]["event"] == "health_gate")
        assert gate["slots"]["b"]["state"] == "good", gate
        assert gate["channel"]["serial"] == 3 and \
            gate["channel"]["min_version"] == "0.2.0", gate
        # a heartbeat too (the first a minute after imaged starts), with
        # the last outcome and the pods
        deadline = time.time() + 120
        while not any(d["report"] == "heartbeat" and
                      d["booted"]["slot"] == "b" for d in docs):
            assert time.time() < deadline, docs
            time.sleep(5)
            docs = reports(received)
        beat = next(d for d in docs if d["report"] == "heartbeat" and
                    d["booted"]["slot"] == "b")
        check_report(beat, "b", "0.2.0")
        assert beat["outcome"]["event"] in ("health_gate", "channel"), beat
        assert [p["name"] for p in beat["pods"]] == ["probe"], beat
        # the token went with every report, and into no log
        assert m.check(f"grep -rF '{token}' /var/log /run/imaged "
                       "2>/dev/null | wc -l").strip() == "0"
    finally:
        m.kill()
        receiver.kill()
        receiver.wait()


# Workload revisions (imaged/README.md, "Workload revisions"): two pods of
# busybox httpd on the host's network, each serving its own port.
WEB_POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  hostNetwork: true
  containers:
  - name: {name}
    image: keel/web:{tag}
    command: [httpd, -f, -p, "{port}", -h, /www]
    readinessProbe:
      httpGet:
        path: /
        port: {probe}
      periodSeconds: 1
{extra}"""


DEPLOYMENT = """apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
data:
  text: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sleepers
spec:
  replicas: 2
  selector:
    matchLabels:
      app: sleepers
  template:
    metadata:
      labels:
        app: sleepers
    spec:
      hostNetwork: true
      containers:
      - name: c
        image: keel/web:1
        command: [sleep, "3600"]
        env:
        - name: GREETING
          valueFrom:
            configMapKeyRef:
              name: greeting
              key: text
"""


def revision_file(work, rev, pods):
    """fleet-<rev>.yaml: the pods (name, tag, port, probe port, extra)."""
    docs = [WEB_POD.format(name=n, tag=t, port=p, probe=q, extra=x)
            for n, t, p, q, x in pods]
    path = os.path.join(work, f"fleet-{rev}.yaml")
    with open(path, "w") as f:
        f.write("---\n".join(docs))
    return path


def web_images(work):
    """keel/web:1 and keel/web:2 as docker archives web1.tar, web2.tar: busybox
    whose /www/index.html says which."""
    from test_images import new_image
    import pathlib
    oci = pathlib.Path(work) / "oci"
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    for tag in ("1", "2"):
        new_image(oci, tag)
        base = pathlib.Path(work) / f"root{tag}"
        for d in ("bin", "www"):
            (base / d).mkdir(parents=True)
        shutil.copy(keelvm.busybox(), base / "bin" / "busybox")
        for applet in ("sh", "httpd", "cut", "cat", "sleep"):
            os.symlink("busybox", base / "bin" / applet)
        (base / "www" / "index.html").write_text(f"web {tag}\n")
        run("umoci", "insert", "--image", f"{oci}:{tag}", str(base), "/")
        run("skopeo", "copy", f"oci:{oci}:{tag}",
            f"docker-archive:{work}/web{tag}.tar:keel/web:{tag}")


def serve(directory):
    handler = functools.partial(_QuietHandler, directory=directory)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def write_channel_workloads(work, serial, rev, port):
    """A format 2 channel with no OS entry and fleet-<rev>.yaml's revision."""
    doc = os.path.join(work, "channel.json")
    subprocess.run([os.path.join(keelvm.TOP, "scripts", "mkchannel"),
                    "--key", KEY, "--serial", str(serial), "--expires", "+1d",
                    "--workloads", os.path.join(work, f"fleet-{rev}.yaml"),
                    "--workloads-url",
                    f"http://10.0.2.2:{port}/fleet-{rev}.yaml",
                    "--revision", str(rev), "-o", doc + ".new"],
                   check=True, stdout=subprocess.DEVNULL)
    os.rename(doc + ".new.sig", doc + ".sig")
    os.rename(doc + ".new", doc)


def wl_status(m):
    return m.check("imagectl workloads status")


def wait_wl(m, pattern, timeout=120):
    deadline = time.time() + timeout
    while True:
        text = wl_status(m)
        if re.search(pattern, text, re.M):
            return text
        if time.time() > deadline:
            raise AssertionError(f"no {pattern!r} in:\n{text}\n" +
                                 m.check("tail -n 30 /var/log/imaged.log"))
        time.sleep(1)


def revision_pods(text):
    """NAME STATUS lines of imagectl workloads status."""
    rows = text.split("NAME STATUS", 1)[1].strip().splitlines()
    return dict(r.split() for r in rows if r.strip())


def started(m, pod):
    """The pod's container's start: its pid 1's start time (clock ticks)."""
    return m.check(f"imagectl exec {pod} -- cut -d' ' -f22 /proc/1/stat").strip()


def serves(m, port):
    """What the pod on port serves, or what went wrong."""
    return m.run(f"wget -qO- -T 5 http://127.0.0.1:{port}/")[1].strip()


# on aarch64's share of make check: x86_64's is the longer (test_pc)
@pytest.mark.one_arch("aarch64")
@pytest.mark.skipif(not keelvm.busybox() or not shutil.which("umoci") or
                    not shutil.which("skopeo"),
                    reason="needs the static busybox (make test-busybox), "
                    "umoci and skopeo")
def test_workload_revisions(workdir):
    """One boot, and a power cut: revision 1 (two pods) applied on the
    first poll that offers it; 2 changes one pod's image and leaves the
    other running untouched; 3 has a pod that never gets ready: rolled
    back to 2 and not tried again; 4 has a document keel does not take:
    refused, nothing touched; 5 names an image that cannot be pulled:
    refused before anything changes; 6 cut off, while its pods start, by
    imaged's death (its containers run on) and by a power cut: the host
    comes back with 2, whole, each time; 7 is a Deployment and a
    ConfigMap; 8 is empty: every object goes."""
    work = os.path.join(workdir, "serve")
    os.mkdir(work)
    web_images(work)
    a = ("api", "1", 8082, 8082, "")
    revision_file(work, 1, [("web", "1", 8081, 8081, ""), a])
    revision_file(work, 2, [("web", "2", 8081, 8081, ""), a])
    # api's probe asks a port nothing listens on
    revision_file(work, 3, [("web", "2", 8081, 8081, ""),
                            ("api", "1", 8082, 8099, "")])
    # slow is ready only long after the power cut
    revision_file(work, 6, [("web", "1", 8081, 8081, ""), a,
                            ("slow", "1", 8083, 8083,
                             "      initialDelaySeconds: 600\n")])
    httpd = serve(work)
    port = httpd.server_address[1]
    token = "wl-t0ken"
    rport, received, receiver = report_receiver(workdir, token)
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    conf = os.path.join(workdir, "update.conf")
    with open(conf, "w") as f:
        f.write(f"channel_url = http://10.0.2.2:{port}/channel.json\n"
                "poll_interval = 10\nworkload_timeout = 30\n"
                f"report_url = http://10.0.2.2:{rport}/reports\n")
    with open(os.path.join(workdir, "report-token"), "w") as f:
        f.write(token + "\n")
    offset, _ = keelvm.partition_extent(disk, 1)
    for name in ("update.conf", "report-token"):
        subprocess.run(["mcopy", "-i", f"{disk}@@{offset}",
                        os.path.join(workdir, name), f"::config/{name}"],
                       check=True)
    m = boot(disk, workdir)
    try:
        assert re.search(r"^workloads: revision none$", status(m), re.M)
        for tag in ("1", "2"):
            m.check(f"wget -qO /var/lib/keel/web{tag}.tar "
                    f"http://10.0.2.2:{port}/web{tag}.tar && "
                    f"imagectl load /var/lib/keel/web{tag}.tar && "
                    f"rm /var/lib/keel/web{tag}.tar", timeout=120)

        write_channel_workloads(work, 1, 1, port)
        text = wait_wl(m, r"^revision: 1$")
        assert revision_pods(text) == {"web": "Running", "api": "Running"}, text
        assert serves(m, 8081) == "web 1" and serves(m, 8082) == "web 1"
        assert re.search(r"^workloads: revision 1$", status(m), re.M)
        api_start = started(m, "api")

        # web's image changes; api's document does not: it runs on
        write_channel_workloads(work, 2, 2, port)
        text = wait_wl(m, r"^revision: 2$")
        assert revision_pods(text) == {"web": "Running", "api": "Running"}, text
        assert serves(m, 8081) == "web 2" and serves(m, 8082) == "web 1"
        assert started(m, "api") == api_start
        web_start = started(m, "web")

        # api never gets ready: back to 2 after workload_timeout
        write_channel_workloads(work, 3, 3, port)
        text = wait_wl(m, r"^last: rolled_back", timeout=150)
        assert re.search(r"^revision: 2$", text, re.M), text
        assert re.search(r"^rejected: 3$", text, re.M), text
        assert re.search(r"revision 3: pod api is Running, not ready: .*"
                         r"after 30 s; back to revision 2", text), text
        deadline = time.time() + 60
        while revision_pods(wl_status(m)) != {"web": "Running",
                                              "api": "Running"}:
            assert time.time() < deadline, wl_status(m)
            time.sleep(1)
        assert serves(m, 8081) == "web 2" and serves(m, 8082) == "web 1"
        # web was in 2 and 3 alike: never touched
        assert started(m, "web") == web_start
        # not tried again: polls go by
        text = wait_wl(m, r"^channel: revision 3 was refused or rolled back "
                          r"on this host; waiting for a higher revision")
        time.sleep(25)
        text = wl_status(m)
        assert re.search(r"^revision: 2$", text, re.M) and \
            re.search(r"^applying: none$", text, re.M), text
        assert re.search(r"^workloads: revision 2 \(revision 3 rejected "
                         r"here\)$", status(m), re.M)

        # a document keel does not take: refused whole, nothing touched
        with open(os.path.join(work, "fleet-4.yaml"), "w") as f:
            f.write(WEB_POD.format(name="web", tag="2", port=8081, probe=8081,
                                   extra="").replace("    command:",
                                                     "    comand:"))
        write_channel_workloads(work, 4, 4, port)
        text = wait_wl(m, r"^last: refused")
        assert re.search(r"revision 4: http://10\.0\.2\.2:\d+/fleet-4\.yaml:"
                         r"\d+: spec\.containers\[0\]\.comand", text), text
        assert re.search(r"^rejected: 4$", text, re.M), text
        assert started(m, "web") == web_start

        # an image that cannot be pulled: refused before anything changes
        # (web's new image is in the store; it is not touched either)
        revision_file(work, 5, [("web", "1", 8081, 8081, ""), a,
                                ("gone", "1", 8084, 8084, "")])
        with open(os.path.join(work, "fleet-5.yaml")) as f:
            text = f.read().replace("image: keel/web:1\n    command: [httpd, "
                                    "-f, -p, \"8084\"",
                                    "image: 10.0.2.2:1/none:1\n    command: "
                                    "[httpd, -f, -p, \"8084\"")
        with open(os.path.join(work, "fleet-5.yaml"), "w") as f:
            f.write(text)
        write_channel_workloads(work, 6, 5, port)
        text = wait_wl(m, r"^rejected: 5$")
        assert re.search(r"^last: refused .*revision 5: pull "
                         r"10\.0\.2\.2:1/none:1: ", text, re.M), text
        assert revision_pods(text) == {"web": "Running", "api": "Running"}, text
        assert started(m, "web") == web_start and serves(m, 8081) == "web 2"

        # imaged killed while 6's pods start (no reboot: they run on)
        write_channel_workloads(work, 7, 6, port)
        wait_wl(m, r"^applying: 6 \(waiting for its pods")
        write_channel_workloads(work, 8, 2, port)
        m.check("kill -9 $(cat /sys/fs/cgroup/system/imaged/cgroup.procs)")
        deadline = time.time() + 90
        while True:
            rc, text = m.run("imagectl workloads status")
            if rc == 0 and revision_pods(text) == {"web": "Running",
                                                   "api": "Running"}:
                break
            assert time.time() < deadline, text
            time.sleep(1)
        assert re.search(r"^revision: 2$", text, re.M), text
        # none of 4's containers was taken for 2's: web is 2's again
        deadline = time.time() + 30
        while serves(m, 8081) != "web 2":
            assert time.time() < deadline, m.check("imagectl pods")
            time.sleep(1)
        assert "slow" not in m.check("imagectl pods")

        # a power cut while 6's pods start
        write_channel_workloads(work, 9, 6, port)
        wait_wl(m, r"^applying: 6 \(waiting for its pods")
        m.kill()
        # offered again at the next boot, it would be applied again
        write_channel_workloads(work, 10, 2, port)
        m = boot(disk, workdir)
        text = wl_status(m)
        assert re.search(r"^revision: 2$", text, re.M) and \
            re.search(r"^applying: none$", text, re.M), text
        assert re.search(r"revision 6 was being applied when imaged "
                         r"stopped; back to revision 2", text), text
        deadline = time.time() + 90
        while revision_pods(wl_status(m)) != {"web": "Running",
                                              "api": "Running"}:
            assert time.time() < deadline, wl_status(m)
            time.sleep(1)
        deadline = time.time() + 30
        while serves(m, 8081) != "web 2":
            assert time.time() < deadline
            time.sleep(1)
        assert serves(m, 8082) == "web 1"
        assert m.check("ls /var/lib/keel/revisions").split() == \
            ["2.yaml", "state"]

        # a Deployment and the ConfigMap its pods read, in place of the pods
        with open(os.path.join(work, "fleet-7.yaml"), "w") as f:
            f.write(DEPLOYMENT)
        write_channel_workloads(work, 11, 7, port)
        text = wait_wl(m, r"^revision: 7$")
        assert revision_pods(text) == {"sleepers-0": "Running",
                                       "sleepers-1": "Running"}, text
        assert m.check("imagectl exec sleepers-0 -- sh -c 'echo $GREETING'")\
            .strip() == "hello"

        # an empty revision: every object the channel manages goes
        with open(os.path.join(work, "fleet-8.yaml"), "w") as f:
            f.write("# nothing here for now\n")
        write_channel_workloads(work, 12, 8, port)
        text = wait_wl(m, r"^revision: 8$")
        assert revision_pods(text) == {}, text
        assert "sleepers" not in m.check("imagectl pods")
        assert "greeting" not in m.check("imagectl get configmaps")

        docs = wait_reports(received, [
            ("workloads", "applied", r"^revision 1 applied"),
            ("workloads", "applied", r"^revision 2 applied"),
            ("workloads", "rolled_back", r"^revision 3: pod api is Running, "
                                         r"not ready"),
            ("workloads", "refused", r"^revision 4: \S+fleet-4\.yaml:\d+: "),
            ("workloads", "refused", r"^revision 5: pull "),
            ("workloads", "rolled_back", r"^revision 6 was being applied "
                                         r"when imaged stopped"),
        ])
        back = next(d for d in docs if d["report"] == "outcome" and
                    d["outcome"]["result"] == "rolled_back")
        assert back["workloads"] == {"current": 2, "rejected": 3}, back
    finally:
        m.kill()
        httpd.shutdown()
        receiver.kill()
        receiver.wait()

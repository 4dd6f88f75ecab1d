"""imaged in the booted image: a pull from the distribution's
docker-registry on the host (through QEMU's user-mode network), the
layers stacked with overlayfs and run, and the store surviving a reboot
and a prune."""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time

import pytest

import keelvm
import ntpserver

pytestmark = pytest.mark.skipif(
    not keelvm.have_qemu() or not shutil.which("docker-registry")
    or not keelvm.busybox(),
    reason="needs qemu, docker-registry and a static busybox of the "
    "guest's arch (make test-busybox)")

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# tests/system/overlay/etc/keel/registries.conf names this port
PORT = 5000
REF = f"10.0.2.2:{PORT}/test/hello:1"


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def new_image(oci, tag, arch=None):
    """An empty image oci:tag whose config names arch (the guest's)."""
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    if not oci.exists():
        run("umoci", "init", "--layout", str(oci))
    run("umoci", "new", "--image", f"{oci}:{tag}")
    run("umoci", "config", "--no-history", "--image", f"{oci}:{tag}",
        "--architecture", keelvm.debarch(arch))


def build_oci(tmp_path):
    """Three layers: busybox, a file, and a whiteout of a busybox link."""
    oci = tmp_path / "oci"
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    new_image(oci, "1")
    base = tmp_path / "base"
    (base / "bin").mkdir(parents=True)
    shutil.copy(keelvm.busybox(), base / "bin" / "busybox")
    os.symlink("busybox", base / "bin" / "sh")
    os.symlink("busybox", base / "bin" / "gone")
    run("umoci", "insert", "--image", f"{oci}:1", str(base), "/")
    top = tmp_path / "top"
    (top / "etc").mkdir(parents=True)
    (top / "etc" / "greeting").write_text("hello from a pulled layer\n")
    run("umoci", "insert", "--image", f"{oci}:1", str(top), "/")
    run("umoci", "insert", "--image", f"{oci}:1", "--whiteout", "/bin/gone")
    return oci


INDEX = "application/vnd.oci.image.index.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"


def build_multiarch(tmp_path):
    """oci:1, an image index (OCI image-spec, image-index.md) of two
    images, each busybox of its arch: amd64, and arm64 with variant v8 as
    registries name it."""
    oci = tmp_path / "multi"
    for a in keelvm.DEBARCH:
        new_image(oci, keelvm.debarch(a), a)
        root = tmp_path / f"root-{a}"
        (root / "bin").mkdir(parents=True)
        shutil.copy(keelvm.busybox(a), root / "bin" / "busybox")
        subprocess.run(["umoci", "insert", "--image",
                        f"{oci}:{keelvm.debarch(a)}", str(root), "/"],
                       check=True, capture_output=True)
    layout = json.loads((oci / "index.json").read_text())
    entries = []
    for m in layout["manifests"]:
        tag = m.get("annotations", {}).get(REF_NAME)
        platform = {"architecture": tag, "os": "linux"}
        if tag == "arm64":
            platform["variant"] = "v8"
        entries.append({"mediaType": m["mediaType"], "digest": m["digest"],
                        "size": m["size"], "platform": platform})
    body = json.dumps({"schemaVersion": 2, "mediaType": INDEX,
                       "manifests": entries}).encode()
    digest = hashlib.sha256(body).hexdigest()
    (oci / "blobs" / "sha256" / digest).write_bytes(body)
    layout["manifests"].append({"mediaType": INDEX,
                                "digest": f"sha256:{digest}",
                                "size": len(body),
                                "annotations": {REF_NAME: "1"}})
    (oci / "index.json").write_text(json.dumps(layout))
    return oci


def serve_registry(tmp_path, oci, repo, port=PORT, tls=None):
    """The distribution's docker-registry on 127.0.0.1:port (PORT: the
    one the test image's registries.conf names as plain HTTP; tls: its
    (certificate, key) for https) with oci's image (or index, with every
    image in it) pushed as repo:1; a generator for fixtures."""
    if not port_free(port):
        pytest.skip(f"127.0.0.1:{port} is taken")
    cfg = tmp_path / "registry.yml"
    cfg.write_text(f"""version: 0.1
storage:
  filesystem:
    rootdirectory: {tmp_path}/storage
http:
  addr: 127.0.0.1:{port}
""" + (f"""  tls:
    certificate: {tls[0]}
    key: {tls[1]}
""" if tls else ""))
    log = open(tmp_path / "registry.log", "w")
    proc = subprocess.Popen(["docker-registry", "serve", str(cfg)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 20
        while port_free(port):
            assert proc.poll() is None, \
                (tmp_path / "registry.log").read_text()
            assert time.time() < deadline, "registry never listened"
            time.sleep(0.1)
        subprocess.run(["skopeo", "copy", "--all", "--dest-tls-verify=false",
                        f"oci:{oci}:1",
                        f"docker://127.0.0.1:{port}/{repo}:1"],
                       check=True, capture_output=True)
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def registry(tmp_path):
    yield from serve_registry(tmp_path, build_oci(tmp_path), "test/hello")


def test_pull_run_reboot_prune(registry, workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        out = m.check(f"imagectl pull {REF}", timeout=180)
        assert f"pulled {REF} sha256:" in out, out
        assert REF in m.check("imagectl images")
        # stack the snapshots as the runtime will, and run what they hold
        lowers = m.check(
            f"imagectl inspect {REF} | sed -n 's/.*\"snapshot\": \"\\([^\"]*\\)\".*/\\1/p'"
        ).split()
        assert len(lowers) == 3, lowers
        m.check("grep -q overlay /proc/filesystems || "
                "insmod $(grep /overlay.ko /lib/modules/pods.list)")
        m.check("mkdir -p /run/t && mount -t overlay overlay -o "
                f"lowerdir={':'.join(reversed(lowers))} /run/t")
        assert m.check("chroot /run/t /bin/sh -c '/bin/busybox cat /etc/greeting'") \
            .strip() == "hello from a pulled layer"
        # the whiteout hides the lower layer's link
        rc, _ = m.run("test -e /run/t/bin/gone -o -L /run/t/bin/gone")
        assert rc == 1
        m.check("umount /run/t")
        m.check("test -z \"$(ls /var/lib/keel/images/tmp)\"")

        m.child.sendline("reboot")
        m.expect(r"keel: reboot now")
        m.wait_ready()
        assert REF in m.check("imagectl images")
        # a second pull finds everything in place
        out = m.check(f"imagectl pull {REF}", timeout=120)
        assert "layer" not in out.replace("pulled", ""), out
        m.check(f"imagectl rm {REF}")
        out = m.check("imagectl prune")
        assert "removed 5 blobs, 3 snapshots" in out, out
        assert m.check("ls /var/lib/keel/images/snapshots").strip() == ""
    finally:
        m.kill()


@pytest.fixture
def multiarch(tmp_path):
    if not all(keelvm.busybox(a) for a in keelvm.DEBARCH):
        pytest.skip("needs the static busybox of every arch (make test-busybox)")
    yield from serve_registry(tmp_path, build_multiarch(tmp_path), "test/multi")


def test_multiarch_index_runs_the_guests_arch(multiarch, workdir):
    """One index with amd64 and arm64 images: the guest pulls its own
    and runs it (the other arch's busybox could not exec)."""
    ref = f"10.0.2.2:{PORT}/test/multi:1"
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        out = m.check(f"imagectl pull {ref}", timeout=180)
        assert f"pulled {ref} sha256:" in out, out
        out = m.check(f"imagectl run {ref} /bin/busybox uname -m", timeout=120)
        assert out.strip() == keelvm.arch(), out
        inspect = m.check(f"imagectl inspect {ref}")
        assert f'"platform": "linux/{keelvm.debarch()}' in inspect, inspect
        assert '"index_digest": "sha256:' in inspect, inspect
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_preloaded_image_on_first_boot(tmp_path, workdir):
    """CONFIG_KEEL_PRELOAD_IMAGES: scripts/mkdisk makes the data partition
    with the archive in it (as the build does); the first boot loads it
    with no registry anywhere."""
    oci = build_oci(tmp_path)
    preload = tmp_path / "data" / "lib" / "keel" / "preload"
    preload.mkdir(parents=True)
    subprocess.run(["skopeo", "copy", f"oci:{oci}:1",
                    f"docker-archive:{preload}/hello.tar:preload/hello:1"],
                   check=True, capture_output=True)
    images = keelvm.images_dir()
    built = os.path.join(images, "disk.img")
    mb = [keelvm.partition_extent(built, n)[1] >> 20 for n in (1, 2, 4)]
    disk = os.path.join(workdir, "disk.img")
    subprocess.run([os.path.join(TOP, "scripts", "mkdisk"), disk,
                    os.path.join(images, "..", "build", "esp"),
                    os.path.join(images, "root.img"), *map(str, mb),
                    str(tmp_path / "data")], check=True)
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        name = "docker.io/preload/hello:1"
        deadline = time.time() + 60
        while name not in m.check("imagectl images"):
            assert time.time() < deadline, m.check("cat /var/log/imaged.log")
            time.sleep(1)
        assert "preloaded /var/lib/keel/preload/hello.tar" in \
            m.check("cat /var/log/imaged.log")
        assert m.check("ls /var/lib/keel/preload").strip() == ""
        # ready for overlayfs: the greeting layer's file is there
        out = m.check(f"imagectl inspect {name}")
        assert out.count('"snapshot"') == 3, out
    finally:
        m.kill()


def make_ca(d, host):
    """A CA and a certificate for host it signs, both valid from now for
    3 days (openssl): (ca.pem, cert.pem, key.pem)."""
    d.mkdir()
    run = lambda *a: subprocess.run(a, check=True, capture_output=True,
                                    cwd=d)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "3",
        "-subj", "/CN=keel test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    (d / "ext").write_text(f"subjectAltName=DNS:{host}\n"
                           "basicConstraints=CA:FALSE\n"
                           "extendedKeyUsage=serverAuth\n")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
        "srv.key", "-out", "srv.csr", "-subj", f"/CN={host}")
    run("openssl", "x509", "-req", "-in", "srv.csr", "-CA", "ca.pem",
        "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem",
        "-days", "3", "-extfile", "ext")
    return d / "ca.pem", d / "srv.pem", d / "srv.key"


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tls_registry(tmp_path):
    """An https registry for updates.test (the host, in the test image's
    /etc/hosts) whose certificate is valid from now: (ref, CA file)."""
    ca, cert, key = make_ca(tmp_path / "ca", "updates.test")
    port = free_tcp_port()
    for _ in serve_registry(tmp_path, build_oci(tmp_path), "test/hello",
                            port, (cert, key)):
        yield f"updates.test:{port}/test/hello:1", ca


def wait_guest(m, command, what, timeout):
    deadline = time.time() + timeout
    while m.run(command)[0] != 0:
        assert time.time() < deadline, \
            f"{what}:\n" + m.check("tail -20 /var/log/imaged.log; "
                                   "tail -20 /var/log/netd.log")
        time.sleep(2)


@pytest.mark.one_arch("x86_64")
def test_https_pull_waits_for_the_time(tls_registry, workdir, tmp_path):
    """Booted with its RTC at 2001, the host pulls from an https registry
    whose certificate is valid from today: the certificate is refused for
    its dates alone, and imaged waits for netd's first time sync rather
    than failing for good. The sync comes once netd is given an NTP
    server (a reload: until then it knows none); the pull goes on."""
    if not ntpserver.have_chronyd():
        pytest.skip("no chronyd: run scripts/setup-host")
    ref, ca = tls_registry
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    start, _ = keelvm.partition_extent(disk, 1)
    img = f"{disk}@@{start}"
    subprocess.run(["mmd", "-i", img, "::config"], check=False,
                   capture_output=True)
    subprocess.run(["mcopy", "-o", "-i", img, str(ca), "::config/ca.crt"],
                   check=True)
    valid_from = os.path.getmtime(ca) - 1  # the certificate came after
    with ntpserver.chronyd(tmp_path) as (port, _):
        m = keelvm.Machine(disk, workdir, extra_args=[
            "-rtc", "base=2001-01-01T00:00:00"]).start()
        try:
            m.wait_ready()
            # before the certificate's time: the clock's floor is the
            # image's build time, minutes before the certificate was made
            assert int(m.check("date +%s")) < valid_from
            # in the background of a shell that exits: no job notices
            # on the console
            m.check(f"sh -c '(imagectl pull {ref} >/run/pull.out 2>&1; "
                    "echo $? >/run/pull.rc) &'")
            wait_guest(m, "grep -q 'clock is not synced yet: waiting' "
                       "/var/log/imaged.log", "imaged waiting", 120)
            assert m.run("test -e /run/pull.rc")[0] != 0
            m.check(f"echo 'ntp = 10.0.2.2:{port}' "
                    ">/var/lib/keel/network.conf && netd reload")
            wait_guest(m, "test -e /run/pull.rc", "the pull's end", 150)
            assert m.run("grep -qx 0 /run/pull.rc")[0] == 0, \
                m.check("cat /run/pull.out; tail -20 /var/log/imaged.log")
            assert f"pulled {ref} sha256:" in m.check("cat /run/pull.out")
            # tried at once, refused, then once more after the sync
            log = m.check("cat /var/log/imaged.log")
            assert log.count("certificate is outside its dates") == 1, log
            assert ref in m.check("imagectl images")
            assert abs(int(m.check("date +%s")) - time.time()) < 30
            assert "10.0.2.2" in m.check("cat /run/keel/time-synced")
        finally:
            m.kill()

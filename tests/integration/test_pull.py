"""imaged's image pull (the host build, --images-only) against the
distribution's docker-registry, per /tmp/imaged-pull-interface.md:
plain, TLS, Basic and Bearer auth, mirrors, resumed and restarted
downloads, corrupted blobs, hostile layers, load, rm and prune, and
concurrent pulls. Trees are compared with umoci's unpack of the same
image; the store is checked on disk.

Needs IMAGED=/abs/path/to/host/imaged (imagectl next to it) and root
(overlayfs, owners); skipped otherwise."""
import base64
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import threading
import time

import pytest

import hostile_layers
import oci_build
import registry
import treecmp
from conftest import read, wait_for
from oci_build import MT_LAYER, push

IMAGED = os.environ.get("IMAGED", "")
BIG_MIB = 20


def why_not():
    """Why these tests cannot run here, or None."""
    if not IMAGED:
        return ("IMAGED is not set: these tests need the imaged host build "
                "(make imaged-host; IMAGED=.../host/imaged)")
    if not os.path.isfile(IMAGED):
        return f"no imaged host build at IMAGED={IMAGED}"
    if os.geteuid() != 0:
        return "needs root: overlayfs mounts, owners in snapshots"
    return None


# (a mark, so that the session fixtures are not even built)
pytestmark = pytest.mark.skipif(why_not() is not None, reason=str(why_not()))


def need_imaged():
    if why_not():
        pytest.skip(why_not())


def hexd(digest):
    return digest.split(":", 1)[1]


def chain_ids(diff_ids):
    """image-spec config.md, "Layer ChainID"."""
    out = [diff_ids[0]]
    for d in diff_ids[1:]:
        out.append(oci_build.sha256(f"{out[-1]} {d}".encode()))
    return out


class Imaged:
    """One imaged --images-only with its own store, socket and
    registries.conf; stderr (and stdout) to imaged.log."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        # the store sits deep in box/, so that a ../ escape from a
        # snapshot (or from tmp/) still lands in box/, where it is seen
        self.box = os.path.join(self.tmp, "box")
        self.store = os.path.join(self.box, STORE_IN_BOX)
        os.makedirs(os.path.dirname(self.store))
        self.sock = os.path.join(self.tmp, "imaged.sock")
        self.conf = os.path.join(self.tmp, "registries.conf")
        self.logfile = os.path.join(self.tmp, "imaged.log")
        self.ctl_bin = os.path.join(os.path.dirname(IMAGED), "imagectl")
        self.proc = None
        self.died = []

    def start(self, conf=""):
        with open(self.conf, "w") as f:
            f.write(conf)
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        with open(self.logfile, "a") as log:
            self.proc = subprocess.Popen(
                [IMAGED, "--images-only", "--store", self.store, "--socket",
                 self.sock, "--registries", self.conf],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        wait_for("imaged's socket", lambda: os.path.exists(self.sock) or
                 self.proc.poll() is not None)
        assert self.proc.poll() is None, f"imaged exited:\n{self.log()}"
        wait_for("imagectl images to answer",
                 lambda: self.ctl("images", check=False).returncode == 0)
        return self

    def stop(self):
        p = self.proc
        if p is None:
            return
        if p.poll() is not None:
            # it must never die on its own, whatever the test did
            if p.returncode not in (0, -signal.SIGTERM):
                self.died.append(p.returncode)
        else:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                self.died.append("did not stop on SIGTERM")
        self.proc = None

    def restart(self, conf):
        self.stop()
        return self.start(conf)

    def log(self):
        return read(self.logfile)

    def ctl(self, *args, check=True, timeout=120):
        r = subprocess.run([self.ctl_bin, "--socket", self.sock] +
                           list(args), capture_output=True, text=True,
                           timeout=timeout)
        if check:
            assert r.returncode == 0, \
                f"imagectl {' '.join(args)}: exit {r.returncode}\n" \
                f"stdout: {r.stdout}\nstderr: {r.stderr}\nlog:\n{self.log()}"
        return r

    def pull(self, ref, *opts, check=True):
        r = self.ctl("pull", *opts, ref, check=check)
        if check:
            last = r.stdout.strip().splitlines()[-1]
            m = re.fullmatch(r"pulled (\S+) sha256:([0-9a-f]{64})", last)
            assert m, r.stdout
            r.pulled = (m.group(1), "sha256:" + m.group(2))
        return r

    def images(self):
        """{reference: digest (sha256: + 12 hex)} from imagectl images."""
        lines = self.ctl("images").stdout.splitlines()
        assert lines and lines[0].split() == ["IMAGE", "DIGEST", "SIZE"], \
            lines
        out = {}
        for line in lines[1:]:
            if re.fullmatch(r"\d+ images?", line):
                continue  # a count; test_pull_plain checks the format
            f = line.split()
            assert re.fullmatch(r"sha256:[0-9a-f]{12}", f[1]), line
            out[f[0]] = f[1]
        return out

    def inspect(self, ref):
        return json.loads(self.ctl("inspect", ref).stdout)

    # --- the store on disk ---------------------------------------------
    def blobs(self):
        d = os.path.join(self.store, "blobs", "sha256")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def snapshots(self):
        d = os.path.join(self.store, "snapshots")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def tmp_entries(self):
        d = os.path.join(self.store, "tmp")
        return os.listdir(d) if os.path.isdir(d) else []

    def assert_store_sane(self):
        """Every blob's sha256 is its name; tmp/ is empty."""
        for h in self.blobs():
            p = os.path.join(self.store, "blobs", "sha256", h)
            assert treecmp.file_sha256(p) == h, f"blob {h} is not its name"
        assert self.tmp_entries() == [], self.tmp_entries()

    def rootfs(self, ref, where):
        """The image's root fs: its snapshots as an overlayfs."""
        snaps = [la["snapshot"] for la in self.inspect(ref)["layers"]]
        return treecmp.overlay(snaps, os.path.join(self.tmp, where))


@pytest.fixture
def imaged(tmp_path):
    need_imaged()
    d = Imaged(tmp_path)
    yield d
    d.stop()
    if d.died:
        pytest.fail(f"imaged died on its own ({d.died}):\n{d.log()}")


def insecure(*hosts, extra=""):
    return extra + "".join(f"[{h}]\ninsecure = yes\n" for h in hosts)


def assert_tree(d, ref, layout, tag, tmp):
    """The image's overlayfs equals umoci's unpack of layout:tag."""
    bundle = os.path.join(str(tmp), "umoci-" + tag)
    want = treecmp.umoci_unpack(layout.dir, tag, bundle)
    with d.rootfs(ref, "mnt-" + tag) as root:
        treecmp.assert_same(want, root)


def assert_inspect(d, ref, im, index=None, pulled=None):
    """imagectl inspect says what the registry has for im."""
    j = d.inspect(ref)
    assert j["name"] == ref
    assert j["digest"] == im.digest
    if pulled:
        assert pulled == (ref, im.digest)
    assert j["index_digest"] == (index.digest if index else None)
    assert j["config"] == im.config_digest
    p = im.platform
    assert j["platform"] == "/".join(
        [p["os"], p["architecture"]] + ([p["variant"]] if "variant" in p
                                        else []))
    # "sum of blob sizes": config and layers, and the manifest if the
    # store counts it
    assert j["size"] in (im.size(), im.size() + len(im.manifest)), j["size"]
    chains = chain_ids([la.diff_id for la in im.layers])
    assert len(j["layers"]) == len(im.layers)
    for got, la, chain in zip(j["layers"], im.layers, chains):
        assert got["digest"] == la.digest
        assert got["mediaType"] == la.media_type
        assert got["size"] == la.size
        assert got["diff_id"] == la.diff_id
        assert got["chain_id"] == chain
        assert got["snapshot"] == os.path.join(d.store, "snapshots",
                                               hexd(chain))
        assert os.path.isdir(got["snapshot"])
    for blob in [im.config_digest] + [la.digest for la in im.layers]:
        assert hexd(blob) in d.blobs(), f"{blob} not in the store"
    assert d.images()[ref] == "sha256:" + hexd(im.digest)[:12]
    return j


# --- the registry most tests pull from ---------------------------------

@pytest.fixture(scope="module")
def std_reg(tmp_path_factory, oci_images):
    """A plain registry with the standard images: test/busybox:1,
    test/layers:1, test/multi:1 and :2 (the index), test/zstd:1,
    test/big:1."""
    need_imaged()
    reg = registry.Registry(tmp_path_factory.mktemp("std"))
    try:
        for tag in ("busybox", "layers", "zstd", "big"):
            push(oci_images, tag, reg, tag)
        for t in ("1", "2"):
            push(oci_images, "multi", reg, "multi", dest_tag=t, all=True)
        yield reg
    finally:
        reg.close()


def test_pull_plain(imaged, std_reg, oci_images, tmp_path):
    d = imaged.start(insecure(std_reg.host))
    ref = std_reg.ref("busybox")
    im = oci_images.tags["busybox"]
    r = d.pull(ref)
    assert_inspect(d, ref, im, pulled=r.pulled)
    d.assert_store_sane()
    assert list(d.images()) == [ref]
    assert len(d.snapshots()) == 1
    assert_tree(d, ref, oci_images, "busybox", tmp_path)
    # the listing, exactly: a header, then one line per image
    lines = d.ctl("images").stdout.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].split() == ["IMAGE", "DIGEST", "SIZE"]
    assert lines[1].split()[:2] == [ref, im.digest[:19]]


def test_pull_layers_whiteouts_hardlinks(imaged, std_reg, oci_images,
                                         tmp_path):
    d = imaged.start(insecure(std_reg.host))
    ref = std_reg.ref("layers")
    im = oci_images.tags["layers"]
    assert_inspect(d, ref, im, pulled=d.pull(ref).pulled)
    d.assert_store_sane()
    assert len(d.snapshots()) == 3
    assert_tree(d, ref, oci_images, "layers", tmp_path)
    # the snapshots themselves are in overlayfs form
    s2 = d.inspect(ref)["layers"][1]["snapshot"]
    for wo in ("data/gone", "data/dir-gone"):
        st = os.lstat(os.path.join(s2, wo))
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0, wo
    assert os.getxattr(os.path.join(s2, "opq"), "trusted.overlay.opaque") \
        == b"y"
    assert not os.path.lexists(os.path.join(s2, ".wh..wh..opq"))
    assert not any(n.startswith(".wh.") for n in os.listdir(
        os.path.join(s2, "data")))


def test_pull_multiarch(imaged, std_reg, oci_images, tmp_path):
    d = imaged.start(insecure(std_reg.host))
    idx = oci_images.tags["multi"]
    arm, amd = idx.images
    ref1, ref2 = std_reg.ref("multi", "1"), std_reg.ref("multi", "2")
    r = d.pull(ref1)
    assert_inspect(d, ref1, amd, index=idx, pulled=r.pulled)
    r = d.pull(ref2, "--platform", "linux/arm64/v8")
    assert_inspect(d, ref2, arm, index=idx, pulled=r.pulled)
    d.assert_store_sane()
    for ref, arch in ((ref1, "amd64\n"), (ref2, "arm64/v8\n")):
        with d.rootfs(ref, "mnt-" + arch[:5]) as root:
            with open(os.path.join(root, "arch")) as f:
                assert f.read() == arch
    # the busybox layer both share is one snapshot
    assert d.inspect(ref1)["layers"][0]["snapshot"] == \
        d.inspect(ref2)["layers"][0]["snapshot"]
    assert len(d.snapshots()) == 3
    assert_tree(d, ref2, oci_images, "multi-arm64", tmp_path)


def test_pull_zstd(imaged, std_reg, oci_images, tmp_path):
    d = imaged.start(insecure(std_reg.host))
    ref = std_reg.ref("zstd")
    im = oci_images.tags["zstd"]
    j = assert_inspect(d, ref, im, pulled=d.pull(ref).pulled)
    assert [la["mediaType"] for la in j["layers"]] == [MT_LAYER["zstd"]] * 2
    d.assert_store_sane()
    assert_tree(d, ref, oci_images, "zstd-as-gzip", tmp_path)


def assert_nothing_stored(d, ref):
    assert ref not in d.images()
    assert d.snapshots() == []
    d.assert_store_sane()


def test_pull_tls(imaged, peers, oci_images, test_ca, tmp_path):
    reg = peers.registry("tls", ca=test_ca)
    push(oci_images, "busybox", reg, "busybox")
    ref = reg.ref("busybox")
    im = oci_images.tags["busybox"]
    # without the test CA: a certificate error, nothing stored
    d = imaged.start("")
    r = d.pull(ref, check=False)
    assert r.returncode == 1
    assert re.match(r"imagectl: .*certificat", r.stderr, re.I | re.S), \
        r.stderr
    assert_nothing_stored(d, ref)
    assert d.blobs() == []
    d.restart(f"ca = {test_ca.pem}\n")
    # by IP address: the certificate's IP SAN is not checked (BearSSL
    # matches DNS names only); refused at once, saying so
    r = d.pull(ref.replace("localhost:", "127.0.0.1:"), check=False)
    assert r.returncode == 1
    assert "the certificate is not for 127.0.0.1 (an address is matched " \
        "against the certificate's DNS names only" in r.stderr, r.stderr
    assert "retrying" not in d.log(), d.log()
    assert_inspect(d, ref, im, pulled=d.pull(ref).pulled)
    d.assert_store_sane()
    assert_tree(d, ref, oci_images, "busybox", tmp_path)


def test_pull_basic_auth(imaged, peers, oci_images):
    reg = peers.registry("basic", creds=("keel", "s3cret"))
    push(oci_images, "busybox", reg, "busybox")
    ref = reg.ref("busybox")
    d = imaged.start(insecure(reg.host))
    r = d.pull(ref, check=False)
    assert r.returncode == 1
    assert re.match(r"imagectl: .*(401|unauthori[sz]ed|authenticat|"
                    r"credential|password)", r.stderr, re.I | re.S), r.stderr
    assert_nothing_stored(d, ref)
    d.restart(f"[{reg.host}]\ninsecure = yes\nusername = keel\n"
              "password = wrong\n")
    r = d.pull(ref, check=False)
    assert r.returncode == 1 and r.stderr.startswith("imagectl: ")
    assert_nothing_stored(d, ref)
    d.restart(f"[{reg.host}]\ninsecure = yes\nusername = keel\n"
              "password = s3cret\n")
    assert_inspect(d, ref, oci_images.tags["busybox"],
                   pulled=d.pull(ref).pulled)
    d.assert_store_sane()


def manifest_hits(reg, name):
    """Manifest requests the registry answered 200 (access log)."""
    return len(re.findall(rf'"(?:GET|HEAD) /v2/test/{name}/manifests/\S+ '
                          r'HTTP/1\.1" 200', reg.read_log()))


def test_pull_bearer_anonymous(imaged, peers, oci_images):
    iss = peers.issuer()
    reg = peers.registry("token", issuer=iss)
    push(oci_images, "busybox", reg, "busybox")
    before = len(iss.token_requests())
    ref = reg.ref("busybox")
    d = imaged.start(insecure(reg.host))
    assert_inspect(d, ref, oci_images.tags["busybox"],
                   pulled=d.pull(ref).pulled)
    got = iss.token_requests()[before:]
    assert [(r["scopes"], r["service"], r["user"], r["status"])
            for r in got] == [(["repository:test/busybox:pull"],
                               registry.SERVICE, None, 200)], got
    # the second pull asks the registry again, with the same token
    hits = manifest_hits(reg, "busybox")
    d.pull(ref)
    assert manifest_hits(reg, "busybox") > hits
    assert len(iss.token_requests()) == before + 1
    d.assert_store_sane()


def test_pull_bearer_with_credentials(imaged, peers, oci_images):
    iss = peers.issuer(creds=("robot", "hunter2"))
    reg = peers.registry("token", issuer=iss)
    push(oci_images, "busybox", reg, "busybox")
    ref = reg.ref("busybox")
    d = imaged.start(insecure(reg.host))
    before = len(iss.token_requests())
    r = d.pull(ref, check=False)
    assert r.returncode == 1 and r.stderr.startswith("imagectl: ")
    assert_nothing_stored(d, ref)
    assert [r["status"] for r in iss.token_requests()[before:]][-1:] == [401]
    d.restart(f"[{reg.host}]\ninsecure = yes\nusername = robot\n"
              "password = hunter2\n")
    before = len(iss.token_requests())
    assert_inspect(d, ref, oci_images.tags["busybox"],
                   pulled=d.pull(ref).pulled)
    got = iss.token_requests()[before:]
    assert [(r["scopes"], r["user"], r["status"]) for r in got] == \
        [(["repository:test/busybox:pull"], "robot", 200)], got


def test_pull_through_mirror(imaged, std_reg, oci_images, tmp_path):
    dead = registry.free_port()
    d = imaged.start(f"[example.invalid]\nmirror = http://127.0.0.1:{dead}\n"
                     f"mirror = http://{std_reg.host}\n")
    hits = manifest_hits(std_reg, "busybox")
    ref = "example.invalid/test/busybox:1"
    assert_inspect(d, ref, oci_images.tags["busybox"],
                   pulled=d.pull(ref).pulled)
    assert manifest_hits(std_reg, "busybox") > hits
    assert list(d.images()) == [ref]
    d.assert_store_sane()
    assert_tree(d, ref, oci_images, "busybox", tmp_path)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("realm", ["registry", "mirror"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_mirror_never_gets_the_registry_token(imaged, peers, oci_images,
                                              test_ca, scheme, realm):
    """The attack: a mirror answers 401 naming the registry's token
    service, service and scope (or its own token service), hoping to be
    sent the token imaged keeps from a pull with the registry's
    credentials, or the credentials themselves. It sees neither; the pull
    goes on from the registry, whose token stays where it was."""
    ca = test_ca if scheme == "https" else None
    iss = peers.issuer(creds=("robot", "hunter2"), ca=ca)
    reg = peers.registry("token", issuer=iss, ca=ca)
    push(oci_images, "busybox", reg, "busybox")
    ref = reg.ref("busybox")
    conf = (f"ca = {test_ca.pem}\n[{reg.host}]\n" if ca else
            f"[{reg.host}]\ninsecure = yes\n") + \
        "username = robot\npassword = hunter2\n"
    d = imaged.start(conf)
    before = len(iss.token_requests())
    d.pull(ref)
    tokens = {"Bearer " + r["token"] for r in iss.token_requests()[before:]
              if r["token"] and r["user"] == "robot"}
    assert tokens, iss.token_requests()

    mirror = peers.snoop(ca=ca)
    named = iss.realm if realm == "registry" else mirror.realm
    mirror.challenge = (f'Bearer realm="{named}",service="{registry.SERVICE}"'
                        ',scope="repository:test/busybox:pull"')
    # (the token outlives imaged: it is in /run/imaged/tokens)
    d.restart(conf + f"mirror = {mirror.url}\n")
    before = len(iss.token_requests())
    assert d.pull(ref).pulled[1] == oci_images.tags["busybox"].digest
    assert mirror.seen, "the mirror was never asked"
    secrets = dict.fromkeys(tokens, "the registry's token")
    secrets[basic("robot", "hunter2")] = "the registry's credentials"
    leaked = [secrets[a] for a in mirror.authorizations() if a in secrets]
    assert leaked == [], f"the mirror was sent {leaked}"
    # nor did the mirror's tries cost the registry its cached token
    again = [r for r in iss.token_requests()[before:] if r["user"]]
    assert again == [], "the registry's token was asked for again"
    d.assert_store_sane()


def test_mirror_asking_for_a_password_gets_none(imaged, peers, oci_images):
    reg = peers.registry("basic", creds=("keel", "s3cret"))
    push(oci_images, "busybox", reg, "busybox")
    mirror = peers.snoop(challenge='Basic realm="keel-basic"')
    d = imaged.start(f"[{reg.host}]\ninsecure = yes\nusername = keel\n"
                     f"password = s3cret\nmirror = {mirror.url}\n")
    ref = reg.ref("busybox")
    assert d.pull(ref).pulled[1] == oci_images.tags["busybox"].digest
    assert mirror.seen, "the mirror was never asked"
    assert mirror.authorizations() == []
    d.assert_store_sane()


def big_layer(oci_images):
    return oci_images.tags["big"].layers[1]


def assert_big_pulled(d, ref, oci_images, tmp_path):
    assert_inspect(d, ref, oci_images.tags["big"])
    d.assert_store_sane()
    with d.rootfs(ref, "mnt-big") as root:
        assert treecmp.file_sha256(os.path.join(root, "big.bin")) == \
            oci_build.big_file_sha256(BIG_MIB)


def test_resume_after_a_cut(imaged, std_reg, peers, oci_images, tmp_path):
    px = peers.proxy(std_reg.port)
    la = big_layer(oci_images)
    px.cut_once(5 << 20, digest=la.digest)
    d = imaged.start(insecure(px.host))
    ref = f"{px.host}/test/big:1"
    d.pull(ref)
    assert px.cuts == [(f"/v2/test/big/blobs/{la.digest}", 5 << 20)]
    m = re.search(rf"resuming {la.digest} at byte (\d+)", d.log())
    assert m, d.log()
    at = int(m.group(1))
    assert 0 < at <= 5 << 20
    gets = px.seen("GET", f"/blobs/{la.digest}")
    assert len(gets) == 2 and gets[0]["range"] in (None, "bytes=0-")
    assert gets[1]["range"] == f"bytes={at}-"
    assert [g["status"] for g in gets] == [200, 206]
    assert_big_pulled(d, ref, oci_images, tmp_path)


def test_range_ignored_starts_over(imaged, std_reg, peers, oci_images,
                                  tmp_path):
    px = peers.proxy(std_reg.port)
    px.strip_range = True
    la = big_layer(oci_images)
    px.cut_once(5 << 20, digest=la.digest)
    d = imaged.start(insecure(px.host))
    ref = f"{px.host}/test/big:1"
    d.pull(ref)
    assert f"{la.digest}: server ignored Range; starting over" in d.log()
    gets = px.seen("GET", f"/blobs/{la.digest}")
    assert len(gets) == 2 and gets[1]["range"] is not None
    assert [g["status"] for g in gets] == [200, 200]
    assert_big_pulled(d, ref, oci_images, tmp_path)


def test_registry_killed_mid_pull(imaged, peers, oci_images, tmp_path):
    reg = peers.registry()
    push(oci_images, "big", reg, "big")
    px = peers.proxy(reg.port)
    la = big_layer(oci_images)

    timers = []

    def kill_and_restart():
        reg.stop()
        timers.append(threading.Timer(1.5, reg.start))
        timers[-1].start()
    px.cut_once(3 << 20, on_cut=kill_and_restart, digest=la.digest)
    d = imaged.start(insecure(px.host))
    ref = f"{px.host}/test/big:1"
    t = time.monotonic()
    try:
        d.pull(ref)
    finally:
        for timer in timers:
            timer.join()
    assert time.monotonic() - t >= 1.5  # it waited for the registry
    assert px.cuts, "the registry was never killed"
    assert re.search(r"retrying\b.* in \d+ ms", d.log()), d.log()
    assert_big_pulled(d, ref, oci_images, tmp_path)


def test_corrupted_blob_rejected(imaged, peers, oci_images):
    reg = peers.registry()
    push(oci_images, "layers", reg, "layers")
    im = oci_images.tags["layers"]
    bad = im.layers[1].digest
    reg.corrupt_blob(bad)
    ref = reg.ref("layers")
    d = imaged.start(insecure(reg.host))
    r = d.pull(ref, check=False)
    assert r.returncode == 1
    assert f"{bad}: digest mismatch" in r.stderr, r.stderr
    assert r.stderr.startswith("imagectl: ")
    assert hexd(bad) not in d.blobs()
    assert ref not in d.images()
    d.assert_store_sane()
    # and not kept under any other name either
    for h in d.blobs():
        assert h in {hexd(b) for b in [im.config_digest, im.digest] +
                     [la.digest for la in im.layers]}


# --- hostile layers -------------------------------------------------------

HOSTILE = [e.name for e in hostile_layers.corpus("/tmp/x", bomb_mib=1)]
MAX_LAYER = 32 << 20


@pytest.fixture(scope="module")
def hostile_reg(tmp_path_factory, hostile):
    need_imaged()
    entries, lay, marker = hostile
    reg = registry.Registry(tmp_path_factory.mktemp("hostile-reg"))
    try:
        for e in entries:
            push(lay, e.name, reg, "hostile-" + e.name)
        yield reg
    finally:
        reg.close()


def tree_state(root, skip=()):
    """{path: (type, mode, size, sha256 or link, xattrs)} under root,
    minus the subtrees in skip."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [n for n in dirnames
                       if os.path.join(dirpath, n) not in skip]
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            what = treecmp.file_sha256(p) if stat.S_ISREG(st.st_mode) else \
                os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
            out[os.path.relpath(p, root)] = (
                stat.S_IFMT(st.st_mode), st.st_mode & 0o7777, st.st_nlink,
                what, tuple(sorted(treecmp.xattrs(p, ()).items())))
    st = os.lstat(root)
    out["."] = (st.st_mode, tuple(sorted(treecmp.xattrs(root, ()).items())))
    return out


STORE_IN_BOX = "d1/d2/d3/store"
# names an escape would leave behind
ESCAPE_NAMES = {"x", "dotdot", "newdir", "abs", "pwned", "sub", "paxesc",
                "gnuesc", "stolen", "passwd", "innocent", "victim", "zero",
                "file", "first", "f", "a", "l1", "l2", "s", "h", "d", "ok"}


def fs_state(marker, box, store):
    """What a layer must not change: the marker dir, /etc/passwd (its
    link count too), /tmp's top, and box/ (the store's parents) but for
    the store's blobs, snapshots and tmp."""
    passwd = os.lstat("/etc/passwd")
    skip = {os.path.join(store, n) for n in ("blobs", "snapshots", "tmp")}
    return {"marker": tree_state(marker),
            "passwd": (passwd.st_nlink, passwd.st_mode,
                       treecmp.file_sha256("/etc/passwd")),
            "tmp": sorted(n for n in os.listdir("/tmp") if n in ESCAPE_NAMES),
            "box": tree_state(box, skip)}


def escapes(before, after):
    """What changed that must not have: [] when nothing did."""
    out = []
    for k in ("marker", "passwd", "tmp"):
        if before[k] != after[k]:
            out.append(f"{k} changed: {before[k]} -> {after[k]}")
    b, a = before["box"], after["box"]
    for p in sorted(set(a) - set(b)):
        # new next to the store, or in it with an escapee's name
        if not p.startswith(STORE_IN_BOX + "/") or \
                os.path.basename(p) in ESCAPE_NAMES:
            out.append(f"new: {p}")
    for p in sorted(set(a) & set(b)):
        if a[p] != b[p] and not p.startswith(STORE_IN_BOX):
            out.append(f"changed: {p}")
    return out


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_layer(imaged, hostile, hostile_reg, name):
    entries, lay, marker = hostile
    e = {x.name: x for x in entries}[name]
    shutil.rmtree(marker, ignore_errors=True)
    os.makedirs(marker)
    with open(os.path.join(marker, "victim"), "w") as f:
        f.write("original\n")
    try:
        d = imaged.start(f"max_layer_bytes = {MAX_LAYER}\n" +
                         insecure(hostile_reg.host))
        before = fs_state(marker, d.box, d.store)
        ref = hostile_reg.ref("hostile-" + name)
        r = d.pull(ref, check=False)
        why = f"{e.note}\nstdout: {r.stdout}\nstderr: {r.stderr}"
        assert escapes(before, fs_state(marker, d.box, d.store)) == [], why
        d.assert_store_sane()
        snap = os.path.join(d.store, "snapshots", hexd(e.layer.diff_id))
        if e.expect == "refused":
            assert r.returncode == 1, why
            assert r.stderr.startswith("imagectl: "), why
            assert ref not in d.images()
            assert not os.path.exists(snap), why
        elif r.returncode == 0:
            assert ref in d.images()
            for p in e.inside:
                assert os.path.lexists(os.path.join(snap, p)), (p, why)
            for p in e.absent:
                assert not os.path.lexists(os.path.join(snap, p)), (p, why)
        else:
            assert r.returncode == 1 and r.stderr.startswith("imagectl: ")
        if name == "file-over-symlink" and r.returncode == 0:
            with open(os.path.join(snap, "victim")) as f:
                assert f.read() == "replaced\n"
        assert d.proc.poll() is None, "imaged died"
    finally:
        shutil.rmtree(marker, ignore_errors=True)


# --- load, rm, prune -----------------------------------------------------

def test_load_docker_save(imaged, oci_images, tmp_path):
    d = imaged.start("")
    path = oci_build.docker_archive(oci_images, "layers",
                                    str(tmp_path / "save.tar"),
                                    "keel.test/test/saved:1")
    r = d.ctl("load", path)
    assert "loaded keel.test/test/saved:1" in r.stdout.splitlines()
    assert "keel.test/test/saved:1" in d.images()
    j = d.inspect("keel.test/test/saved:1")
    im = oci_images.tags["layers"]
    assert j["config"] == im.config_digest
    assert [la["diff_id"] for la in j["layers"]] == \
        [la.diff_id for la in im.layers]
    d.assert_store_sane()
    assert_tree(d, "keel.test/test/saved:1", oci_images, "layers", tmp_path)


def test_load_oci_archive(imaged, oci_images, tmp_path):
    d = imaged.start("")
    path = oci_build.oci_archive(oci_images, "layers",
                                 str(tmp_path / "oci.tar"),
                                 "keel.test/test/oci-loaded:1")
    r = d.ctl("load", path)
    assert "loaded keel.test/test/oci-loaded:1" in r.stdout.splitlines()
    assert_inspect(d, "keel.test/test/oci-loaded:1", oci_images.tags["layers"])
    d.assert_store_sane()
    assert_tree(d, "keel.test/test/oci-loaded:1", oci_images, "layers",
                tmp_path)


def prune(d):
    r = d.ctl("prune")
    m = re.fullmatch(r"removed (\d+) blobs, (\d+) snapshots, (.+) freed",
                     r.stdout.strip().splitlines()[-1])
    assert m, r.stdout
    return m


def blob_bytes(d, hexes):
    return sum(os.path.getsize(os.path.join(d.store, "blobs", "sha256", h))
               for h in hexes)


def test_rm_and_prune(imaged, std_reg, oci_images):
    d = imaged.start(insecure(std_reg.host))
    bb, multi = std_reg.ref("busybox"), std_reg.ref("multi")
    d.pull(bb)
    d.pull(multi)
    bim, amd = oci_images.tags["busybox"], oci_images.tags["multi"].images[1]
    shared = bim.layers[0]
    assert shared.digest == amd.layers[0].digest  # the busybox layer
    blobs0, snaps0 = d.blobs(), d.snapshots()
    assert len(snaps0) == 2
    d.ctl("rm", bb)
    assert list(d.images()) == [multi]
    assert (d.blobs(), d.snapshots()) == (blobs0, snaps0)  # until prune
    m = prune(d)
    blobs1 = d.blobs()
    assert int(m.group(1)) == len(blobs0) - len(blobs1) >= 1
    assert int(m.group(2)) == 0 and d.snapshots() == snaps0
    assert hexd(bim.config_digest) not in blobs1
    assert hexd(shared.digest) in blobs1  # multi still uses it
    assert hexd(shared.diff_id) in d.snapshots()
    d.assert_store_sane()
    # the rest goes with the last image
    d.ctl("rm", multi)
    assert d.images() == {}
    size = blob_bytes(d, blobs1)
    m = prune(d)
    assert (int(m.group(1)), int(m.group(2))) == (len(blobs1), 2)
    assert d.blobs() == [] and d.snapshots() == []
    freed = re.fullmatch(r"(\d+)(?: bytes)?", m.group(3))
    if freed:  # in bytes, not rounded to kB or MB
        assert int(freed.group(1)) >= size
    # pruning nothing is fine
    m = prune(d)
    assert (m.group(1), m.group(2)) == ("0", "0")
    assert re.match(r"0\b", m.group(3))


def test_concurrent_pulls_fetch_once(imaged, std_reg, peers, oci_images,
                                     tmp_path):
    px = peers.proxy(std_reg.port)
    px.rate = 10 << 20  # the big layer takes two seconds
    d = imaged.start(insecure(px.host))
    ref = f"{px.host}/test/big:1"
    argv = [d.ctl_bin, "--socket", d.sock, "pull", ref]
    p1 = subprocess.Popen(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    wait_for("the first pull to fetch blobs",
             lambda: px.seen("GET", "/blobs/"), 20, 0.02)
    p2 = subprocess.Popen(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    overlapped = p1.poll() is None
    outs = [p.communicate(timeout=120) for p in (p1, p2)]
    im = oci_images.tags["big"]
    for p, (out, err) in zip((p1, p2), outs):
        assert p.returncode == 0, (out, err, d.log())
        assert out.strip().splitlines()[-1] == f"pulled {ref} {im.digest}"
    for blob in [im.config_digest] + [la.digest for la in im.layers]:
        assert px.blob_gets(blob) == 1, (blob, px.seen("GET", "/blobs/"))
    assert_big_pulled(d, ref, oci_images, tmp_path)
    assert overlapped, "the first pull ended before the second began"


def test_store_survives_restart(imaged, std_reg, oci_images):
    d = imaged.start(insecure(std_reg.host))
    ref = std_reg.ref("busybox")
    d.pull(ref)
    before = (d.images(), d.blobs(), d.snapshots())
    d.restart(insecure(std_reg.host))
    assert (d.images(), d.blobs(), d.snapshots()) == before
    assert_inspect(d, ref, oci_images.tags["busybox"])


def test_bad_registries_conf_is_named(imaged):
    """Whether imaged reads the file at start or at the pull, and stops
    or goes on without it, the line that is wrong is named."""
    d = imaged
    with open(d.conf, "w") as f:
        f.write("max_parallel = 3\n[127.0.0.1:1]\ninsecure = maybe\n")
    where = f"{d.conf}:3: "
    with open(d.logfile, "a") as log:
        p = subprocess.Popen([IMAGED, "--images-only", "--store", d.store,
                              "--socket", d.sock, "--registries", d.conf],
                             stdout=log, stderr=log)
    try:
        wait_for("imaged to start or complain", lambda: where in d.log() or
                 p.poll() is not None or os.path.exists(d.sock), 10)
        if os.path.exists(d.sock):
            # read at start, it says so at once; else at the pull
            time.sleep(0.5)
        said = d.log()
        if where not in said and os.path.exists(d.sock):
            r = d.ctl("pull", "127.0.0.1:1/test/x:1", check=False)
            assert r.returncode == 1
            said = r.stderr + d.log()
        assert re.search(rf"{re.escape(where)}\S", said), said
    finally:
        if p.poll() is None:
            p.terminate()
        p.wait(10)


# --- a small disk ------------------------------------------------------------

@pytest.fixture
def small_store(imaged):
    """imaged's store on an 8 MiB tmpfs of its own."""
    os.makedirs(imaged.store)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "keel-test",
                    imaged.store], check=True)
    yield imaged
    imaged.stop()
    subprocess.run(["umount", imaged.store], check=False)


def test_not_enough_space_is_said_before_a_byte(small_store, std_reg):
    d = small_store.start(insecure(std_reg.host))
    ref = std_reg.ref("big")  # 20 MiB of random bytes: no room
    r = d.pull(ref, check=False)
    assert r.returncode == 1
    assert "imagectl: not enough space in" in r.stderr, r.stderr
    assert re.search(r"needs about \d+ MB, \d+ MB are free", r.stderr)
    assert_nothing_stored(d, ref)
    # only the manifest and config came: no layer blob was started
    assert len(d.blobs()) <= 2


def test_disk_filling_up_midway_fails_clean(small_store, peers, tmp_path):
    # 24 MiB of zeros gzip to a few KiB: the space check lets it by, and
    # the unpack runs the 8 MiB store full
    lay = oci_build.Layout(tmp_path / "zeros")
    t = oci_build.Tar()
    t.file("zeros", b"\0" * (24 << 20))
    im = lay.add("zeros", oci_build.Image([oci_build.Layer(t)]))
    reg = peers.registry()
    oci_build.push(lay, "zeros", reg, "zeros")
    d = small_store.start(insecure(reg.host))
    ref = reg.ref("zeros")
    r = d.pull(ref, check=False)
    assert r.returncode == 1
    assert re.search(r"disk full|No space left", r.stderr), r.stderr
    assert_nothing_stored(d, ref)
    assert hexd(im.layers[0].digest) not in d.blobs()
    # and once there is room, the same pull goes through
    subprocess.run(["mount", "-o", "remount,size=64m", d.store], check=True)
    d.pull(ref)
    assert ref in d.images()
    d.assert_store_sane()


# --- a registry with big registries' manners -------------------------------

@pytest.fixture
def quirky_front(std_reg):
    import quirky
    q = quirky.Quirky(std_reg.port,
                      throttle={"/manifests/": [429, 503],
                                "/blobs/": [503]})
    yield q
    q.close()


def test_redirects_chunks_retries_keepalive(imaged, quirky_front,
                                            oci_images, tmp_path):
    q = quirky_front
    d = imaged.start(f"[{q.host}]\ninsecure = yes\nusername = edge\n"
                     "password = s3cret\n")
    ref = f"{q.host}/test/layers:1"
    r = d.pull(ref)
    assert r.pulled[1] == oci_images.tags["layers"].digest
    d.assert_store_sane()
    assert_tree(d, ref, oci_images, "layers", tmp_path)
    # 429 and 503 were waited out (Retry-After: 1 s), not given up on
    log = d.log()
    assert "HTTP status 429; retrying in 1000 ms" in log, log
    assert log.count("HTTP status 503; retrying in 1000 ms") == 2, log
    # credentials went to the registry, never to the blob store it
    # redirected to (another origin)
    assert q.store_seen, "no blob came through the redirect"
    assert all(auth is None for _, auth in q.store_seen), q.store_seen
    assert any(auth == q.auth for _, _, auth in q.front_seen)
    # one kept-alive connection carried the manifest requests: far fewer
    # connections than requests to the front
    assert q.connections < len(q.front_seen), \
        (q.connections, len(q.front_seen))

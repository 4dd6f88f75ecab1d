"""The image pull tests' peers, checked on their own (no imaged needed):
docker-registry in each mode with skopeo pushing and pulling, the token
issuer accepted (and a forged token refused) by the registry, the fault
proxy's cut and Range stripping, the tree comparison, the archives for
imagectl load and the hostile corpus."""
import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import tarfile
import threading
import urllib.error
import urllib.request

import pytest

import hostile_layers
import oci_build
import registry
import treecmp
from conftest import HOSTILE_BOMB_MIB
from oci_build import MT_INDEX, MT_MANIFEST, push

HERE = os.path.dirname(os.path.abspath(__file__))
ACCEPT = {"Accept": f"{MT_MANIFEST}, {MT_INDEX}"}


def need_root():
    if os.geteuid() != 0:
        pytest.skip("umoci keeps owners and overlayfs mounts only as root")


def skopeo_inspect(reg, name, *extra):
    return subprocess.run(
        ["skopeo", "inspect", "--raw", *extra,
         f"docker://{reg.host}/test/{name}:1"], capture_output=True,
        text=True)


def test_plain_registry_serves_what_skopeo_pushed(peers, oci_images):
    reg = peers.registry()
    im = oci_images.tags["busybox"]
    assert push(oci_images, "busybox", reg, "busybox") == im.digest
    # manifests only with an Accept naming OCI types (distribution 2.8
    # answers 404 MANIFEST_UNKNOWN to a client that does not list them)
    with pytest.raises(urllib.error.HTTPError) as e:
        reg.get("/v2/test/busybox/manifests/1")
    assert e.value.code == 404
    assert b"accept header does not support OCI manifests" in e.value.read()
    r = reg.get("/v2/test/busybox/manifests/1", ACCEPT)
    assert r.headers["Content-Type"] == MT_MANIFEST
    assert r.headers["Docker-Content-Digest"] == im.digest
    assert r.read() == im.manifest
    # blobs: whole, and from an offset (206 with Content-Range)
    la = im.layers[0]
    r = reg.get(f"/v2/test/busybox/blobs/{la.digest}")
    assert r.status == 200 and r.read() == la.blob
    assert r.headers["Content-Type"] == "application/octet-stream"
    r = reg.get(f"/v2/test/busybox/blobs/{la.digest}",
                {"Range": "bytes=1000-"})
    assert r.status == 206
    assert r.headers["Content-Range"] == \
        f"bytes 1000-{la.size - 1}/{la.size}"
    assert r.read() == la.blob[1000:]
    with pytest.raises(urllib.error.HTTPError) as e:
        reg.get(f"/v2/test/busybox/blobs/{la.digest}",
                {"Range": f"bytes={la.size}-"})
    assert e.value.code == 416
    assert reg.blob_gets(la.digest) == 3
    with open(reg.blob_path(la.digest), "rb") as f:
        assert f.read() == la.blob
    # and skopeo reads it back
    r = skopeo_inspect(reg, "busybox", "--tls-verify=false")
    assert r.returncode == 0, r.stderr
    assert r.stdout.encode() == im.manifest


def test_multiarch_index_pushed_whole(peers, oci_images):
    reg = peers.registry()
    idx = oci_images.tags["multi"]
    assert push(oci_images, "multi", reg, "multi", all=True) == idx.digest
    r = reg.get("/v2/test/multi/manifests/1", ACCEPT)
    assert r.headers["Content-Type"] == MT_INDEX
    index = json.loads(r.read())
    plats = [(m["platform"]["architecture"], m["platform"].get("variant"))
             for m in index["manifests"]]
    assert plats == [("arm64", "v8"), ("amd64", None)]
    for m, im in zip(index["manifests"], idx.images):
        r = reg.get(f"/v2/test/multi/manifests/{m['digest']}", ACCEPT)
        assert r.read() == im.manifest
        cfg = json.loads(reg.get(f"/v2/test/multi/blobs/"
                                 f"{im.config_digest}").read())
        assert cfg["architecture"] == m["platform"]["architecture"]
        arch = reg.get(f"/v2/test/multi/blobs/{im.layers[1].digest}").read()
        tf = tarfile.open(fileobj=io.BytesIO(gzip.decompress(arch)))
        assert tf.extractfile("arch").read().decode().startswith(
            m["platform"]["architecture"])


def test_zstd_layers_keep_their_media_type(peers, oci_images):
    reg = peers.registry()
    im = oci_images.tags["zstd"]
    push(oci_images, "zstd", reg, "zstd")
    man = json.loads(reg.get("/v2/test/zstd/manifests/1", ACCEPT).read())
    assert [la["mediaType"] for la in man["layers"]] == \
        [oci_build.MT_LAYER["zstd"]] * 2
    blob = reg.get(f"/v2/test/zstd/blobs/{im.layers[1].digest}").read()
    assert blob[:4] == b"\x28\xb5\x2f\xfd"
    plain = subprocess.run(["zstd", "-dc"], input=blob, capture_output=True,
                           check=True).stdout
    assert oci_build.sha256(plain) == im.layers[1].diff_id


def test_corrupted_blob_is_served_as_is(peers, oci_images):
    reg = peers.registry()
    im = oci_images.tags["busybox"]
    push(oci_images, "busybox", reg, "busybox")
    la = im.layers[0]
    reg.corrupt_blob(la.digest)
    r = reg.get(f"/v2/test/busybox/blobs/{la.digest}")
    body = r.read()
    # same name, same size, other bytes: only the client can tell
    assert r.headers["Docker-Content-Digest"] == la.digest
    assert len(body) == la.size and body != la.blob
    assert oci_build.sha256(body) != la.digest


def test_restart_on_the_same_port(peers, oci_images):
    reg = peers.registry()
    push(oci_images, "busybox", reg, "busybox")
    pid, port = reg.proc.pid, reg.port
    reg.stop()
    assert reg.ping() is None
    reg.start()
    assert reg.port == port and reg.proc.pid != pid
    r = reg.get("/v2/test/busybox/manifests/1", ACCEPT)
    assert r.read() == oci_images.tags["busybox"].manifest


def test_tls_registry(peers, oci_images, test_ca):
    reg = peers.registry("tls", ca=test_ca)
    assert reg.scheme == "https"
    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in",
                           reg.cert],
                          capture_output=True, text=True).stdout
    assert "IP Address:127.0.0.1" in text
    im = oci_images.tags["busybox"]
    assert push(oci_images, "busybox", reg, "busybox") == im.digest
    assert reg.get("/v2/test/busybox/manifests/1", ACCEPT).read() == \
        im.manifest
    # without the test CA: not trusted
    with pytest.raises(urllib.error.URLError) as e:
        urllib.request.urlopen(f"https://{reg.host}/v2/", timeout=5,
                               context=ssl.create_default_context())
    assert isinstance(e.value.reason, ssl.SSLCertVerificationError)
    r = skopeo_inspect(reg, "busybox")
    assert r.returncode != 0 and "certificate signed by unknown authority" \
        in r.stderr
    r = skopeo_inspect(reg, "busybox", "--cert-dir", test_ca.cert_dir)
    assert r.returncode == 0, r.stderr


def test_basic_auth_registry(peers, oci_images):
    reg = peers.registry("basic", creds=("keel", "s3cret"))
    im = oci_images.tags["busybox"]
    assert push(oci_images, "busybox", reg, "busybox") == im.digest
    with pytest.raises(urllib.error.HTTPError) as e:
        reg.get("/v2/test/busybox/manifests/1", ACCEPT)
    assert e.value.code == 401
    assert e.value.headers["WWW-Authenticate"] == 'Basic realm="keel-basic"'
    status, _, body = reg.api("/v2/test/busybox/manifests/1", ACCEPT,
                              creds=("keel", "s3cret"))
    assert status == 200 and body == im.manifest
    with pytest.raises(urllib.error.HTTPError) as e:
        reg.api("/v2/test/busybox/manifests/1", ACCEPT,
                creds=("keel", "wrong"))
    assert e.value.code == 401
    r = skopeo_inspect(reg, "busybox", "--tls-verify=false")
    assert r.returncode != 0 and "unauthorized" in r.stderr.lower()


@pytest.mark.parametrize("key_id", ["x5c", "kid"])
def test_token_registry_accepts_the_issuers_tokens(peers, oci_images,
                                                   key_id):
    iss = peers.issuer(key_id=key_id)
    reg = peers.registry("token", issuer=iss)
    im = oci_images.tags["busybox"]
    assert push(oci_images, "busybox", reg, "busybox") == im.digest
    pushes = iss.token_requests()
    assert any("repository:test/busybox:pull,push" in r["scopes"]
               for r in pushes), pushes
    with pytest.raises(urllib.error.HTTPError) as e:
        reg.get("/v2/test/busybox/manifests/1", ACCEPT)
    assert e.value.code == 401
    assert e.value.headers["WWW-Authenticate"] == (
        f'Bearer realm="{iss.realm}",service="{registry.SERVICE}",'
        'scope="repository:test/busybox:pull"')
    before = len(iss.token_requests())
    status, _, body = reg.api("/v2/test/busybox/manifests/1", ACCEPT)
    assert status == 200 and body == im.manifest
    got = iss.token_requests()[before:]
    assert [(r["scopes"], r["service"], r["user"]) for r in got] == \
        [(["repository:test/busybox:pull"], registry.SERVICE, None)]
    # the registry checks the signature and the scope: a token whose
    # signature is broken, or one for another repository, is refused
    tok = iss.token(["repository:test/busybox:pull"], "", registry.SERVICE)
    head, claims, sig = tok.split(".")
    forged = f"{head}.{claims}.{sig[:-4]}AAAA"
    for bad in (forged, iss.token(["repository:test/other:pull"], "",
                                  registry.SERVICE),
                iss.token(["repository:test/busybox:pull"], "",
                          "another-service")):
        with pytest.raises(urllib.error.HTTPError) as e:
            reg.get("/v2/test/busybox/manifests/1",
                    dict(ACCEPT, Authorization="Bearer " + bad))
        assert e.value.code == 401
    ok = reg.get("/v2/test/busybox/manifests/1",
                 dict(ACCEPT, Authorization="Bearer " + tok))
    assert ok.read() == im.manifest


def test_token_issuer_requiring_credentials(peers, oci_images):
    iss = peers.issuer(creds=("robot", "hunter2"))
    reg = peers.registry("token", issuer=iss)
    push(oci_images, "busybox", reg, "busybox")  # with --dest-creds
    with pytest.raises(urllib.error.HTTPError) as e:
        reg.api("/v2/test/busybox/manifests/1", ACCEPT)
    assert e.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as e:
        reg.api("/v2/test/busybox/manifests/1", ACCEPT,
                creds=("robot", "wrong"))
    assert e.value.code == 401
    status, _, body = reg.api("/v2/test/busybox/manifests/1", ACCEPT,
                              creds=("robot", "hunter2"))
    assert body == oci_images.tags["busybox"].manifest
    reqs = iss.token_requests()
    assert [r["status"] for r in reqs[-3:]] == [401, 401, 200]
    assert [r["user"] for r in reqs[-3:]] == [None, "robot", "robot"]


def raw_get(port, path, headers=()):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers=dict(headers))
    return c, c.getresponse()


def test_proxy_cuts_a_blob_once_and_strips_range(peers, oci_images):
    reg = peers.registry()
    push(oci_images, "big", reg, "big")
    la = oci_images.tags["big"].layers[1]
    px = peers.proxy(reg.port)
    called = []
    px.cut_once(1 << 20, on_cut=lambda: called.append(1), digest=la.digest)
    path = f"/v2/test/big/blobs/{la.digest}"
    # a manifest and the other blobs on the same connection first: only
    # that blob is cut
    c = http.client.HTTPConnection("127.0.0.1", px.port, timeout=10)
    c.request("GET", "/v2/test/big/manifests/1", headers=ACCEPT)
    assert c.getresponse().read() == oci_images.tags["big"].manifest
    for d in (oci_images.tags["big"].config_digest,
              oci_images.tags["big"].layers[0].digest):
        c.request("GET", f"/v2/test/big/blobs/{d}")
        assert oci_build.sha256(c.getresponse().read()) == d
    c.request("GET", path)
    r = c.getresponse()
    assert r.status == 200 and int(r.headers["Content-Length"]) == la.size
    with pytest.raises(http.client.IncompleteRead) as e:
        r.read()
    got = e.value.partial
    assert len(got) == 1 << 20 and got == la.blob[:1 << 20]
    assert called == [1] and px.cuts == [(path, 1 << 20)]
    # resumed with Range: the rest, and no second cut
    c, r = raw_get(px.port, path, {"Range": f"bytes={len(got)}-"})
    assert r.status == 206
    assert got + r.read() == la.blob
    # Range stripped: the registry sends it all again
    px.strip_range = True
    c, r = raw_get(px.port, path, {"Range": "bytes=5-"})
    assert r.status == 200 and r.read() == la.blob
    seen = [(q["method"], q["range"], q["status"])
            for q in px.seen(contains="/blobs/")]
    assert seen[2:] == [("GET", None, 200), ("GET", "bytes=1048576-", 206),
                        ("GET", "bytes=5-", 200)]
    assert px.blob_gets(la.digest) == 3
    assert px.seen("GET", "/manifests/")[0]["line"] == \
        "GET /v2/test/big/manifests/1 HTTP/1.1"


def test_proxy_rate_and_registry_down(peers, oci_images):
    import time
    reg = peers.registry()
    push(oci_images, "busybox", reg, "busybox")
    la = oci_images.tags["busybox"].layers[0]
    px = peers.proxy(reg.port)
    px.rate = 2 * la.size  # bytes/s: the blob takes half a second
    t = time.monotonic()
    c, r = raw_get(px.port, f"/v2/test/busybox/blobs/{la.digest}")
    assert r.read() == la.blob
    assert time.monotonic() - t >= 0.4
    reg.stop()
    with pytest.raises((http.client.RemoteDisconnected,
                        ConnectionResetError)):
        raw_get(px.port, "/v2/")
    reg.start()
    c, r = raw_get(px.port, "/v2/")
    assert r.status == 200


def test_tree_compare_finds_what_differs(tmp_path, oci_images):
    need_root()
    a = treecmp.umoci_unpack(oci_images.dir, "layers", tmp_path / "a")
    b = treecmp.umoci_unpack(oci_images.dir, "layers", tmp_path / "b")
    assert treecmp.differences(a, b) == []
    tree = treecmp.scan(a)
    assert tree["data/hl1"]["links"] == ("data/hl1", "data/hl2")
    assert tree["data/xattr"]["xattrs"] == {"user.keel.test": b"hello",
                                            "user.keel.other": b"x=y"}
    assert tree["data/frac"]["mtime"] == 1234567890
    assert tree["data/bigid"]["uid"] == 3000000
    assert tree["data/setuid"]["mode"] == "0o4755"
    assert tree["data/sticky"] == {"type": "dir", "mode": "0o1770",
                                   "uid": 5, "gid": 6}
    for gone in ("data/gone", "data/dir-gone/inner", "data/link-rel",
                 "data/l2c", "opq/a", "opq/sub"):
        assert gone not in tree
    # an altered copy (cp -a keeps links, owners, times and xattrs)
    c = str(tmp_path / "c")
    subprocess.run(["cp", "-a", a, c], check=True)
    assert treecmp.differences(a, c) == []
    d = os.path.join(c, "data")
    with open(os.path.join(d, "keep"), "w") as f:
        f.write("version 3\n")  # same size, other bytes
    os.utime(os.path.join(d, "keep"), (1700000500, 1700000500))
    os.chmod(os.path.join(d, "private"), 0o640)
    os.chown(os.path.join(d, "nobody"), 65534, 1)
    os.utime(os.path.join(d, "old"), (946684801, 946684801))
    os.setxattr(os.path.join(d, "xattr"), "user.keel.test", b"bye")
    os.unlink(os.path.join(d, "hl2"))
    shutil.copy2(os.path.join(d, "hl1"), os.path.join(d, "hl2"))
    os.unlink(os.path.join(d, "link-abs"))
    os.symlink("/etc/passwd", os.path.join(d, "link-abs"))
    os.unlink(os.path.join(d, "empty"))
    os.mkdir(os.path.join(d, "extra"))
    os.setxattr(os.path.join(d, "setuid"), "trusted.overlay.opaque", b"y")
    diffs = treecmp.differences(a, c, "ref", "got")
    want = ["data/keep: sha256:", "data/private: mode: ref '0o600', got "
            "'0o640'", "data/nobody: gid: ref 65534, got 1",
            "data/old: mtime: ref 946684800, got 946684801",
            "data/xattr: xattrs:", "data/hl1: links: ref ('data/hl1', "
            "'data/hl2'), got ()", "data/hl2: links:",
            "data/link-abs: target: ref '/etc/hostname', got '/etc/passwd'",
            "only in ref: data/empty (file)", "only in got: data/extra (dir)"]
    for w in want:
        assert sum(x.startswith(w) for x in diffs) == 1, (w, diffs)
    assert len(diffs) == len(want), diffs
    with pytest.raises(AssertionError, match="10 differences"):
        treecmp.assert_same(a, c)


def overlay_form(layer, dest):
    """A layer unpacked by Python the way imaged's snapshots are: its
    whiteouts as 0/0 character devices, opaque dirs with
    trusted.overlay.opaque=y (a check of the images and of the overlay
    helper, independent of imaged)."""
    os.makedirs(dest)
    tf = tarfile.open(fileobj=io.BytesIO(layer.tar))
    for m in tf:
        path = os.path.join(dest, m.name)
        parent, base = os.path.split(path)
        if base == ".wh..wh..opq":
            os.setxattr(parent, "trusted.overlay.opaque", b"y")
            continue
        if base.startswith(".wh."):
            os.mknod(os.path.join(parent, base[4:]), 0o600 | 0o020000, 0)
            continue
        if os.path.lexists(path) and not os.path.isdir(path):
            os.unlink(path)  # a whiteout this layer replaces
            if m.isdir():
                os.mkdir(path)
                os.setxattr(path, "trusted.overlay.opaque", b"y")
        tf.extract(m, dest, numeric_owner=True)
        for k, v in m.pax_headers.items():
            if k.startswith("SCHILY.xattr."):
                os.setxattr(path, k[13:], v.encode())
        if m.islnk():
            t = tf.getmember(m.linkname)
            os.utime(path, (t.mtime, t.mtime))


@pytest.mark.parametrize("tag,ref", [("layers", "layers"),
                                     ("zstd", "zstd-as-gzip"),
                                     ("busybox", "busybox")])
def test_overlay_of_snapshots_equals_umoci(tmp_path, oci_images, tag, ref):
    need_root()
    im = oci_images.tags[tag]
    snaps = []
    for i, la in enumerate(im.layers):
        snaps.append(str(tmp_path / f"snap{i}"))
        overlay_form(la, snaps[-1])
    want = treecmp.umoci_unpack(oci_images.dir, ref, tmp_path / "bundle")
    with treecmp.overlay(snaps, tmp_path / "mnt") as root:
        assert treecmp.assert_same(want, root)
    assert not os.path.ismount(tmp_path / "mnt")


def test_archives_for_load(tmp_path, oci_images):
    im = oci_images.tags["busybox"]
    p = oci_build.docker_archive(oci_images, "busybox",
                                 str(tmp_path / "save.tar"),
                                 "keel.test/test/saved:1")
    with tarfile.open(p) as tf:
        man = json.load(tf.extractfile("manifest.json"))
        assert man[0]["RepoTags"] == ["keel.test/test/saved:1"]
        cfg = tf.extractfile(man[0]["Config"]).read()
        assert json.loads(cfg)["rootfs"]["diff_ids"] == \
            [la.diff_id for la in im.layers]
        # skopeo stores the layers uncompressed: their sha256 is diff_id
        for name, la in zip(man[0]["Layers"], im.layers):
            assert oci_build.sha256(tf.extractfile(name).read()) == \
                la.diff_id
    p = oci_build.oci_archive(oci_images, "layers",
                              str(tmp_path / "oci.tar"),
                              "keel.test/test/oci-loaded:1")
    lim = oci_images.tags["layers"]
    with tarfile.open(p) as tf:
        index = json.load(tf.extractfile("index.json"))
        assert index["manifests"] == [{
            "mediaType": MT_MANIFEST, "digest": lim.digest,
            "size": len(lim.manifest), "annotations": {
                oci_build.REF_NAME: "keel.test/test/oci-loaded:1"}}]
        blobs = {m.name[len("blobs/sha256/"):]: tf.extractfile(m).read()
                 for m in tf if m.isfile() and m.name.startswith("blobs/")}
        assert set(blobs) == {oci_build.sha256(b)[7:] for b in lim.blobs()}
        for h, data in blobs.items():
            assert hashlib.sha256(data).hexdigest() == h
        assert json.load(tf.extractfile("oci-layout")) == \
            {"imageLayoutVersion": "1.0.0"}


def test_hostile_corpus_says_what_it_claims(tmp_path, peers, hostile):
    entries, lay, marker = hostile
    by = {e.name: e for e in entries}
    assert len(by) == len(entries) >= 30
    assert {e.expect for e in entries} == {"refused", "contained"}

    def names(e):
        tf = tarfile.open(fileobj=io.BytesIO(e.layer.tar or b""))
        return [(m.name, m.linkname) for m in tf]
    assert by["dotdot-short"].layer.tar[:7] == b"../../x"
    assert names(by["absolute"]) == [(marker + "/abs", "")]
    assert names(by["pax-path-escape"]) == \
        [(hostile_layers.UP + marker.lstrip("/") + "/paxesc", "")]
    assert names(by["gnu-longname-escape"])[0][0].endswith(
        marker + "/gnuesc")
    assert names(by["pax-linkpath-passwd"]) == [("innocent", "/etc/passwd")]
    assert names(by["symlink-abs-then-file"]) == [("a", marker),
                                                  ("a/pwned", "")]
    # cut 300 bytes into its second header (Python's tarfile and GNU tar
    # take such a stub for the end; it is not one: no end blocks)
    t = by["truncated-header"].layer.tar
    assert len(t) == 1024 + 300 and t[1024:1029] == b"file\0"
    for bad in ("truncated-data", "pax-giant-record", "pax-huge-header",
                "gnu-longname-100mb"):
        with pytest.raises((tarfile.TarError, EOFError, OSError)):
            tf = tarfile.open(fileobj=io.BytesIO(by[bad].layer.tar),
                              errorlevel=2)
            for m in tf:
                if m.isfile():
                    tf.extractfile(m).read()
    # the bombs: small blobs, honest diff_ids, far past any sane cap
    for name, cmd in (("gzip-bomb", ["gzip", "-dc"]),
                      ("gzip-bomb-tail", ["gzip", "-dc"]),
                      ("zstd-bomb", ["zstd", "-dc"])):
        la = by[name].layer
        assert la.size < 2 << 20
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        feed = threading.Thread(target=lambda: (p.stdin.write(la.blob),
                                                p.stdin.close()))
        feed.start()
        h, n = hashlib.sha256(), 0
        while True:
            b = p.stdout.read(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        feed.join()
        assert p.wait() == 0
        assert n > HOSTILE_BOMB_MIB << 20 >= 256 << 20
        assert "sha256:" + h.hexdigest() == la.diff_id
    # the tail bomb is a good archive, zeros after its end
    tail = gzip.GzipFile(fileobj=io.BytesIO(by["gzip-bomb-tail"].layer.blob))
    assert [(m.name, m.size) for m in tarfile.open(fileobj=tail,
                                                    mode="r|")] == \
        [("ok", 3)]
    gz = by["gzip-truncated"].layer.blob
    with pytest.raises(EOFError):
        gzip.decompress(gz)
    # every one pushes as an image
    reg = peers.registry()
    for e in entries:
        assert push(lay, e.name, reg, "hostile-" + e.name) == e.image.digest


def test_hostile_layers_cli(tmp_path):
    out = tmp_path / "corpus"
    r = subprocess.run([sys.executable,
                        os.path.join(HERE, "hostile_layers.py"), str(out),
                        "--bomb-mib", "4", "--marker", "/tmp/km"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "gzip-bomb" in r.stdout and "OCI layout:" in r.stdout
    index = json.load(open(out / "layout" / "index.json"))
    tags = [m["annotations"][oci_build.REF_NAME] for m in index["manifests"]]
    assert "dotdot-short" in tags
    assert len(tags) == len(r.stdout.splitlines()) - 1
    assert (out / "dotdot-short.layer").exists()


def test_escape_detection_sees_escapes(tmp_path):
    """test_pull's check after each hostile layer, on escapes made by
    hand: each one is seen; writes inside a snapshot are not."""
    import test_pull
    box = str(tmp_path / "box")
    store = os.path.join(box, test_pull.STORE_IN_BOX)
    for sub in ("blobs/sha256", "snapshots/abc", "tmp"):
        os.makedirs(os.path.join(store, sub))
    marker = str(tmp_path / "marker")
    os.makedirs(marker)
    with open(os.path.join(marker, "victim"), "w") as f:
        f.write("original\n")

    def state():
        return test_pull.fs_state(marker, box, store)
    before = state()
    assert test_pull.escapes(before, state()) == []
    # what a layer may do: fill its snapshot, the store its own places
    for p in ("snapshots/abc/x", "snapshots/abc/pwned", "blobs/sha256/ab",
              "index.json"):
        with open(os.path.join(store, p), "w") as f:
            f.write("fine\n")
    os.makedirs(os.path.join(store, "snapshots", "def", "a"))
    assert test_pull.escapes(before, state()) == []

    def seen(make, undo):
        make()
        try:
            return test_pull.escapes(before, state())
        finally:
            undo()

    def write(p, text="pwned\n"):
        return lambda: open(p, "w").write(text)
    victim = os.path.join(marker, "victim")
    cases = [
        (write(os.path.join(marker, "pwned")),
         lambda: os.unlink(os.path.join(marker, "pwned")), "marker changed"),
        (write(victim), write(victim, "original\n"), "marker changed"),
        (lambda: os.chmod(marker, 0o777), lambda: os.chmod(marker, 0o755),
         "marker changed"),
        (lambda: os.setxattr(marker, "trusted.overlay.opaque", b"y"),
         lambda: os.removexattr(marker, "trusted.overlay.opaque"),
         "marker changed"),
        (write(os.path.join(box, "x")), lambda: os.unlink(
            os.path.join(box, "x")), "new: x"),
        (write(os.path.join(box, "d1", "d2", "anything")),
         lambda: os.unlink(os.path.join(box, "d1", "d2", "anything")),
         "new: d1/d2/anything"),
        (write(os.path.join(store, "x")), lambda: os.unlink(
            os.path.join(store, "x")), f"new: {test_pull.STORE_IN_BOX}/x"),
        (lambda: os.chmod(os.path.join(box, "d1"), 0o700),
         lambda: os.chmod(os.path.join(box, "d1"), 0o755), "changed: d1"),
    ]
    os.chmod(marker, 0o755)
    os.chmod(os.path.join(box, "d1"), 0o755)
    before = state()
    for make, undo, want in cases:
        got = seen(make, undo)
        assert got and got[0].startswith(want), (want, got, make)
        assert test_pull.escapes(before, state()) == []
